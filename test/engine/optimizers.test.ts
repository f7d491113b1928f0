import { describe, expect, it } from 'vitest';
import { clipGlobalNorm, createOptimizer } from '../../src/engine/optimizers.js';

const settings = (name: 'adam' | 'adamw' | 'sgd', extra: Partial<{ weightDecay: number; momentum: number | null; nesterov: boolean }> = {}) => ({
  name,
  lr: 0,
  weightDecay: 0,
  momentum: null,
  nesterov: false,
  ...extra,
});

describe('optimisers (torch update rules)', () => {
  it('Adam: the first step moves each weight by lr in the gradient sign', () => {
    const w = Float32Array.from([1, -2]);
    createOptimizer(settings('adam'), 2).step(w, Float32Array.from([0.5, -3]), 0.1);
    expect(w[0]).toBeCloseTo(0.9, 6);
    expect(w[1]).toBeCloseTo(-1.9, 6);
  });

  it('Adam two steps match the hand-computed torch values', () => {
    const w = Float32Array.from([1]);
    const adam = createOptimizer(settings('adam', { weightDecay: 0.1 }), 1);
    adam.step(w, Float32Array.from([0.2]), 0.01);
    adam.step(w, Float32Array.from([-0.4]), 0.01);
    // torch.optim.Adam([p], lr=0.01, weight_decay=0.1) with grads 0.2, -0.4 from p=1
    let p = 1;
    let m = 0;
    let v = 0;
    [0.2, -0.4].forEach((g0, i) => {
      const g = g0 + 0.1 * p;
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      const t = i + 1;
      p -= (0.01 / (1 - 0.9 ** t)) * (m / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** t) + 1e-8));
    });
    expect(w[0]).toBeCloseTo(p, 6);
  });

  it('AdamW decays the weight decoupled from the gradient', () => {
    const w = Float32Array.from([2]);
    createOptimizer(settings('adamw', { weightDecay: 0.5 }), 1).step(w, Float32Array.from([0]), 0.1);
    expect(w[0]).toBeCloseTo(2 * (1 - 0.1 * 0.5), 6);
    const coupled = Float32Array.from([2]);
    createOptimizer(settings('adam', { weightDecay: 0.5 }), 1).step(coupled, Float32Array.from([0]), 0.1);
    expect(coupled[0]).toBeCloseTo(1.9, 5);
  });

  it('SGD with Nesterov momentum (nnU-Net: lr 1e-2, momentum 0.99)', () => {
    const w = Float32Array.from([1]);
    const sgd = createOptimizer(settings('sgd', { momentum: 0.99, nesterov: true }), 1);
    sgd.step(w, Float32Array.from([1]), 0.01); // b = 1, update g + 0.99 b = 1.99
    expect(w[0]).toBeCloseTo(1 - 0.0199, 6);
    sgd.step(w, Float32Array.from([1]), 0.01); // b = 1.99, update 1 + 0.99 * 1.99 = 2.9701
    expect(w[0]).toBeCloseTo(1 - 0.0199 - 0.029701, 6);
    const plain = Float32Array.from([1]);
    const heavyBall = createOptimizer(settings('sgd', { momentum: 0.9 }), 1);
    heavyBall.step(plain, Float32Array.from([1]), 0.1);
    heavyBall.step(plain, Float32Array.from([1]), 0.1);
    expect(plain[0]).toBeCloseTo(1 - 0.1 - 0.19, 6);
  });

  it('rejects impossible settings', () => {
    expect(() => createOptimizer(settings('sgd', { momentum: 1 }), 1)).toThrow(/momentum/);
    expect(() => createOptimizer(settings('sgd', { momentum: 0, nesterov: true }), 1)).toThrow(/Nesterov/);
  });

  it('clips the global norm like torch clip_grad_norm_', () => {
    const g = Float32Array.from([3, 4]);
    expect(clipGlobalNorm(g, 1)).toBeCloseTo(5, 6);
    expect(Math.hypot(g[0], g[1])).toBeCloseTo(1, 5);
    const small = Float32Array.from([0.3, 0.4]);
    clipGlobalNorm(small, 1);
    expect(Array.from(small)).toEqual([Math.fround(0.3), Math.fround(0.4)]);
    const untouched = Float32Array.from([30, 40]);
    expect(clipGlobalNorm(untouched, null)).toBeCloseTo(50, 4);
    expect(untouched[0]).toBe(30);
  });
});
