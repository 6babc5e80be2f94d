// Writes a `.gz` beside every text file of the build: the gateway serves it to browsers
// that accept gzip (tower-http's precompressed files), so nothing is compressed per
// request and a cheap phone downloads the sizes `size.mjs` reports.

import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const DIST = join(import.meta.dirname, '..', 'dist');
const TEXT = /\.(?:html|js|css|svg|json|webmanifest|txt)$/;

/**
 * @param {string} dir
 * @returns {Generator<string>}
 */
function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

let count = 0;
for (const path of files(DIST)) {
  if (!TEXT.test(path) || path.includes(`${DIST}/.vite`)) continue;
  writeFileSync(`${path}.gz`, gzipSync(readFileSync(path), { level: 9 }));
  count += 1;
}
console.log(`${count} files precompressed (.gz) for the gateway.`);
