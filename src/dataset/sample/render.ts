/**
 * Renders a layout as a satellite-like RGB image. Contrast is set in units of the image's own
 * noise sigma, so edges are as easy or hard to see whatever the brightness or noise level:
 * - a normal ("sharp") building differs from the ground around it by 3-9 sigma in luma, with a
 *   crisp edge and, for bright roofs, a cast shadow on the sun-facing side;
 * - a low-contrast building sits in its own shadow: the ground within 3.5 px is darkened (fading
 *   out by 6 px) and the roof takes the tone of that shadow within +-0.5 sigma, with its edge
 *   blurred over ~1 px. Its roof texture is faint too;
 * - a solar panel is drawn over its roof: 3-8 sigma darker (sharp) or within +-0.5 sigma of the
 *   roof (low-contrast, blurred edge).
 * Per image: noise sigma 1.5-7 grey levels, brightness gain 0.8-1.15 and offset +-15, ground
 * colour, low-frequency ground texture, roads and trees.
 */
import { buildingBounds, CLASS, distanceField, roadSpan, type Building, type Layout, type Panel, type Road } from './layout.js';
import { NORMAL_TABLE, type Random } from './prng.js';

type Rgb = [number, number, number];

const GROUND_ARTICLE: Rgb[] = [
  [96, 112, 72], // grass
  [140, 134, 98], // dry grass
  [128, 108, 86], // bare soil
  [108, 110, 84], // scrub
];
const GROUND_URBAN: Rgb[] = [
  [118, 118, 122], // concrete
  [96, 98, 102], // asphalt
];
/** Roof materials per class; only their chroma is used, luma is set by the contrast rule. */
const MATERIAL: Record<number, Rgb[]> = {
  [CLASS.pitched]: [[176, 92, 70], [150, 110, 90], [100, 100, 108]],
  [CLASS.flat]: [[150, 150, 146], [130, 124, 118]],
  [CLASS.industrial]: [[180, 186, 194], [150, 162, 176]],
  [CLASS.greenhouse]: [[206, 214, 210]],
};
const PANEL_CHROMA: Rgb = [-10, -3, 16];

const luma = (c: Rgb): number => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
const chromaOf = (c: Rgb): Rgb => {
  const l = luma(c);
  return [c[0] - l, c[1] - l, c[2] - l];
};

/**
 * Smooth random field in [-1, 1] with features about `cell` px across (value noise with
 * smoothstep interpolation). Rows are filled one at a time: the grid is interpolated down to the
 * row once, then each pixel is one interpolation along it.
 */
class ValueNoise {
  private readonly grid: Float32Array;
  private readonly gw: number;
  private readonly column: Int32Array;
  private readonly weight: Float32Array;
  private readonly rowValues: Float32Array;

  constructor(
    width: number,
    height: number,
    private readonly cell: number,
    random: Random,
  ) {
    this.gw = Math.ceil(width / cell) + 2;
    const gh = Math.ceil(height / cell) + 2;
    this.grid = new Float32Array(this.gw * gh);
    for (let i = 0; i < this.grid.length; i++) this.grid[i] = random.uniform(-1, 1);
    this.column = new Int32Array(width);
    this.weight = new Float32Array(width);
    for (let x = 0; x < width; x++) {
      const fx = x / cell;
      this.column[x] = Math.floor(fx);
      this.weight[x] = smoothstep(fx - this.column[x]);
    }
    this.rowValues = new Float32Array(this.gw);
  }

  /** Writes row y of the field into `out`. */
  row(y: number, out: Float32Array): void {
    const fy = y / this.cell;
    const gy = Math.floor(fy);
    const ty = smoothstep(fy - gy);
    const { grid, gw, rowValues, column, weight } = this;
    for (let g = 0; g < gw; g++) rowValues[g] = grid[gy * gw + g] + (grid[(gy + 1) * gw + g] - grid[gy * gw + g]) * ty;
    for (let x = 0; x < out.length; x++) {
      const a = rowValues[column[x]];
      out[x] = a + (rowValues[column[x] + 1] - a) * weight[x];
    }
  }
}

