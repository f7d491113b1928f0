import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { filterGradientOverride, registerWasmConvGradientKernels } from '../../src/engine/conv-gradient-kernels.js';
import { createRng } from '../../src/verify/random.js';
import { expectNoLeak } from './helpers.js';

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

const cases: Case[] = [
  // More input channels than the matMul path copies out (it aliases x' per tap from 5 up).
  { n: 2, h: 9, w: 7, ci: 7, co: 3, k: 3, stride: 1, pad: 'same' },
  { n: 3, h: 8, w: 10, ci: 6, co: 5, k: 3, stride: 1, pad: 'valid' },
  { n: 1, h: 11, w: 9, ci: 9, co: 2, k: 5, stride: 1, pad: 'same' },
  { n: 2, h: 7, w: 7, ci: 8, co: 4, k: 1, stride: 1, pad: 'valid' },
  // Even kernels: 'same' pads unevenly (less before than after).
  { n: 2, h: 9, w: 8, ci: 6, co: 3, k: 2, stride: 1, pad: 'same' },
  { n: 2, h: 7, w: 10, ci: 7, co: 4, k: 4, stride: 1, pad: 'same' },
  { n: 3, h: 6, w: 5, ci: 2, co: 5, k: 4, stride: 1, pad: 'same' },
  { n: 2, h: 6, w: 9, ci: 5, co: 2, k: 2, stride: 1, pad: 'valid' },
  { n: 2, h: 8, w: 7, ci: 6, co: 3, k: 4, stride: 2, pad: 'same' },
];
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

  afterEach(() => {
    filterGradientOverride.mode = undefined;
  });

  // Every case through both filter-gradient formulations (the matMul one applies at stride 1;
  // stride 2 falls back to the convolution either way) and through the default shape rule.
  const modes = ['conv', 'matmul', undefined] as const;
  it.each(cases.flatMap((c) => modes.map((mode) => ({ ...c, mode }))))('matches the cpu backend: %o', async ({ mode, ...c }) => {
    const oh = outSize(c.h, c.k, c.stride, c.pad);
    const ow = outSize(c.w, c.k, c.stride, c.pad);
    const seed = c.n * 1000 + c.h * 100 + c.w * 10 + c.k;
    const x = randomArray(c.n * c.h * c.w * c.ci, seed);
    const w = randomArray(c.k * c.k * c.ci * c.co, seed + 1);
    const r = randomArray(c.n * oh * ow * c.co, seed + 2);
    await tf.setBackend('cpu');
    const reference = convGradients(c, x, w, r);
    await tf.setBackend('wasm');
    filterGradientOverride.mode = mode;
    const before = tf.memory().numTensors;
    const ours = convGradients(c, x, w, r);
    expect(tf.memory().numTensors).toBe(before);
    expect(relativeError(ours.dx, reference.dx)).toBeLessThan(1e-5);
    expect(relativeError(ours.dw, reference.dw)).toBeLessThan(1e-5);
  });

  // The U-Net's shapes (3x3 'same' at 32x32 and 8x8, 1x1 head), where the default rule picks each
  // formulation, against the cpu backend's own kernel.
  it.each([
    { n: 2, h: 32, w: 24, ci: 5, co: 7, k: 3, stride: 1, pad: 'same' },
    { n: 3, h: 8, w: 8, ci: 12, co: 9, k: 3, stride: 1, pad: 'same' },
    { n: 2, h: 20, w: 16, ci: 6, co: 3, k: 1, stride: 1, pad: 'valid' },
  ] as Case[])('default rule matches the cpu backend at training shapes: %o', async (c) => {
    const seed = c.h * 10 + c.ci;
    const x = randomArray(c.n * c.h * c.w * c.ci, seed);
    const w = randomArray(c.k * c.k * c.ci * c.co, seed + 1);
    const r = randomArray(c.n * outSize(c.h, c.k, 1, c.pad) * outSize(c.w, c.k, 1, c.pad) * c.co, seed + 2);
    await tf.setBackend('cpu');
    const reference = convGradients(c, x, w, r);
    await tf.setBackend('wasm');
    const ours = convGradients(c, x, w, r);
    expect(relativeError(ours.dw, reference.dw)).toBeLessThan(1e-5);
  });

  it.each([
    ['conv', 16, 3],
    ['matmul', 16, 3],
    ['matmul', 3, 3],
    ['matmul', 16, 1], // dy itself is the matMul's cached weight operand
  ] as const)('%s filter gradient (%i input channels, kernel size %i) leaks no tensors, data or wasm heap over repeated calls', async (mode, ci, k) => {
    await tf.setBackend('wasm');
    filterGradientOverride.mode = mode;
    const backend = tf.backend() as unknown as BackendWasm;
    const x = tf.tensor4d(randomArray(4 * 32 * 32 * ci, 1), [4, 32, 32, ci]);
    const dy = tf.tensor4d(randomArray(4 * 32 * 32 * 16, 2), [4, 32, 32, 16]);
    const step = () => {
      const dy2 = tf.add(dy, 0); // a fresh dy each call, as in training (XNNPACK caches by tensor id)
      const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dy2 }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [k, k, ci, 16] }) as tf.Tensor;
      dw.dataSync();
      tf.dispose([dw, dy2]);
    };
    // A leaked packed dy (4*34*34*16 floats = 296 kB) or padded x per call would grow the heap.
    expectNoLeak(backend, step, 60);
    tf.dispose([x, dy]);
  });
});
