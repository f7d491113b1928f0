/**
 * Writes the project's reference cases for the distance-based losses (test/fixtures/losses/
 * case-boundary*.json, the ../shared/fixtures format) with expected values from the float64
 * reference (reference.ts: brute-force distances, no code shared with src/losses).
 * Run: npx tsx test/losses/generate-boundary-fixtures.ts
 * Deterministic: the same seed gives the same file. Logits are drawn until no softmax probability
 * is within 1e-3 of 0.5, so the thresholded mask of hausdorff_dt is the same in float32 and float64.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fixtureLossForKey } from '../../src/losses/fixture-keys.js';
import { resolveLossParams } from '../../src/losses/params.js';
import { mulberry32 } from '../../src/common/random.js';
import { referenceLoss, type Batch } from './reference.js';

export const BOUNDARY_FIXTURE_KEYS = [
  'boundary',
  'boundary_with_background',
  'dice_boundary',
  'dice_boundary_progress0',
  'dice_boundary_progress0.5',
  'dice_boundary_alpha0.05_to2_progress0.9',
  'dice_boundary_increase_progress0.5',
  'dice_boundary_constant_progress0.5',
  'dice_boundary_no_background_progress0.25',
  'hausdorff_dt',
  'hausdorff_dt_alpha1',
  'hausdorff_dt_with_background',
  'hausdorff_dt_batch',
];

interface CaseSpec {
  file: string;
  seed: number;
  shape: [number, number, number, number];
  ignoreIndex: number | null;
  /** Paints labels[img][y][x] (values < C, or the ignore index). */
  paint: (img: number, y: number, x: number) => number;
}

const CASES: CaseSpec[] = [
  {
    // Three classes; image 0 has both foreground classes and an ignored band across the class-1
    // object; image 1 has no class 2 (absent class) and an ignored corner.
    file: 'case-boundary0.json',
    seed: 21,
    shape: [2, 9, 10, 3],
    ignoreIndex: 255,
    paint: (img, y, x) => {
      if (img === 0) {
        if (x === 4 && y >= 1 && y <= 7) return 255;
        if (y >= 2 && y <= 6 && x >= 1 && x <= 6) return 1;
        if (y >= 5 && x >= 7) return 2;
        return 0;
      }
      if (y <= 1 && x <= 1) return 255;
      if ((y - 5) ** 2 + (x - 5) ** 2 <= 6) return 1;
      return 0;
    },
  },
  {
    // The paper's setting: binary, one small object in a large background, nothing ignored.
    file: 'case-boundary1.json',
    seed: 22,
    shape: [1, 12, 12, 2],
    ignoreIndex: null,
    paint: (_img, y, x) => (y >= 7 && y <= 9 && x >= 2 && x <= 4 ? 1 : y === 8 && x === 5 ? 1 : 0),
  },
];

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

function nearHalf(logits: number[], c: number): boolean {
  for (let i = 0; i < logits.length; i += c) {
    const row = logits.slice(i, i + c);
    const max = Math.max(...row);
    const z = row.reduce((s, v) => s + Math.exp(v - max), 0);
    if (row.some((v) => Math.abs(Math.exp(v - max) / z - 0.5) < 1e-3)) return true;
  }
  return false;
}

export function buildCase(spec: CaseSpec): Record<string, unknown> {
  const [n, h, w, c] = spec.shape;
  const labels: number[] = [];
  for (let img = 0; img < n; img++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) labels.push(spec.paint(img, y, x));
  const random = mulberry32(spec.seed);
  let logits: number[];
  do {
    // Predictions that partly agree with the labels: +2 on the true class, noise everywhere.
    logits = labels.flatMap((y) => Array.from({ length: c }, (_, k) => Math.round(((k === y ? 2 : 0) + 1.5 * normal(random)) * 1e6) / 1e6));
  } while (nearHalf(logits, c));
  const batch: Batch = { shape: spec.shape, logits: Float64Array.from(logits), labels: Int32Array.from(labels) };
  const context = { numClasses: c, ignoreIndex: spec.ignoreIndex, classWeights: null, scaleAware: null };
  const expected: Record<string, number> = {};
  for (const key of BOUNDARY_FIXTURE_KEYS) {
    const mapped = fixtureLossForKey(key)!;
    expected[key] = referenceLoss(mapped.spec.name, resolveLossParams(mapped.spec), context, batch, mapped.progress);
  }
  return { shape_nhwc: spec.shape, ignore_index: spec.ignoreIndex, class_weights: null, logits, labels, expected };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const spec of CASES) {
    const path = fileURLToPath(new URL(`../fixtures/losses/${spec.file}`, import.meta.url));
    writeFileSync(path, `${JSON.stringify(buildCase(spec))}\n`);
    process.stdout.write(`wrote ${path}\n`);
  }
}