const smoothstep = (t: number): number => t * t * (3 - 2 * t);

class Canvas {
  readonly r: Float32Array;
  readonly g: Float32Array;
  readonly b: Float32Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.r = new Float32Array(width * height);
    this.g = new Float32Array(width * height);
    this.b = new Float32Array(width * height);
  }
  blend(i: number, color: Rgb, alpha: number): void {
    this.r[i] += (color[0] - this.r[i]) * alpha;
    this.g[i] += (color[1] - this.g[i]) * alpha;
    this.b[i] += (color[2] - this.b[i]) * alpha;
  }
  scale(i: number, factor: number): void {
    this.r[i] *= factor;
    this.g[i] *= factor;
    this.b[i] *= factor;
  }
  luma(i: number): number {
    return 0.299 * this.r[i] + 0.587 * this.g[i] + 0.114 * this.b[i];
  }
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

export interface RenderInfo {
  noiseSigma: number;
}

/** Renders `layout` into interleaved 8-bit RGB. */
export function renderImage(layout: Layout, random: Random, urban: boolean): { rgb: Uint8Array; info: RenderInfo } {
  const { width, height, objectIds, objects } = layout;
  const canvas = new Canvas(width, height);
  const sigma = Math.exp(random.uniform(Math.log(1.5), Math.log(7)));
  const gain = random.uniform(0.8, 1.15);
  const offset = random.uniform(-15, 15);
  const ground = random.pick(urban ? GROUND_URBAN : GROUND_ARTICLE);

  paintGround(canvas, ground, random);
  for (const road of layout.roads) paintRoad(canvas, road, random.chance(0.6) ? [168, 166, 160] : [84, 86, 90]);

  for (const tree of layout.trees) {
    const shade = random.uniform(0.85, 1.15);
    const color: Rgb = [52 * shade, 72 * shade, 44 * shade];
    const reach = Math.ceil(tree.radius + 1);
    for (let y = Math.floor(tree.y) - reach; y <= tree.y + reach; y++) {
      for (let x = Math.floor(tree.x) - reach; x <= tree.x + reach; x++) {
        if (x < 0 || y < 0 || x >= width || y >= height) continue;
        const d = Math.hypot(x + 0.5 - tree.x, y + 0.5 - tree.y);
        const alpha = clamp01(tree.radius + 0.5 - d);
        if (alpha > 0) canvas.blend(y * width + x, color, alpha * (0.75 + 0.25 * (1 - d / (tree.radius + 1))));
      }
    }
  }

  const buildings = objects.filter((o): o is Building => o.kind === 'building');
  // Shadow halos of low-contrast buildings: the ground around and under the building (its soft
  // edge lets some of the ground under it show).
  for (const b of buildings) {
    if (!b.lowContrast) continue;
    const depth = random.uniform(0.15, 0.35);
    const distance = distanceField(b);
    const [x0, y0, x1, y1] = buildingBounds(b, 6, width, height);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * width + x;
        if (objectIds[i] !== 0 && objectIds[i] !== b.id) continue;
        const d = distance(x, y);
        if (d >= 6) continue;
        canvas.scale(i, 1 - depth * (d <= 3.5 ? 1 : (6 - d) / 2.5));
      }
    }
  }

  // The tone of the ground right around each building (after halos), the reference for its contrast.
  const rings = new Map<number, Rgb>();
  for (const b of buildings) {
    const [x0, y0, x1, y1] = buildingBounds(b, 3, width, height);
    const distance = distanceField(b);
    const sum: Rgb = [0, 0, 0];
    let n = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * width + x;
        if (objectIds[i] !== 0) continue;
        const d = distance(x, y);
        if (d <= 0 || d > 3) continue;
        sum[0] += canvas.r[i];
        sum[1] += canvas.g[i];
        sum[2] += canvas.b[i];
        n++;
      }
    }
    rings.set(b.id, n > 0 ? [sum[0] / n, sum[1] / n, sum[2] / n] : [ground[0], ground[1], ground[2]]);
  }

  const sun = random.uniform(0, 2 * Math.PI);
  const shadowLength = random.uniform(2, 4);
  for (const b of buildings) drawBuilding(canvas, layout, b, rings.get(b.id)!, sigma, random, { dx: Math.cos(sun) * shadowLength, dy: Math.sin(sun) * shadowLength });
  for (const o of objects) if (o.kind === 'panel') drawPanel(canvas, o, sigma, random);

  const rgb = expose(canvas, sigma, gain, offset, random.int(1, 0x7fffffff));
  return { rgb, info: { noiseSigma: sigma * gain } };
}

