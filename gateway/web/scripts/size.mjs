// Prints the gzipped size of the JavaScript each page's first load fetches (its entry
// and every chunk it imports statically, as Vite's manifest lists them) and fails when
// the portal's passes the budget: a cheap phone on a slow network must open it fast.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const DIST = join(import.meta.dirname, '..', 'dist');
/** Issue 15: the portal's first load under 200 KB of JavaScript, gzipped. */
const BUDGET = 200 * 1000;

/** @type {Record<string, {file: string, imports?: string[], css?: string[], isEntry?: boolean}>} */
const manifest = JSON.parse(readFileSync(join(DIST, '.vite', 'manifest.json'), 'utf8'));

/**
 * The files a page loads before it runs: its entry chunk and its static imports.
 * @param {string} entry
 */
function firstLoad(entry) {
  const js = new Set();
  const css = new Set();
  /** @param {string} key */
  const visit = (key) => {
    const chunk = manifest[key];
    if (!chunk) throw new Error(`${key} is not in the manifest`);
    if (js.has(chunk.file)) return;
    js.add(chunk.file);
    for (const file of chunk.css ?? []) css.add(file);
    for (const next of chunk.imports ?? []) visit(next);
  };
  visit(entry);
  return { js: [...js], css: [...css] };
}

/** @param {string} file */
const gzipped = (file) => gzipSync(readFileSync(join(DIST, file)), { level: 9 }).length;
/** @param {number} n */
const kb = (n) => `${(n / 1000).toFixed(1)} KB`;

let failed = false;
const initial = new Set();
/** @type {[string, string][]} */
const PAGES = [
  ['index.html', 'Portal (/)'],
  ['borne/index.html', 'Kiosk (/borne/)'],
  ['agents/index.html', 'Intranet (/agents/)'],
];
for (const [entry, label] of PAGES) {
  const { js, css } = firstLoad(entry);
  for (const f of js) initial.add(f);
  const jsSize = js.reduce((sum, f) => sum + gzipped(f), 0);
  const cssSize = css.reduce((sum, f) => sum + gzipped(f), 0);
  console.log(`${label}: first-load JavaScript ${kb(jsSize)} gzipped (${js.length} files), CSS ${kb(cssSize)} gzipped`);
  for (const f of js) console.log(`  ${f}  ${kb(gzipped(f))}`);
  if (entry === 'index.html' && jsSize > BUDGET) {
    console.error(`The portal's first load is ${kb(jsSize)} of JavaScript: over the ${kb(BUDGET)} budget.`);
    failed = true;
  }
}

// Chunks loaded later, when a page needs them (the map, the complaint form…).
const later = Object.values(manifest)
  .filter((c) => c.file.endsWith('.js') && !initial.has(c.file))
  .map((c) => ({ file: c.file, size: gzipped(c.file) }))
  .sort((a, b) => b.size - a.size);
console.log('Loaded on demand:');
for (const { file, size } of later) console.log(`  ${file}  ${kb(size)}`);

process.exit(failed ? 1 : 0);
