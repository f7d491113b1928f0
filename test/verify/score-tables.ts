/**
 * Constructed score tables with known answers for the statistics tests: two classes (background,
 * one foreground "rare" class), images of 1000 pixels. A candidate's foreground quality on image i
 * of seed s is r = base + candidate effect + seed effect[s] + image effect[i] (+ optional noise),
 * clamped to [0.02, 0.98]; then TP = r x F, FN = F - TP, FP = (1 - r) x F, so the pooled
 * foreground Dice is ~r and mean Dice ~(background Dice + r) / 2.
 */
import { createRng } from '../../src/verify/random.js';
import type { ImageScore } from '../../src/verify/scores.js';
import { emptyObjectCounts } from '../../src/metrics/objects.js';

export const PIXELS = 1000;

/** One image's scores from its foreground truth count and quality r. */
export function imageScore(foreground: number, r: number): ImageScore {
  const tp = Math.round(r * foreground);
  const fn = foreground - tp;
  const fp = Math.round((1 - r) * foreground);
  const background = PIXELS - foreground;
  // counts[truth * 2 + prediction]
  const counts = new Float64Array([background - fp, fp, fn, tp]);
  return { confusion: { numClasses: 2, counts }, boundaryIoU: [null, r], objects: emptyObjectCounts(2) };
}

export interface TableSpec {
  images: number;
  seeds: number;
  /** Per candidate: its effect on r. */
  effects: Record<string, number>;
  /** Per candidate (or shared when given once as `*`): seed effects on r, one per seed. */
  seedEffects?: Record<string, number[]>;
  /** Effect of each image on r, shared by candidates (a harder image is harder for all). */
  imageEffects?: number[];
  /** Per candidate: its own effect on each image, the same on every seed (candidate x image interaction). */
  candidateImageEffects?: Record<string, number[]>;
  /** Per (candidate, seed, image) independent noise sd. */
  noise?: number;
  /** Per (candidate, seed) independent noise sd (seed-to-seed variance of each candidate). */
  seedNoise?: number;
  /** Per candidate: its own (candidate, seed) noise sd, overriding seedNoise (candidates that differ in seed-to-seed variance). */
  seedNoiseOf?: Record<string, number>;
  base?: number;
  rng?: () => number;
}

/** Normal deviate (Box-Muller) from a uniform source. */
export function gaussian(next: () => number): number {
  const u = Math.max(next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

export function buildTable(spec: TableSpec): Map<string, ImageScore[][]> {
  const next = spec.rng ?? createRng(1).next;
  const base = spec.base ?? 0.6;
  const foreground = Array.from({ length: spec.images }, (_, i) => 80 + ((i * 37) % 60));
  const table = new Map<string, ImageScore[][]>();
  for (const [id, effect] of Object.entries(spec.effects)) {
    const seeds: ImageScore[][] = [];
    for (let s = 0; s < spec.seeds; s++) {
      const seedEffect = (spec.seedEffects?.[id] ?? spec.seedEffects?.['*'])?.[s] ?? 0;
      const seedSd = spec.seedNoiseOf?.[id] ?? spec.seedNoise;
      const seedNoise = seedSd ? seedSd * gaussian(next) : 0;
      seeds.push(
        foreground.map((f, i) => {
          const noise = spec.noise ? spec.noise * gaussian(next) : 0;
          const r = Math.min(0.98, Math.max(0.02, base + effect + seedEffect + seedNoise + (spec.imageEffects?.[i] ?? 0) + (spec.candidateImageEffects?.[id]?.[i] ?? 0) + noise));
          return imageScore(f, r);
        }),
      );
    }
    table.set(id, seeds);
  }
  return table;
}
