import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmPoolResizeGradientKernels } from '../../src/engine/pool-resize-gradient-kernels.js';
import { registerResizeGradientKernels } from '../../src/engine/resize-gradient-kernel.js';
import { createRng } from '../../src/verify/random.js';
import { expectNoLeak } from './helpers.js';

function randomArray(size: number, seed: number, zeros = 0): Float32Array {
  const rng = createRng(seed);
  // `zeros`: share of exact zeros (ReLU outputs), which make max-pool ties.
  return Float32Array.from({ length: size }, () => (rng.next() < zeros ? 0 : rng.next() * 2 - 1));
}

/** Distinct values spaced 2/size apart in a scrambled order: no two within a finite-difference step. */
function distinctArray(size: number): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => ((i * 7919) % size) / size * 2 - 1);
}

function maxRelativeError(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / Math.max(scale, 1e-30);
}

type Op = (x: tf.Tensor4D) => tf.Tensor4D;

/** Gradient of sum(op(x) * r) w.r.t. x on the current backend, checking that nothing leaks. */
function gradient(op: Op, x: Float32Array, shape: [number, number, number, number], r: Float32Array): Float32Array {
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => {
    const xt = tf.tensor4d(x, shape);
    const f = (a: tf.Tensor) => {
      const y = op(a as tf.Tensor4D);
      return tf.sum(tf.mul(y, tf.tensor(r, y.shape)));
    };
    return tf.grad(f)(xt).dataSync() as Float32Array;
  });
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

/** Central finite differences of sum(op(x) * r) in float64 (op evaluated on the cpu backend). */
function finiteDifferences(op: Op, x: Float32Array, shape: [number, number, number, number], r: Float32Array, indices: number[], eps: number): number[] {
  const value = (v: Float32Array) =>
    tf.tidy(() => {
      const y = op(tf.tensor4d(v, shape)).dataSync();
      let s = 0;
      for (let i = 0; i < y.length; i++) s += y[i] * r[i];
      return s;
    });
  return indices.map((i) => {
    const plus = Float32Array.from(x);
    const minus = Float32Array.from(x);
    plus[i] += eps;
    minus[i] -= eps;
    return (value(plus) - value(minus)) / (2 * eps);
  });
}

interface Case { n: number; h: number; w: number; c: number }

const poolCases: Array<Case & { pad: 'same' | 'valid'; zeros: number }> = [
  { n: 2, h: 8, w: 6, c: 3, pad: 'valid', zeros: 0 },
  { n: 3, h: 7, w: 9, c: 5, pad: 'valid', zeros: 0.5 },
  { n: 1, h: 10, w: 4, c: 16, pad: 'same', zeros: 0.7 },
  // Odd 'same': windows cut by the bottom/right edge (the stock wasm kernel drops their gradient).
  { n: 2, h: 5, w: 7, c: 2, pad: 'same', zeros: 0 },
  { n: 2, h: 9, w: 6, c: 3, pad: 'same', zeros: 0.5 },
  { n: 4, h: 16, w: 16, c: 8, pad: 'valid', zeros: 1 }, // all ties
];

const resizeCases: Array<Case & { halfPixelCenters: boolean; alignCorners: boolean; outH: number; outW: number }> = [
  { n: 2, h: 4, w: 3, c: 5, outH: 8, outW: 6, alignCorners: false, halfPixelCenters: false },
  { n: 3, h: 5, w: 5, c: 16, outH: 10, outW: 10, alignCorners: false, halfPixelCenters: true },
  { n: 2, h: 4, w: 4, c: 3, outH: 8, outW: 8, alignCorners: true, halfPixelCenters: false }, // stock kernel
  { n: 2, h: 4, w: 5, c: 3, outH: 12, outW: 10, alignCorners: false, halfPixelCenters: false }, // 3x: stock kernel
];

describe('wasm max-pool and nearest-upsampling gradients', () => {
  beforeAll(async () => {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    registerWasmPoolResizeGradientKernels();
    registerResizeGradientKernels(); // the cpu reference's own kernel is wrong for batch > 1
    await tf.setBackend('wasm');
  });

  it.each(poolCases)('max-pool 2x2/2 gradient matches the cpu backend, ties included: %o', async (c) => {
    const shape: [number, number, number, number] = [c.n, c.h, c.w, c.c];
    const op: Op = (x) => tf.maxPool(x, 2, 2, c.pad);
    const size = c.n * c.h * c.w * c.c;
    const x = c.zeros === 0 ? distinctArray(size) : randomArray(size, c.h * 31 + c.w, c.zeros);
    const outH = c.pad === 'same' ? Math.ceil(c.h / 2) : Math.floor(c.h / 2);
    const outW = c.pad === 'same' ? Math.ceil(c.w / 2) : Math.floor(c.w / 2);
    const r = randomArray(c.n * outH * outW * c.c, c.c);
    await tf.setBackend('cpu');
    const reference = gradient(op, x, shape, r);
    await tf.setBackend('wasm');
    const ours = gradient(op, x, shape, r);
    expect(Array.from(ours)).toEqual(Array.from(reference)); // the same single dy value per window, exactly
    if (c.zeros === 0) {
      // Without ties the function is locally linear: finite differences are exact up to rounding.
      await tf.setBackend('cpu');
      const indices = [0, 1, 7, x.length - 1, Math.floor(x.length / 2)];
      // A small step: a larger one can cross the window's second-largest value.
      const fd = finiteDifferences(op, x, shape, r, indices, 1e-3);
      await tf.setBackend('wasm');
      indices.forEach((i, j) => expect(ours[i]).toBeCloseTo(fd[j], 3));
    }
  });

  it.each(resizeCases)('nearest-neighbour resize gradient matches the cpu backend and finite differences: %o', async (c) => {
    const shape: [number, number, number, number] = [c.n, c.h, c.w, c.c];
    const op: Op = (x) => tf.image.resizeNearestNeighbor(x, [c.outH, c.outW], c.alignCorners, c.halfPixelCenters);
    const x = randomArray(c.n * c.h * c.w * c.c, c.h * 7 + c.c);
    const r = randomArray(c.n * c.outH * c.outW * c.c, c.w + 100);
    await tf.setBackend('cpu');
    const reference = gradient(op, x, shape, r);
    const indices = [0, 3, x.length - 1, Math.floor(x.length / 3)];
    const fd = finiteDifferences(op, x, shape, r, indices, 1e-2);
    await tf.setBackend('wasm');
    const ours = gradient(op, x, shape, r);
    expect(maxRelativeError(ours, reference)).toBeLessThan(1e-5);
    indices.forEach((i, j) => expect(ours[i]).toBeCloseTo(fd[j], 3));
  });

  it('leaks no tensors, data or wasm heap over repeated calls', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as BackendWasm;
    const x = tf.tensor4d(randomArray(4 * 32 * 32 * 16, 1, 0.5), [4, 32, 32, 16]);
    const step = () =>
      tf.tidy(() => {
        const f = (a: tf.Tensor) => tf.sum(tf.image.resizeNearestNeighbor(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), [32, 32]));
        tf.grad(f)(x).dataSync();
      });
    expectNoLeak(backend, step, 30);
    x.dispose();
  });
});
