/**
 * The project's reference cases (test/fixtures/losses: an absent class, an ignored band): for
 * every key, the tfjs value and tf.grad on each backend against the float64 reference and its
 * central finite differences (the reference gradient is computed once per key).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadReferenceCases, projectFixturesDir, relativeError } from '../../src/losses/conformance.js';
import { fixtureLossForKey } from '../../src/losses/fixture-keys.js';
import { createLoss } from '../../src/losses/index.js';
import { BACKENDS, maxAbs, referenceGradient, useBackend } from './helpers.js';

const rows = loadReferenceCases(projectFixturesDir()).flatMap((referenceCase) =>
  Object.keys(referenceCase.expected).map((key) => ({ name: `${referenceCase.file.split('/').pop()} ${key}`, referenceCase, key })),
);

const references = new Map<string, Float64Array>();

describe.each(BACKENDS)('project reference cases on the %s backend: values and gradients', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(rows)('$name', ({ name, referenceCase, key }) => {
    const mapped = fixtureLossForKey(key)!;
    const [n, h, w, c] = referenceCase.shape;
    const context = { numClasses: c, ignoreIndex: referenceCase.ignoreIndex, classWeights: null, scaleAware: null };
    const loss = createLoss(mapped.spec, context);
    const { value, grad } = tf.tidy(() => {
      const logits = tf.tensor4d(referenceCase.logits, [n, h, w, c], 'float32');
      const labels = tf.tensor3d(referenceCase.labels, [n, h, w], 'int32');
      return tf.valueAndGrad((x: tf.Tensor) => loss(x as tf.Tensor4D, labels, mapped.progress))(logits);
    });
    const ours = { value: value.dataSync()[0], grad: Float64Array.from(grad.dataSync()) };
    tf.dispose([value, grad]);
    expect(relativeError(ours.value, referenceCase.expected[key])).toBeLessThan(1e-5);

    if (!references.has(name)) {
      const batch = { shape: referenceCase.shape, logits: Float64Array.from(referenceCase.logits), labels: Int32Array.from(referenceCase.labels) };
      references.set(name, referenceGradient(mapped.spec, context, batch, mapped.progress));
    }
    const reference = references.get(name)!;
    const scale = maxAbs(reference);
    expect(scale).toBeGreaterThan(0);
    let worst = 0;
    for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(ours.grad[i] - reference[i]));
    expect(worst / scale, `${key}: max |tf.grad - finite difference| / max |finite difference|`).toBeLessThan(1e-5);
  });
});
