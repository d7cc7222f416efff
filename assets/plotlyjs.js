/* dcc.Graph loads plotly.js on first render from window._dashPlotlyJSURL, which dash-renderer sets to
 * Dash's full bundle. The atlas serves a partial bundle instead (dashboard/plotlyjs.py): its URL is the
 * page's <link rel="preload" id="plotlyjs-src">, already downloading, and this makes the variable read it.
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