function paintGround(canvas: Canvas, ground: Rgb, random: Random): void {
  // Base colour with two octaves of low-frequency texture (fields, wear, moisture) and a tint.
  const { width, height, r, g, b } = canvas;
  const coarse = new ValueNoise(width, height, 64, random);
  const fine = new ValueNoise(width, height, 20, random);
  const tint = new ValueNoise(width, height, 48, random);
  const coarseRow = new Float32Array(width);
  const fineRow = new Float32Array(width);
  const tintRow = new Float32Array(width);
  for (let y = 0; y < height; y++) {
    coarse.row(y, coarseRow);
    fine.row(y, fineRow);
    tint.row(y, tintRow);
    for (let x = 0, i = y * width; x < width; x++, i++) {
      const t = 10 * coarseRow[x] + 4 * fineRow[x];
      const k = 6 * tintRow[x];
      r[i] = ground[0] + t + k;
      g[i] = ground[1] + t;
      b[i] = ground[2] + t - k;
    }
  }
}

function paintRoad(canvas: Canvas, road: Road, color: Rgb): void {
  const { width, height } = canvas;
  const cos = Math.cos(road.angle);
  const sin = Math.sin(road.angle);
  const half = road.width / 2 + 0.5;
  for (let y = 0; y < height; y++) {
    // Distance from the centre line is linear in x along a row: |a - x * sin|.
    const a = (y + 0.5 - road.y) * cos - (0.5 - road.x) * sin;
    const [from, to] = roadSpan(a, sin, half, width);
    for (let x = from; x < to; x++) {
      const d = Math.abs(a - x * sin);
      if (d >= half) continue;
      canvas.blend(y * width + x, color, Math.min(1, half - d));
    }
  }
}

/** Adds sensor noise (mostly luminance, a little chroma), applies the exposure, rounds to bytes. */
function expose(canvas: Canvas, sigma: number, gain: number, offset: number, seed: number): Uint8Array {
  const { width, height, r, g, b } = canvas;
  // Clamped bytes: out-of-range values saturate, fractions round.
  const rgb = new Uint8ClampedArray(width * height * 3);
  const table = NORMAL_TABLE;
  const noise = gain * sigma;
  const chroma = 0.25 * noise;
  const base = offset;
  let state = seed | 0; // xorshift32, kept in a local so it stays an unboxed int
  for (let i = 0, j = 0; i < width * height; i++, j += 3) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const n = base + noise * table[state & 0xffff];
    const c = (state >>> 16) & 0xffff;
    rgb[j] = gain * r[i] + n + chroma * table[c];
    rgb[j + 1] = gain * g[i] + n + chroma * table[(c * 7 + 1) & 0xffff];
    rgb[j + 2] = gain * b[i] + n + chroma * table[(c * 13 + 2) & 0xffff];
  }
  return new Uint8Array(rgb.buffer);
}

/** Roof texture per class, in units of its amplitude: pitched faces, corrugation, greenhouse ribs. */
function texture(classId: number, u: number, v: number): number {
  switch (classId) {
    case CLASS.pitched:
      return v >= 0 ? 1 : -1;
    case CLASS.industrial:
      return Math.floor(u / 3) % 2 === 0 ? 0.8 : -0.8;
    case CLASS.greenhouse:
      return Math.abs(u % 4) < 1 ? 1 : 0;
    default:
      return 0;
  }
}

