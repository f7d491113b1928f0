import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/engine/backends.js';
import { buildUNet, countParameters } from '../../src/engine/unet.js';
import { compositeNormRelu, customGradientNormRelu, normRelu, setFusedNormRelu } from '../../src/engine/norm-relu.js';
import { ModelReplica, loadLossFactory } from '../../src/engine/replica.js';
import { createRng } from '../../src/verify/random.js';
import { inlineCeModule, randomBatch } from './helpers.js';

const context = { numClasses: 3, ignoreIndex: 255, classWeights: null, scaleAware: null };

describe('U-Net', () => {
  it('counts parameters and draws the same initial weights from the same seed', () => {
    const unet = buildUNet({ numClasses: 6, inputChannels: 3, seed: 5 });
    // depth 3, width 16: convs (3x3, no bias; decoders read [upsampled, skip]), InstanceNorm gamma/beta, 1x1 head with bias.
    const conv = (i: number, o: number) => 9 * i * o + 2 * o;
    const block = (i: number, o: number) => conv(i, o) + conv(o, o);
    const expected = block(3, 16) + block(16, 32) + block(32, 64) + block(64, 128) + block(128 + 64, 64) + block(64 + 32, 32) + block(32 + 16, 16) + 16 * 6 + 6;
    expect(unet.size).toBe(expected);
    expect(countParameters({ numClasses: 6, inputChannels: 3, seed: 1 })).toBe(expected);
    expect(unet.initialWeights()).toEqual(buildUNet({ numClasses: 6, inputChannels: 3, seed: 5 }).initialWeights());
    expect(unet.initialWeights()).not.toEqual(buildUNet({ numClasses: 6, inputChannels: 3, seed: 6 }).initialWeights());
  });

  it('starts the head bias at log(class prior) when priors are given, and rejects bad priors', () => {
    const priors = [0.9, 0.06, 0.04];
    const unet = buildUNet({ numClasses: 3, inputChannels: 1, depth: 1, baseWidth: 2, seed: 5, classPriors: priors });
    const plain = buildUNet({ numClasses: 3, inputChannels: 1, depth: 1, baseWidth: 2, seed: 5 });
    const bias = unet.parameters.find((p) => p.name === 'head.bias')!;
    const weights = unet.initialWeights();
    expect([...weights.subarray(bias.offset, bias.offset + 3)]).toEqual(priors.map((p) => Math.fround(Math.log(p))));
    // Everything else is the seeded draw, unchanged.
    const rest = (w: Float32Array) => [...w.subarray(0, bias.offset)];
    expect(rest(weights)).toEqual(rest(plain.initialWeights()));
    // Softmax of the bias alone is the prior (the untrained head predicts class frequencies).
    const e = priors.map((p) => Math.exp(Math.log(p)));
    expect(e.map((v) => v / e.reduce((a, b) => a + b))).toEqual(priors.map((p) => expect.closeTo(p, 12)));
    expect(() => buildUNet({ numClasses: 3, inputChannels: 1, seed: 1, classPriors: [0.5, 0.5] })).toThrow(/classPriors must be 3 positive/);
    expect(() => buildUNet({ numClasses: 2, inputChannels: 1, seed: 1, classPriors: [1, 0] })).toThrow(/positive/);
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`fused and hand-differentiated InstanceNorm+ReLU match the composite ops and their autodiff gradients on ${backend}`, async () => {
      await selectBackend(backend);
      const rng = createRng(3);
      const shape: [number, number, number, number] = [3, 5, 7, 6];
      const values = Float32Array.from({ length: 3 * 5 * 7 * 6 }, () => rng.next() * 4 - 1);
      const x = tf.tensor4d(values, shape);
      const gamma = tf.tensor1d([1, 0.5, -1, 2, 0.1, 1.5]);
      const beta = tf.tensor1d([0, 0.2, 0.3, -0.5, 0.1, -0.1]);
      const r = tf.tensor4d(Float32Array.from({ length: values.length }, () => rng.next() - 0.5), shape);
      const grads = (f: typeof normRelu) =>
        tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D), r)))([x, gamma, beta]);
      setFusedNormRelu(true);
      const fused = [normRelu(x, gamma, beta), ...grads(normRelu)];
      setFusedNormRelu(null);
      const handWritten = [customGradientNormRelu(x, gamma, beta), ...grads(customGradientNormRelu)];
      const reference = [compositeNormRelu(x, gamma, beta), ...grads(compositeNormRelu)];
      for (const candidate of [fused, handWritten]) {
        candidate.forEach((t, i) => {
          const a = t.dataSync();
          const b = reference[i].dataSync();
          let num = 0;
          let den = 0;
          for (let j = 0; j < a.length; j++) {
            num += (a[j] - b[j]) ** 2;
            den += b[j] ** 2;
          }
          expect(Math.sqrt(num / den)).toBeLessThan(1e-5);
        });
      }
      tf.dispose([x, gamma, beta, r, ...fused, ...handWritten, ...reference]);
    });

    it(`gradient matches finite differences per weight tensor on ${backend} (batch 2, non-square)`, async () => {
      await selectBackend(backend);
      const unet = buildUNet({ numClasses: 3, inputChannels: 2, depth: 2, baseWidth: 4, seed: 11 });
      const replica = new ModelReplica(unet, (await loadLossFactory(inlineCeModule))({ name: 'ce', params: {} }, context));
      const batch = randomBatch(4, 2, 20, 22, 2, 3);
      batch.labels[5] = 255;
      const weights = unet.initialWeights();
      const gradient = new Float32Array(unet.size);
      replica.lossAndGradients(weights, batch, gradient);
      const scratch = new Float32Array(unet.size);
      const epsilon = 1e-2;
      // The pure-JS cpu backend is slow: there, check two convs that every resize and pooling
      // gradient flows into, with fewer quadrature nodes.
      const nodes = backend === 'cpu' ? 5 : 9;
      const checked = backend === 'cpu' ? unet.parameters.filter((p) => ['encoder0.conv1', 'decoder1.conv1'].includes(p.name)) : unet.parameters;
      for (const p of checked) {
        // Along d = this tensor's gradient direction, L(w + e d) - L(w - e d) must equal the
        // integral of the analytic directional derivative over [-e, e] (ReLU and max-pool kinks
        // make one-point finite differences unreliable; the integral identity still holds).
        const direction = gradient.slice(p.offset, p.offset + p.size);
        const norm = Math.hypot(...direction);
        for (let i = 0; i < p.size; i++) direction[i] /= norm;
        const at = (t: number) => {
          const shifted = weights.slice();
          for (let i = 0; i < p.size; i++) shifted[p.offset + i] += t * direction[i];
          const loss = replica.lossAndGradients(shifted, batch, scratch);
          let slope = 0;
          for (let i = 0; i < p.size; i++) slope += direction[i] * scratch[p.offset + i];
          return { loss, slope };
        };
        const samples = Array.from({ length: nodes }, (_, i) => at(-epsilon + (2 * epsilon * i) / (nodes - 1)));
        const step = (2 * epsilon) / (nodes - 1);
        const integral = samples.reduce((sum, s, i) => sum + s.slope * (i === 0 || i === nodes - 1 ? step / 2 : step), 0);
        const difference = samples[nodes - 1].loss - samples[0].loss;
        expect(Math.abs(difference - integral) / (2 * epsilon), `${p.name}: ΔL ${difference}, ∫ slope ${integral}`).toBeLessThan(
          5e-4 + 0.02 * (norm + Math.abs(integral) / (2 * epsilon)),
        );
      }
    });
  }
});
