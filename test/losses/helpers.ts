import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { LossContext, LossSpec } from '../../src/contracts/losses.js';
import { resolveLossParams } from '../../src/losses/index.js';
import { referenceLoss, type Batch } from './reference.js';
import { mulberry32 } from '../../src/common/random.js';

export const BACKENDS = ['cpu', 'wasm'] as const;

export async function useBackend(name: string): Promise<void> {
  await tf.setBackend(name);
  await tf.ready();
}

/** Small deterministic PRNG (mulberry32). */
export const rng = mulberry32;

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

/**
 * Labels made of rectangles of foreground classes on background (so images have objects of
 * different sizes), with a share of pixels set to the ignore index; logits random normal * scale.
 */
export function randomBatch(options: {
  seed: number;
  shape: [number, number, number, number];
  ignoreIndex?: number | null;
  ignoreShare?: number;
  /** Classes that may appear (default: all). */
  classes?: number[];
  logitScale?: number;
}): Batch {
  const random = rng(options.seed);
  const [n, h, w, c] = options.shape;
  const classes = options.classes ?? Array.from({ length: c }, (_, k) => k);
  const labels = new Int32Array(n * h * w).fill(classes[0]);
  for (let img = 0; img < n; img++) {
    const rects = 2 + Math.floor(random() * 3);
    for (let r = 0; r < rects; r++) {
      const cls = classes[Math.floor(random() * classes.length)];
      const rh = 1 + Math.floor(random() * h);
      const rw = 1 + Math.floor(random() * w);
      const y0 = Math.floor(random() * (h - rh + 1));
      const x0 = Math.floor(random() * (w - rw + 1));
      for (let y = y0; y < y0 + rh; y++) for (let x = x0; x < x0 + rw; x++) labels[img * h * w + y * w + x] = cls;
    }
  }
  if (options.ignoreIndex !== undefined && options.ignoreIndex !== null) {
    for (let i = 0; i < labels.length; i++) if (random() < (options.ignoreShare ?? 0.1)) labels[i] = options.ignoreIndex;
  }
  const logits = new Float64Array(n * h * w * c);
  for (let i = 0; i < logits.length; i++) logits[i] = normal(random) * (options.logitScale ?? 1.5);
  return { shape: options.shape, logits, labels };
}

export function tensorsOf(batch: Batch): { logits: tf.Tensor4D; labels: tf.Tensor3D } {
  const [n, h, w, c] = batch.shape;
  return {
    logits: tf.tensor4d(Float32Array.from(batch.logits), [n, h, w, c], 'float32'),
    labels: tf.tensor3d(batch.labels, [n, h, w], 'int32'),
  };
}

/** The float64 reference value of a spec on a batch. */
export function referenceValue(spec: LossSpec, context: LossContext, batch: Batch, progress = 1): number {
  return referenceLoss(spec.name, resolveLossParams(spec), context, batch, progress);
}

/**
 * Central finite difference of the float64 reference at the float32-rounded logits (the point tfjs
 * sees), step 1e-6: truncation error ~1e-12 * f''' and rounding ~1e-16/1e-6, both far below the
 * float32 gradient error being tested.
 */
export function referenceGradient(spec: LossSpec, context: LossContext, batch: Batch, progress = 1): Float64Array {
  const x = Float64Array.from(Float32Array.from(batch.logits));
  const grad = new Float64Array(x.length);
  const step = 1e-6;
  const params = resolveLossParams(spec);
  for (let j = 0; j < x.length; j++) {
    const keep = x[j];
    x[j] = keep + step;
    const up = referenceLoss(spec.name, params, context, { ...batch, logits: x }, progress);
    x[j] = keep - step;
    const down = referenceLoss(spec.name, params, context, { ...batch, logits: x }, progress);
    x[j] = keep;
    grad[j] = (up - down) / (2 * step);
  }
  return grad;
}

export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}
