// Writes the small test pictures in this folder (run: node samples/images/make-images.mjs).
// They are drawn from code so anyone can regenerate them; no photo licences involved.
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));

function write(name, w, h, pixel) {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = pixel(x, y);
      const i = 4 * (y * w + x);
      png.data[i] = r; png.data[i + 1] = g; png.data[i + 2] = b; png.data[i + 3] = 255;
    }
  }
  writeFileSync(here(name), PNG.sync.write(png));
  return png;
}

// A vertical edge: dark left half, bright right half. Sobel x lights up the middle columns.
write('edge.png', 128, 128, (x) => (x < 64 ? [40, 40, 40] : [215, 215, 215]));

// Shapes on a soft gradient: a square (straight edges), a disc (curved edges) and a diagonal bar.
const shapes = write('shapes.png', 224, 224, (x, y) => {
  let v = 60 + Math.round((x + y) / 8);
  let c = [v, v, v + 20];
  if (x >= 30 && x < 100 && y >= 30 && y < 100) c = [220, 60, 50];
  if ((x - 160) ** 2 + (y - 70) ** 2 < 40 ** 2) c = [60, 170, 230];
  if (Math.abs(x - y) < 8 && y > 120) c = [250, 220, 80];
  return c;
});
writeFileSync(here('shapes.jpg'), jpeg.encode({ data: shapes.data, width: 224, height: 224 }, 90).data);
