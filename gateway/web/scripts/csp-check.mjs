// Fails when a built page holds what the gateway's Content-Security-Policy would block
// (`script-src 'self'`): an inline script, an inline event handler, or a script or
// stylesheet from another site.

import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const DIST = join(import.meta.dirname, '..', 'dist');

/**
 * @param {string} dir
 * @returns {string[]}
 */
function pages(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? pages(join(dir, e.name)) : e.name.endsWith('.html') ? [join(dir, e.name)] : [],
  );
}

const faults = [];
for (const page of pages(DIST)) {
  const html = readFileSync(page, 'utf8');
  const name = relative(DIST, page);
  for (const [, attributes] of html.matchAll(/<script\b([^>]*)>/gi)) {
    if (!/\bsrc=/.test(attributes ?? '')) faults.push(`${name}: inline <script>`);
  }
  if (/<[^>]+\son[a-z]+\s*=/i.test(html)) faults.push(`${name}: inline event handler`);
  for (const [, url] of html.matchAll(/\b(?:src|href)="((?:https?:)?\/\/[^"]+)"/gi)) {
    faults.push(`${name}: loads ${url} from another site`);
  }
}
if (faults.length > 0) {
  console.error(`Pages the CSP would break:\n  ${faults.join('\n  ')}`);
  process.exit(1);
}
console.log('CSP check: no inline script or handler, nothing from another site.');
