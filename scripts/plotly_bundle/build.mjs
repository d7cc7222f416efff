// Builds dashboard/static/plotly-atlas.min.js: plotly.js with only the trace types Equity Atlas draws.
//
//   cd scripts/plotly_bundle && npm ci && node build.mjs
//
// This follows plotly.js's own partial/custom bundle tasks (tasks/partial_bundle.mjs and
// tasks/util/bundle_wrapper.mjs in the plotly.js repository, not shipped in the npm package):
//   - the index is lib/index.js with every trace (and component) we do not use removed, as
//     tasks/partial_bundle.mjs does (`npm run custom-bundle` would keep calendars; we drop them);
//   - esbuild with the settings of the shipped esbuild-config.js (iife, global `Plotly`, es2016,
//     inline CSS for maplibre, minified GLSL for the WebGL traces, NODE_DEBUG off, global = window,
//     and from plotly.js 4 on the alias of regl to @plotly/regl);
//   - attribute meta (descriptions, hrName, ...) stripped as tasks/compress_attributes.js does;
//   - the same UMD wrapper and `window.Plotly = Plotly` as the dist bundles, under a license header.
// Add a trace to TRACES before a figure uses it: tests/unit/test_plotly_bundle.py compares this header's
// trace list with the traces the app's figures draw.

import { build } from 'esbuild';
import { glsl } from 'esbuild-plugin-glsl';
import InlineCSSPlugin from 'esbuild-plugin-inline-css';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const TRACES = ['bar', 'choroplethmap', 'scatter', 'scattergl', 'scattermap'];
// No components: lib/index.js's only one is `calendars` (world calendars, 23 KB gzipped), and no figure
// sets a *calendar attribute. Add 'calendars' here if one ever does.
const COMPONENTS = [];

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const plotlyRoot = path.dirname(require.resolve('plotly.js/package.json'));
const plotlyLib = path.join(plotlyRoot, 'lib');
const version = JSON.parse(fs.readFileSync(path.join(plotlyRoot, 'package.json'), 'utf8')).version;
const outfile = path.resolve(here, '../../dashboard/static/plotly-atlas.min.js');

// --- the index: lib/index.js minus the traces we leave out ---------------------------------------
const mainIndex = fs.readFileSync(path.join(plotlyLib, 'index.js'), 'utf8');
const listed = [...mainIndex.matchAll(/require\('\.\/([\w-]+)'\)/g)].map((m) => m[1]).filter((n) => n !== 'core');
for (const name of [...TRACES, ...COMPONENTS]) {
    // scatter is built into core (src/core.js registers it), so lib/index.js never lists it
    if (name !== 'scatter' && !listed.includes(name)) throw new Error(`${name} is not in plotly.js ${version}'s lib/index.js`);
}
let index = mainIndex;
for (const name of listed.filter((n) => !TRACES.includes(n) && !COMPONENTS.includes(n))) {
    const next = index.replace(new RegExp(`\\s*require\\('\\./${name}'\\),`, 'g'), '');
    if (next === index) throw new Error(`could not drop ${name} from lib/index.js`);
    index = next;
}
// --- tasks/compress_attributes.js (plotly.js's strip-meta-attributes plugin), same patterns ----------
// Applied to plotly.js's own sources only (upstream applies it to every .js file; dependencies ship
// minified code where these patterns do not occur, and a stray match there could break them).
const WHITESPACE_BEFORE = '\\s*';
const OPTIONAL_COMMA = ',?';
const makeRegex = (regexStr) => new RegExp(WHITESPACE_BEFORE + regexStr + OPTIONAL_COMMA, 'g');
const makeStringRegex = (attr) => makeRegex(attr + ": '.*'");
const makeJoinedArrayRegex = (attr) => makeRegex(attr + ': \\[[\\s\\S]*?\\]' + '\\.join\\([\\s\\S]*?\\)');
const makeArrayRegex = (attr) => makeRegex(attr + ': \\[[\\s\\S]*?\\]');
const allRegexes = [
    makeStringRegex('description'),
    makeJoinedArrayRegex('description'),
    makeArrayRegex('requiredOpts'),
    makeArrayRegex('otherOpts'),
    makeStringRegex('role'),
    makeStringRegex('hrName'),
];
const escaped = plotlyRoot.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const stripMeta = {
    name: 'strip-meta-attributes',
    setup(b) {
        b.onLoad({ filter: new RegExp(`^${escaped}[\\\\/](src|lib)[\\\\/].*\\.js$`) }, async (file) => {
            let contents = await fs.promises.readFile(file.path, 'utf8');
            for (const r of allRegexes) contents = contents.replace(r, '');
            return { contents, loader: 'js' };
        });
    },
};

// --- build ------------------------------------------------------------------------------------
const result = await build({
    stdin: { contents: index, resolveDir: plotlyLib, sourcefile: 'index-atlas.js', loader: 'js' },
    outfile,
    write: false,
    format: 'iife',
    globalName: 'Plotly',
    bundle: true,
    minify: true,
    sourcemap: false,
    legalComments: 'eof',
    plugins: [InlineCSSPlugin(), glsl({ minify: true }), stripMeta],
    // plotly.js 4 points regl (used by gl-text) at its own fork, deduplicating it with @plotly/regl
    alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
    define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
    target: 'es2016',
    logLevel: 'warning',
});
const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
if (!js) throw new Error('esbuild wrote no JavaScript');

// The copyright line of plotly.js's own dist header, so a rebuild of the same version is byte-identical.
const distHeader = fs.readFileSync(path.join(plotlyRoot, 'dist', 'plotly.min.js'), 'utf8').slice(0, 400);
const copyright = (distHeader.match(/\* Copyright [^\n]*/) || ['* Copyright Plotly, Inc.'])[0];
const header = [
    '/**',
    `* plotly.js (equity-atlas - minified) v${version}`,
    `* traces: ${TRACES.join(', ')}`,
    `* components: ${COMPONENTS.join(', ') || 'none'}`,
    '* Built by scripts/plotly_bundle/build.mjs: cd scripts/plotly_bundle && npm ci && node build.mjs',
    copyright,
    '* All rights reserved.',
    '* Licensed under the MIT license',
    '*/',
].join('\n');
// bundle_wrapper.mjs's UMD wrapper, as in the dist bundles
const wrapped = [
    header,
    '(',
    ' function(root, factory) {',
    '  if (typeof module === "object" && module.exports) {',
    '   module.exports = factory();',
    '  } else {',
    '   root.moduleName = factory();',
    '  }',
    '} (typeof self !== "undefined" ? self : this, () => {',
    js.text.trimEnd(),
    '',
    'window.Plotly = Plotly;',
    'return Plotly;',
    '}));',
    '',
].join('\n');
fs.mkdirSync(path.dirname(outfile), { recursive: true });
fs.writeFileSync(outfile, wrapped);
const css = result.outputFiles.filter((f) => f.path.endsWith('.css'));
if (css.length) console.warn(`ignored ${css.length} CSS output file(s): CSS is expected inline`);
console.log(`${path.relative(process.cwd(), outfile)}: plotly.js ${version}, traces ${TRACES.join(', ')}; `
    + `${(Buffer.byteLength(wrapped) / 1e6).toFixed(2)} MB`);
