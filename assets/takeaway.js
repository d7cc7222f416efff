/* Chart images that stand alone once they leave the page (pages/explorer/downloads.py).
 *
 * A chart copied into a report or a slide loses the page around it: the heading that named it, the
 * cards that said which area and year, the filters, the footer with the licence. So the downloaded
 * image carries them itself: the chart's title, a subtitle with the area, year, filters and units, and
 * a source line with the Open Government Licence attribution and the link back to this exact view.
 * Only the exported copy changes (Plotly.downloadImage draws a figure object of its own); the chart on
 * the page is untouched.
 */
(function () {
  'use strict';

  /* Plotly titles and annotations do not wrap: break long text at spaces so it fits the image. */
  function wrap(text, width) {
    var lines = [], line = '';
    String(text || '').split(/\s+/).forEach(function (word) {
      while (word.length > width) {  // a long link: cut it, it stays readable and copyable
        if (line) { lines.push(line); line = ''; }
        lines.push(word.slice(0, width));
        word = word.slice(width);
      }
      if (line && (line + ' ' + word).length > width) { lines.push(line); line = word; }
      else { line = line ? line + ' ' + word : word; }
    });
    if (line) { lines.push(line); }
    return lines;
  }

  function escapeText(text) {
    return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  }

  function plainTitle(title) {
    var text = title && typeof title === 'object' ? title.text : title;
    return String(text || '').replace(/<br\s*\/?>/gi, ' ').replace(/<[^>]*>/g, '').trim();
  }

  /* The figure to export: the chart's data, its layout plus title, subtitle and source, sized to fit. */
  function exportFigure(data, layout, caption, title, href, width, height) {
    caption = caption || {};
    var units = plainTitle(layout.yaxis && layout.yaxis.title);
    var subtitle = [caption.subtitle, caption.filters, units ? 'Units: ' + units : '']
      .filter(Boolean).join('. ');
    var subLines = wrap(subtitle, 120);
    var source = [];
    (caption.source || []).forEach(function (part) { source = source.concat(wrap(part, 150)); });
    source = source.concat(wrap('View: ' + href, 150));
    var margin = Object.assign({l: 60, r: 20, t: 40, b: 60}, layout.margin || {});
    var top = 70 + 16 * subLines.length + 30;
    var sourceHeight = 15 * source.length + 10;
    var bottom = margin.b + sourceHeight;
    var plotHeight = Math.max(height - top - bottom, 100);
    var out = Object.assign({}, layout, {
      width: width, height: height,
      title: {text: '<b>' + escapeText(title) + '</b>', x: 0.01, xanchor: 'left', xref: 'container',
              y: 0.985, yanchor: 'top', yref: 'container', font: {size: 20},
              subtitle: {text: subLines.map(escapeText).join('<br>'), font: {size: 13, color: '#505a5f'}}},
      margin: Object.assign({}, margin, {t: top, b: bottom}),
      annotations: (layout.annotations || []).concat([{
        text: source.map(escapeText).join('<br>'), showarrow: false, align: 'left',
        xref: 'paper', yref: 'paper', x: 0, xanchor: 'left', y: -(margin.b + 4) / plotHeight, yanchor: 'top',
        font: {size: 11, color: '#505a5f'}
      }])
    });
    if (out.legend && out.legend.orientation === 'h' && (out.legend.y === undefined || out.legend.y > 1)) {
      out.legend = Object.assign({}, out.legend, {y: 1.02, yanchor: 'bottom'});
    }
    return {data: data, layout: out};
  }

  function chartImage(format) {
    return function (clicks, caption) {
      var context = window.dash_clientside.callback_context;
      var trigger = context.triggered_id;
      if (!trigger || !clicks.some(Boolean)) { return window.dash_clientside.no_update; }
      var graph = document.querySelector('#' + trigger.chart + ' .js-plotly-plot');
      if (!graph || !graph.data) { return window.dash_clientside.no_update; }
      var heading = document.getElementById(trigger.chart + '-title');
      var title = heading ? heading.textContent.trim() : trigger.chart;
      var width = 1200, height = 800;
      var figure = exportFigure(graph.data, graph.layout, caption, title, window.location.href, width, height);
      window.Plotly.downloadImage(figure, {format: format, filename: 'equity-atlas-' + trigger.chart,
                                           width: width, height: height});
      return window.dash_clientside.no_update;
    };
  }

  window.atlasTakeaway = {exportFigure: exportFigure, wrap: wrap};
  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.takeaway = {png: chartImage('png'), svg: chartImage('svg')};
})();
