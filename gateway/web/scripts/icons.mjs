// Draws the installed app's PNG icons (`public/icons/`) from the same picture as
// `public/favicon.svg` — a white house on the city's default primary colour — with
// Node's built-ins only (zlib for PNG), so no image tool is needed. Run once when the
// picture changes (`node scripts/icons.mjs`); the PNGs are committed.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

const OUT = join(import.meta.dirname, '..', 'public', 'icons');
/** The default primary colour (`city.ts`), also the manifest's theme colour. */
const PRIMARY = [0x7a, 0x1f, 0x2b];
const WHITE = [0xff, 0xff, 0xff];
/** The house of `favicon.svg`, in its 32-unit box. */
const HOUSE = [[8, 24], [8, 13], [16, 7], [24, 13], [24, 24], [19, 24], [19, 18], [13, 18], [13, 24]];
/** Samples per pixel side: smooth edges. */
const SAMPLES = 4;

/**
 * @param {number} x
 * @param {number} y
 */
function inHouse(x, y) {
  let inside = false;
  for (let i = 0, j = HOUSE.length - 1; i < HOUSE.length; j = i++) {
    const [xi = 0, yi = 0] = HOUSE[i] ?? [];
    const [xj = 0, yj = 0] = HOUSE[j] ?? [];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Inside the background: a square with rounded corners (radius `r` units), or the whole
 * square for a maskable icon (the platform cuts its own shape).
 * @param {number} x
 * @param {number} y
 * @param {number} r
 */
function inBackground(x, y, r) {
  if (r === 0) return true;
  const cx = Math.min(Math.max(x, r), 32 - r);
  const cy = Math.min(Math.max(y, r), 32 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/**
 * @param {number} size
 * @param {number} radius
 */
function draw(size, radius) {
  const rows = [];
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let px = 0; px < size; px++) {
      let ground = 0;
      let house = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const x = ((px + (sx + 0.5) / SAMPLES) * 32) / size;
          const y = ((py + (sy + 0.5) / SAMPLES) * 32) / size;
          if (!inBackground(x, y, radius)) continue;
          if (inHouse(x, y)) house++;
          else ground++;
        }
      }
      const covered = ground + house;
      const at = 1 + px * 4;
      for (let c = 0; c < 3; c++) {
        // Colour of the covered part; its coverage is the alpha.
        row[at + c] = covered === 0 ? 0 : Math.round(((PRIMARY[c] ?? 0) * ground + (WHITE[c] ?? 0) * house) / covered);
      }
      row[at + 3] = Math.round((covered * 255) / (SAMPLES * SAMPLES));
    }
    rows.push(row);
  }
  return png(size, Buffer.concat(rows));
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** @param {Buffer} bytes */
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * @param {string} type
 * @param {Buffer} data
 */
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * An 8-bit RGBA PNG of filtered rows (filter 0 at each row's start).
 * @param {number} size
 * @param {Buffer} raw
 */
function png(size, raw) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'icon-192.png'), draw(192, 6));
writeFileSync(join(OUT, 'icon-512.png'), draw(512, 6));
// Maskable: the house stays inside the central safe circle (40 % of the side).
writeFileSync(join(OUT, 'icon-maskable-512.png'), draw(512, 0));
console.log(`Icons written to ${OUT}.`);
