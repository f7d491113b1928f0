import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmConvGradientKernels } from '../../src/verify/engine/conv-gradient-kernels.js';
import { createRng } from '../../src/verify/random.js';

interface Case { n: number; h: number; w: number; ci: number; co: number; k: number; stride: 1 | 2; pad: 'same' | 'valid' }

function randomArray(size: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: size }, () => rng.next() * 2 - 1);
}

/** Gradients of sum(conv2d(x, w) * r) w.r.t. x and w on the current backend. */
function convGradients(c: Case, x: Float32Array, w: Float32Array, r: Float32Array): { dx: Float32Array; dw: Float32Array } {
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, [c.n, c.h, c.w, c.ci]);
    const wt = tf.tensor4d(w, [c.k, c.k, c.ci, c.co]);
    const f = (a: tf.Tensor4D, b: tf.Tensor4D) => {
      const y = tf.conv2d(a, b, c.stride, c.pad);
      return tf.sum(tf.mul(y, tf.tensor(r, y.shape)));
    };
    const [dx, dw] = tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([xt, wt]);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}

function outSize(size: number, k: number, stride: number, pad: 'same' | 'valid'): number {
  return pad === 'same' ? Math.ceil(size / stride) : Math.ceil((size - k + 1) / stride);
}

function relativeError(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

const cases: Case[] = [];
{
  const rng = createRng(7);
  for (const k of [1, 3, 5]) {
    for (const stride of [1, 2] as const) {
      for (const pad of ['same', 'valid'] as const) {
        for (let repeat = 0; repeat < 2; repeat++) {
          cases.push({ n: 1 + rng.int(3), h: k + 2 + rng.int(8), w: k + 1 + rng.int(9), ci: 1 + rng.int(5), co: 1 + rng.int(6), k, stride, pad });
        }
      }
    }
  }
}

describe('wasm conv gradient kernels', () => {
  beforeAll(async () => {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    registerWasmConvGradientKernels();
    await tf.setBackend('wasm');
  });

  it.each(cases)('matches the cpu backend: %o', async (c) => {
    const oh = outSize(c.h, c.k, c.stride, c.pad);
    const ow = outSize(c.w, c.k, c.stride, c.pad);
    const seed = c.n * 1000 + c.h * 100 + c.w * 10 + c.k;
    const x = randomArray(c.n * c.h * c.w * c.ci, seed);
    const w = randomArray(c.k * c.k * c.ci * c.co, seed + 1);
    const r = randomArray(c.n * oh * ow * c.co, seed + 2);
    await tf.setBackend('cpu');
    const reference = convGradients(c, x, w, r);
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const ours = convGradients(c, x, w, r);
    expect(tf.memory().numTensors).toBe(before);
    expect(relativeError(ours.dx, reference.dx)).toBeLessThan(1e-5);
    expect(relativeError(ours.dw, reference.dw)).toBeLessThan(1e-5);
  });
});
