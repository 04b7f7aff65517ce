// Draws the extension icon, images/icon.png (run: node images/make-icon.mjs): three feature maps
// stacked in depth, the front one showing a vertical edge response, with a 3×3 receptive-field box.
// Drawn from code so anyone can change it; antialiased by 4×4 supersampling.
import { PNG } from 'pngjs';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SIZE = 128;
const SS = 4;

/** Straight alpha compositing of colour c with opacity a over the pixel (r, g, b, a) in acc. */
function over(acc, c, a) {
  const outA = a + acc[3] * (1 - a);
  if (outA === 0) return;
  for (let k = 0; k < 3; k++) acc[k] = (c[k] * a + acc[k] * acc[3] * (1 - a)) / outA;
  acc[3] = outA;
}

/** A rounded square from (x0, y0) of side s with corner radius r: does it cover point (x, y)? */
function inRoundRect(x, y, x0, y0, s, r) {
  if (x < x0 || y < y0 || x >= x0 + s || y >= y0 + s) return false;
  const cx = Math.min(Math.max(x, x0 + r), x0 + s - r);
  const cy = Math.min(Math.max(y, y0 + r), y0 + s - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

const maps = [
  { x: 44, y: 8, s: 76, fill: [46, 64, 120] },
  { x: 26, y: 26, s: 76, fill: [52, 96, 170] },
  { x: 8, y: 44, s: 76, fill: [34, 40, 56] },
];
const grid = 8; // the front map is an 8×8 grid of units

/** The colour of the front map's unit (i, j): a bright vertical edge in columns 3 and 4. */
function unit(i) {
  const v = i === 3 || i === 4 ? 1 : i === 2 || i === 5 ? 0.35 : 0.06;
  return [30 + 225 * v, 40 + 170 * v, 60 + 40 * v];
}

function sample(x, y) {
  const acc = [0, 0, 0, 0];
  for (const [n, m] of maps.entries()) {
    if (!inRoundRect(x, y, m.x - 2, m.y - 2, m.s + 4, 8)) continue;
    const inner = inRoundRect(x, y, m.x, m.y, m.s, 6);
    if (!inner) { over(acc, [235, 240, 250], 1); continue; } // white border
    if (n < maps.length - 1) { over(acc, m.fill, 1); continue; }
    const cell = m.s / grid;
    const i = Math.floor((x - m.x) / cell);
    const j = Math.floor((y - m.y) / cell);
    const gx = (x - m.x) - i * cell;
    const gy = (y - m.y) - j * cell;
    const gap = gx < 0.8 || gy < 0.8;
    over(acc, gap ? m.fill : unit(i), 1);
    // The receptive-field box of one unit: a 3×3 window outlined in orange.
    const bx = m.x + 2 * cell, by = m.y + 2 * cell, bs = 3 * cell;
    const onBox = x >= bx - 1.5 && x <= bx + bs + 1.5 && y >= by - 1.5 && y <= by + bs + 1.5
      && !(x > bx + 1.5 && x < bx + bs - 1.5 && y > by + 1.5 && y < by + bs - 1.5);
    if (onBox) over(acc, [255, 150, 40], 1);
  }
  return acc;
}

const png = new PNG({ width: SIZE, height: SIZE });
for (let y = 0; y < SIZE; y++) {
  for (let x = 0; x < SIZE; x++) {
    const sum = [0, 0, 0, 0];
    for (let sy = 0; sy < SS; sy++) {
      for (let sx = 0; sx < SS; sx++) {
        const c = sample(x + (sx + 0.5) / SS, y + (sy + 0.5) / SS);
        for (let k = 0; k < 3; k++) sum[k] += c[k] * c[3];
        sum[3] += c[3];
      }
    }
    const i = 4 * (y * SIZE + x);
    const a = sum[3] / (SS * SS);
    for (let k = 0; k < 3; k++) png.data[i + k] = sum[3] ? Math.round(sum[k] / sum[3]) : 0;
    png.data[i + 3] = Math.round(255 * a);
  }
}
writeFileSync(fileURLToPath(new URL('icon.png', import.meta.url)), PNG.sync.write(png));
