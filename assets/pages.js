/* Pages that work away from a desktop screen: on a phone, when printed, and in one number style.
 *
 * Phones: the filter panel folds away behind a "Show filters" button (a real <button> with
 * aria-expanded, so it works by keyboard and says its state to screen readers), and a map's colour bar
 * lies flat across the top of the map instead of standing over its right edge, where it covered London
 * and the east (its title is dropped there: the map's heading already names the measure and year).
 *
 * Printing: the explorer builds its charts and table only when scrolled near (assets/lazy.js); printed
 * straight from the top, they would be missing. beforeprint asks for every lazy part, sizes the charts
 * to the paper, and stamps the page's address and date on the footer (atlas.css prints it under the
 * sources and licence). Chrome's print preview re-lays out the page as the parts arrive.
 *
 * Numbers: Plotly writes a negative number in a hover with a hyphen ("-3.2"); everywhere else the
 * atlas writes "−3.2" (metrics.format_value). Hover labels are rewritten as they appear.
 */
(function () {
  'use strict';

  var NARROW = 700;  // px of graph width below which a colour bar lies under the map

  /* --- filters behind a button on narrow screens ---------------------------------------------------- */
  function foldFilters() {
    document.querySelectorAll('.explorer-grid > .filters, .explorer-grid > .filter-panel').forEach(function (panel, i) {
      var before = panel.previousElementSibling;
      if (before && before.classList.contains('filters-toggle')) { return; }
      if (!panel.id) { panel.id = 'filters-panel-' + i; }
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'filters-toggle button button-secondary';
      button.setAttribute('aria-expanded', 'false');
      button.setAttribute('aria-controls', panel.id);
      button.textContent = 'Show filters';
      button.addEventListener('click', function () {
        var open = button.getAttribute('aria-expanded') !== 'true';
        button.setAttribute('aria-expanded', open ? 'true' : 'false');
        button.textContent = open ? 'Hide filters' : 'Show filters';
      });
      panel.parentNode.insertBefore(button, panel);
    });
  }

  /* --- a map's colour bar under the map on narrow screens ------------------------------------------- */
  function colourBarTraces(graph) {
    var found = [];
    (graph.data || []).forEach(function (trace, index) {
      if (trace.type === 'choroplethmap' && trace.showscale !== false) { found.push(index); }
    });
    return found;
  }

  function placeColourBar(graph) {
    if (!window.Plotly || !graph.data || !graph._fullLayout || graph._atlasPlacing) { return; }
    var traces = colourBarTraces(graph);
    if (!traces.length) { return; }
    var narrow = graph.clientWidth > 0 && graph.clientWidth < NARROW;
    var current = (graph.data[traces[0]].colorbar || {}).orientation || 'v';
    var wanted = narrow ? 'h' : 'v';
    if (current === wanted || (!narrow && !graph._atlasFlat)) { return; }
    var update = narrow
      ? {'colorbar.orientation': 'h', 'colorbar.x': 0.5, 'colorbar.xanchor': 'center', 'colorbar.y': 0,
         'colorbar.yanchor': 'bottom', 'colorbar.yref': 'paper', 'colorbar.ypad': 0, 'colorbar.len': 0.9, 'colorbar.thickness': 12,
         'colorbar.title.side': 'top', 'colorbar.title.text': '', 'colorbar.bgcolor': 'rgba(255,255,255,0)'}
      : graph._atlasFlat;
    if (narrow) {
      var bar = graph.data[traces[0]].colorbar || {};
      graph._atlasFlat = {'colorbar.orientation': 'v', 'colorbar.title.text': (bar.title || {}).text || null,
                          'colorbar.bgcolor': bar.bgcolor || null, 'colorbar.x': bar.x === undefined ? null : bar.x,
                          'colorbar.xanchor': bar.xanchor || null, 'colorbar.y': bar.y === undefined ? null : bar.y,
                          'colorbar.yanchor': bar.yanchor || null, 'colorbar.yref': bar.yref || null,
                          'colorbar.len': bar.len === undefined ? null : bar.len,
                          'colorbar.thickness': bar.thickness === undefined ? null : bar.thickness};
    }
    graph._atlasPlacing = true;
    window.Plotly.restyle(graph, update, traces).then(function () {
      graph._atlasPlacing = false;
    }, function () { graph._atlasPlacing = false; });
  }

  function watchGraph(graph) {
    if (graph._atlasWatched || !graph.on) { return; }
    graph._atlasWatched = true;
    graph.on('plotly_afterplot', function () { placeColourBar(graph); });
    placeColourBar(graph);
  }

  /* --- hover labels with a real minus sign ---------------------------------------------------------- */
  var HYPHEN_MINUS = /(^|[\s(:])-(?=[£\d])/g;

  function fixMinus(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var node;
    while ((node = walker.nextNode())) {
      if (node.nodeValue.indexOf('-') !== -1) {
        var fixed = node.nodeValue.replace(HYPHEN_MINUS, '$1\u2212');
        if (fixed !== node.nodeValue) { node.nodeValue = fixed; }
      }
    }
  }

  /* --- printing ------------------------------------------------------------------------------------- */
  var PRINT_WIDTH = 680;  // CSS px across an A4 or Letter page inside the print margins

  function beforePrint() {
    document.querySelectorAll('[data-lazy-store]').forEach(function (part) {
      if (part.getAttribute('data-lazy-revealed') !== 'true' && window.dash_clientside &&
          window.dash_clientside.set_props) {
        window.dash_clientside.set_props(part.getAttribute('data-lazy-store'), {data: true});
        part.setAttribute('data-lazy-revealed', 'true');
      }
    });
    var footer = document.querySelector('.atlas-footer');
    if (footer) {
      var when = new Date().toLocaleDateString('en-GB', {day: 'numeric', month: 'long', year: 'numeric'});
      footer.setAttribute('data-printed', 'Printed from Equity Atlas on ' + when + ': ' + window.location.href);
    }
    if (window.Plotly) {
      document.querySelectorAll('.js-plotly-plot').forEach(function (graph) {
        if (graph._fullLayout && graph.clientWidth > PRINT_WIDTH) {
          graph._atlasPrintResized = true;
          window.Plotly.relayout(graph, {width: PRINT_WIDTH});
        }
      });
    }
  }

  function afterPrint() {
    document.querySelectorAll('.js-plotly-plot').forEach(function (graph) {
      if (graph._atlasPrintResized) {
        graph._atlasPrintResized = false;
        window.Plotly.relayout(graph, {width: null, autosize: true});
      }
    });
  }

  /* A plain table wider than a phone scrolls inside itself (atlas.css); one that does gets a tab stop so
     it can be scrolled by keyboard too (WCAG 2.1.1; axe: scrollable-region-focusable). */
  function scrollableTables() {
    document.querySelectorAll('table.data-table').forEach(function (table) {
      var scrolls = table.scrollWidth > table.clientWidth + 1;
      if (scrolls && !table.hasAttribute('tabindex')) { table.setAttribute('tabindex', '0'); }
      if (!scrolls && table.getAttribute('tabindex') === '0') { table.removeAttribute('tabindex'); }
    });
  }

  /* --- wiring --------------------------------------------------------------------------------------- */
  function scan() {
    foldFilters();
    scrollableTables();
    document.querySelectorAll('.js-plotly-plot').forEach(watchGraph);
  }

  var pending = null;
  function onMutations(mutations) {
    mutations.forEach(function (mutation) {
      var target = mutation.target;
      if (target.nodeType === 1 && target.closest && target.closest('.hoverlayer')) { fixMinus(target); }
    });
    if (pending === null) {
      pending = setTimeout(function () { pending = null; scan(); }, 100);
    }
  }

  window.addEventListener('beforeprint', beforePrint);
  window.addEventListener('afterprint', afterPrint);
  window.addEventListener('resize', function () {
    scrollableTables();
    document.querySelectorAll('.js-plotly-plot').forEach(placeColourBar);
  });
  window.atlasPages = {beforePrint: beforePrint, afterPrint: afterPrint, fixMinus: fixMinus};

  function start() {
    scan();
    new MutationObserver(onMutations).observe(document.body, {childList: true, subtree: true, characterData: true});
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
