import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LossContext } from '../../src/contracts/losses.js';
import { createLoss } from '../../src/losses/index.js';
import { lossCases } from './cases.js';
import { BACKENDS, maxAbs, randomBatch, referenceGradient, referenceValue, tensorsOf, useBackend } from './helpers.js';

const SHAPE: [number, number, number, number] = [2, 5, 6, 4];
const baseContext: LossContext = { numClasses: 4, ignoreIndex: 255, classWeights: null, scaleAware: null };
/** Class 3 never appears in the labels: an absent class must not break any loss. */
const batch = randomBatch({ seed: 7, shape: SHAPE, ignoreIndex: 255, ignoreShare: 0.15, classes: [0, 1, 2] });

function tfjsValueAndGradient(lossCase: ReturnType<typeof lossCases>[number], input = batch) {
  const context = { ...baseContext, ...lossCase.context };
  const loss = createLoss(lossCase.spec, context);
  const { value, grad } = tf.tidy(() => {
    const { logits, labels } = tensorsOf(input);
    return tf.valueAndGrad((x: tf.Tensor) => loss(x as tf.Tensor4D, labels, lossCase.progress))(logits);
  });
  const result = { value: value.dataSync()[0], grad: Float64Array.from(grad.dataSync()) };
  tf.dispose([value, grad]);
  return result;
}

/** The float64 reference gradient does not depend on the backend: compute it once per case. */
const referenceGradients = new Map<string, Float64Array>();
function referenceGradientOf(title: string, compute: () => Float64Array): Float64Array {
  if (!referenceGradients.has(title)) referenceGradients.set(title, compute());
  return referenceGradients.get(title)!;
}

describe.each(BACKENDS)('loss gradients on the %s backend', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(lossCases(4))('$title: value and tf.grad match the float64 reference', (lossCase) => {
    const context = { ...baseContext, ...lossCase.context };
    const { value, grad } = tfjsValueAndGradient(lossCase);
    const expected = referenceValue(lossCase.spec, context, { ...batch, logits: Float64Array.from(Float32Array.from(batch.logits)) }, lossCase.progress);
    expect(Math.abs(value - expected)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected)));

    const reference = referenceGradientOf(lossCase.title, () => referenceGradient(lossCase.spec, context, batch, lossCase.progress));
    const scale = maxAbs(reference);
    expect(scale).toBeGreaterThan(0);
    expect(grad.every(Number.isFinite)).toBe(true);
    // float32 forward and backward: each entry within 1e-5 of the largest entry (observed <= 3e-7;
    // float32 rounding is ~6e-8 per operation, so 1e-5 leaves room for accumulation, not for a bug).
    let worst = 0;
    for (let i = 0; i < grad.length; i++) worst = Math.max(worst, Math.abs(grad[i] - reference[i]));
    expect(worst / scale).toBeLessThan(1e-5);
  });

  it.each(lossCases(4))('$title: every pixel ignored gives loss 0 and a zero gradient', (lossCase) => {
    const ignored = { ...batch, labels: new Int32Array(batch.labels.length).fill(255) };
    const { value, grad } = tfjsValueAndGradient(lossCase, ignored);
    expect(value).toBe(0);
    expect(maxAbs(grad)).toBe(0);
  });

  it.each(lossCases(4))('$title: perfect predictions keep the gradient finite', (lossCase) => {
    const [n, h, w, c] = SHAPE;
    const logits = new Float64Array(n * h * w * c);
    batch.labels.forEach((label, i) => {
      for (let k = 0; k < c; k++) logits[i * c + k] = k === (label === 255 ? 0 : label) ? 40 : -40;
    });
    const perfect = { ...batch, logits };
    const { value, grad } = tfjsValueAndGradient(lossCase, perfect);
    expect(Number.isFinite(value)).toBe(true);
    expect(grad.every(Number.isFinite)).toBe(true);
    const context = { ...baseContext, ...lossCase.context };
    expect(Math.abs(value - referenceValue(lossCase.spec, context, perfect, lossCase.progress))).toBeLessThan(1e-4);
  });

  it.each(lossCases(4))('$title: leaves no tensors behind', (lossCase) => {
    const loss = createLoss(lossCase.spec, { ...baseContext, ...lossCase.context });
    const { logits, labels } = tensorsOf(batch);
    const before = tf.memory().numTensors;
    loss(logits, labels).dispose();
    tf.dispose(tf.grad((x: tf.Tensor) => loss(x as tf.Tensor4D, labels))(logits));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([logits, labels]);
  });
});