function drawBuilding(canvas: Canvas, layout: Layout, b: Building, ring: Rgb, sigma: number, random: Random, shadow: { dx: number; dy: number }): void {
  const { width, height, objectIds } = layout;
  const material = chromaOf(random.pick(MATERIAL[b.classId]));
  const ringLuma = luma(ring);
  let delta: number;
  let base: Rgb;
  if (b.lowContrast) {
    delta = random.uniform(-0.5, 0.5) * sigma;
    base = [ring[0] + delta + 0.25 * material[0], ring[1] + delta + 0.25 * material[1], ring[2] + delta + 0.25 * material[2]];
  } else {
    const brighter = b.classId === CLASS.industrial || b.classId === CLASS.greenhouse || random.chance(0.6);
    delta = random.uniform(3, 9) * sigma * (brighter ? 1 : -1);
    if (ringLuma + delta > 225 || ringLuma + delta < 30) delta = -delta;
    base = [ringLuma + delta + material[0], ringLuma + delta + material[1], ringLuma + delta + material[2]];
  }
  const amplitude = (b.lowContrast ? 0.3 : 1) * sigma;
  const cos = Math.cos(b.angle);
  const sin = Math.sin(b.angle);
  const [x0, y0, x1, y1] = buildingBounds(b, 5, width, height);

  if (!b.lowContrast && delta > 0) {
    // Cast shadow on the ground beside a bright roof: only makes its edge stronger.
    const depth = random.uniform(0.2, 0.35);
    const shifted = distanceField({ ...b, cx: b.cx + shadow.dx, cy: b.cy + shadow.dy });
    const own = distanceField(b);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * width + x;
        if (objectIds[i] !== 0 || own(x, y) <= 0) continue;
        if (shifted(x, y) <= 0) canvas.scale(i, 1 - depth);
      }
    }
  }

  const distance = distanceField(b);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = y * width + x;
      const d = distance(x, y);
      // Sharp: exactly the mask. Low contrast: a soft edge over ~1.2 px.
      const alpha = b.lowContrast ? clamp01(0.5 - d / 1.2) : d <= 0 ? 1 : 0;
      if (alpha <= 0) continue;
      const dx = x + 0.5 - b.cx;
      const dy = y + 0.5 - b.cy;
      const t = amplitude * texture(b.classId, dx * cos + dy * sin + b.halfLength, -dx * sin + dy * cos);
      canvas.blend(i, [base[0] + t, base[1] + t, base[2] + t], alpha);
    }
  }
}

function drawPanel(canvas: Canvas, p: Panel, sigma: number, random: Random): void {
  const { width } = canvas;
  let delta: number;
  let chroma: number;
  if (p.lowContrast) {
    delta = random.uniform(-0.5, 0.5) * sigma;
    chroma = 0.2;
  } else {
    delta = -random.uniform(3, 8) * sigma;
    chroma = 1;
  }
  const centre = (p.y0 + (p.height >> 1)) * width + p.x0 + (p.width >> 1);
  if (!p.lowContrast && canvas.luma(centre) + delta < 20) delta = -delta; // a dark roof: the panel glints instead
  const reach = p.lowContrast ? 1 : 0;
  for (let y = p.y0 - reach; y < p.y0 + p.height + reach; y++) {
    for (let x = p.x0 - reach; x < p.x0 + p.width + reach; x++) {
      const i = y * width + x;
      // Distance from the pixel centre to the panel rectangle (negative inside).
      const qx = Math.abs(x + 0.5 - (p.x0 + p.width / 2)) - p.width / 2;
      const qy = Math.abs(y + 0.5 - (p.y0 + p.height / 2)) - p.height / 2;
      const d = Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0);
      const alpha = p.lowContrast ? clamp01(0.5 - d / 1.2) : d <= 0 ? 1 : 0;
      if (alpha <= 0) continue;
      // Over the roof as rendered, so the step across the panel's edge is delta wherever it sits.
      canvas.r[i] += alpha * (delta + chroma * PANEL_CHROMA[0]);
      canvas.g[i] += alpha * (delta + chroma * PANEL_CHROMA[1]);
      canvas.b[i] += alpha * (delta + chroma * PANEL_CHROMA[2]);
    }
  }
}
