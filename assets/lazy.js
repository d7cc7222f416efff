/* Parts of a page below the fold are built when they come near the screen, not with the page.
 *
 * An element with data-lazy-store="<store id>" sets that dcc.Store's data to true the first time it
 * comes within 400px of the viewport; a callback on the store then renders the part (the explorer's
 * charts and practice table, or fills its long filter lists). With data-lazy-after="<selector of a
 * dcc.Graph>" it waits until that graph has drawn (a map: until maplibre has painted it), or 4 s: the map is drawn first instead of competing with five charts and a grid for
 * the browser's one main thread, and a visitor who never scrolls is not sent the table. Keyboard focus
 * moving down the page scrolls, so it reveals them too. Without IntersectionObserver (very old
 * browsers) everything is revealed at once.
 */
(function () {
  'use strict';

  function reveal(element) {
    var store = element.getAttribute('data-lazy-store');
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(store, {data: true});
      element.setAttribute('data-lazy-revealed', 'true');
      return true;
    }
    return false;
  }

  // The graph's map (plotly's maplibre map), if it has one: plotly_afterplot fires before maplibre has
  // drawn its areas.
  function mapOf(graph) {
    var layout = graph._fullLayout;
    var subplot = layout && layout.map && layout.map._subplot;
    return subplot && subplot.map;
  }

  // plotly may report a map plotted before its traces' layers are on it: painted means more layers than
  // the plain background, all of their data loaded ('idle' comes again after each change).
  function whenPainted(map, then) {
    var painted = function () {
      try {
        var style = map.getStyle();
        return Boolean(style && style.layers && style.layers.length > 1 && map.loaded());
      } catch (e) {
        return false;
      }
    };
    if (painted()) { then(); return; }
    var onIdle = function () {
      if (painted()) { map.off('idle', onIdle); then(); }
    };
    map.on('idle', onIdle);
  }

  function afterDrawn(selector, then) {
    var started = Date.now();
    var done = false;
    var go = function () { if (!done) { done = true; then(); } };
    var nextFrames = function () { requestAnimationFrame(function () { requestAnimationFrame(go); }); };
    (function check() {
      var graph = document.querySelector(selector + ' .js-plotly-plot');
      if (graph && graph._fullLayout) {
        graph.on('plotly_afterplot', function () {
          var map = mapOf(graph);
          if (map) {
            whenPainted(map, nextFrames);
          } else {
            nextFrames();
          }
        });
        setTimeout(go, Math.max(0, 4000 - (Date.now() - started)));
        return;
      }
      if (Date.now() - started > 4000) { go(); return; }
      setTimeout(check, 50);
    })();
  }

  function watch(element) {
    element.setAttribute('data-lazy-watched', 'true');
    var after = element.getAttribute('data-lazy-after');
    if (after) {
      afterDrawn(after, function () { observe(element); });
    } else {
      observe(element);
    }
  }

  function observe(element) {
    if (!('IntersectionObserver' in window)) {
      reveal(element);
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting && reveal(element)) {
          observer.disconnect();
        }
      });
    }, {rootMargin: '400px 0px'});
    observer.observe(element);
  }

  function scan() {
    document.querySelectorAll('[data-lazy-store]:not([data-lazy-watched])').forEach(watch);
  }

  new MutationObserver(scan).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener('DOMContentLoaded', scan);
})();
