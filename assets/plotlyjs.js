/* dcc.Graph loads plotly.js on first render from window._dashPlotlyJSURL, which dash-renderer sets to
 * Dash's full bundle. The atlas serves a partial bundle instead (dashboard/plotlyjs.py): its URL is the
 * page's <link rel="preload" id="plotlyjs-src">, already downloading, and this makes the variable read it.
 * This variable's name is the one piece of Dash's internals the atlas relies on (Dash 4.4: dash-renderer
 * sets it, dcc.Graph reads it). If a release renames it, the full bundle loads instead and
 * tests/e2e/test_explorer.py's check that plotly.min.js is never requested fails.
 */
(function () {
  'use strict';
  var link = document.getElementById('plotlyjs-src');
  if (!link) {
    return;
  }
  var url = link.getAttribute('href');
  Object.defineProperty(window, '_dashPlotlyJSURL', {
    configurable: true,
    get: function () { return url; },
    set: function () { /* dash-renderer's full-bundle path: ignored */ }
  });
})();
