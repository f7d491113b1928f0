import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createTrainingEngine, countParameters, type EngineOptions, type TrainingEngine } from '../../src/engine/index.js';
import { inlineCeModule, learnableBatch, randomBatch } from './helpers.js';

const model = { numClasses: 3, inputChannels: 3, depth: 2, baseWidth: 8, seed: 3 };
const lossContext = { numClasses: 3, ignoreIndex: 255, classWeights: null, scaleAware: null };
const adam = { name: 'adam' as const, lr: 1e-2, weightDecay: 0, momentum: null, nesterov: false };

function options(threads: number, extra: Partial<EngineOptions> = {}): EngineOptions {
  return { backend: 'wasm', threads, model, loss: { name: 'ce', params: {} }, lossContext, optimizer: adam, gradientClipNorm: null, lossModule: inlineCeModule, ...extra };
}

const engines: TrainingEngine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((e) => e.dispose()));
});

describe('training engine', () => {
  it('trains in this thread: loss falls, nothing leaks, reset restarts identically', async () => {
    const engine = await createTrainingEngine(options(1, { gradientClipNorm: 5 }));
    engines.push(engine);
    expect(engine.backend).toMatchObject({ name: 'wasm', threads: 1 });
    expect(engine.parameterCount).toBe(countParameters(model));
    const batch = learnableBatch(1, 4, 16, 3);
    batch.labels[0] = 255;
    const losses: number[] = [];
    losses.push(await engine.trainStep(batch, 1e-2));
    const tensorsAfterFirstStep = tf.memory().numTensors;
    for (let i = 0; i < 14; i++) losses.push(await engine.trainStep(batch, 1e-2));
    await engine.predict(batch.images, batch.n, 16, 16);
    expect(tf.memory().numTensors).toBe(tensorsAfterFirstStep);
    expect(losses[0]).toBeGreaterThan(0.9);
    expect(losses[14]).toBeLessThan(0.5 * losses[0]);

    const predicted = await engine.predict(batch.images, batch.n, 16, 16);
    const correct = predicted.reduce((sum, c, i) => sum + (c === batch.labels[i] ? 1 : 0), 0);
    expect(correct / predicted.length).toBeGreaterThan(0.6);

    await engine.reset({ name: 'ce', params: {} }, lossContext, adam, 5);
    expect(await engine.trainStep(batch, 1e-2)).toBe(losses[0]);
    expect(await engine.trainStep(batch, 1e-2)).toBe(losses[1]);
  });

  it('SGD with Nesterov momentum also learns', async () => {
    const engine = await createTrainingEngine(options(1, { optimizer: { name: 'sgd', lr: 1e-2, weightDecay: 3e-5, momentum: 0.9, nesterov: true } }));
    engines.push(engine);
    const batch = learnableBatch(2, 4, 16, 3);
    const first = await engine.trainStep(batch, 0.05);
    let last = first;
    for (let i = 0; i < 14; i++) last = await engine.trainStep(batch, 0.05);
    expect(last).toBeLessThan(0.7 * first);
  });

  it('rejects a batch whose arrays do not match its shape', async () => {
    const engine = await createTrainingEngine(options(1));
    engines.push(engine);
    const batch = randomBatch(1, 2, 8, 8, 3, 3);
    await expect(engine.trainStep({ ...batch, n: 3 }, 1e-3)).rejects.toThrow(/expected n\*h\*w\*c/);
  });

  it('data-parallel workers give the single-thread result for the same batches', async () => {
    const single = await createTrainingEngine(options(1));
    const parallel = await createTrainingEngine(options(2));
    engines.push(single, parallel);
    expect(parallel.backend.threads).toBe(2);
    const batches = [randomBatch(5, 4, 16, 12, 3, 3), randomBatch(6, 5, 16, 12, 3, 3), randomBatch(7, 4, 16, 12, 3, 3)];
    for (const batch of batches) {
      const a = await single.trainStep(batch, 1e-2);
      const b = await parallel.trainStep(batch, 1e-2);
      expect(Math.abs(a - b) / a).toBeLessThan(1e-5);
    }
    const probe = randomBatch(8, 3, 16, 12, 3, 3);
    const p1 = await single.predict(probe.images, 3, 16, 12);
    const p2 = await parallel.predict(probe.images, 3, 16, 12);
    const same = p1.reduce((sum, c, i) => sum + (c === p2[i] ? 1 : 0), 0);
    expect(same / p1.length).toBeGreaterThan(0.999);
  });
});
