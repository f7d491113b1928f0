/**
 * The torch engine run for real (CI installs Debian's python3-torch; skipped, saying why, only
 * when no Python with torch >= 1.13 is found): the runner cuts the crops batch.ts cuts, starts
 * from the TypeScript U-Net's weights (same logits to 1e-4), a short run learns, the same seed
 * gives the same losses and predictions, interleaved runs are isolated, an abort stops between
 * steps and keeps what finished; no Python, no torch, an old torch, no CUDA and a runner crash
 * each give a clear message.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/errors.js';
import { materialiseBatch } from '../../src/engine/batch.js';
import { createEngine } from '../../src/engine/index.js';
import { createCacheFolder, removeCacheFolder, writeDataCache } from '../../src/engine/torch/cache.js';
import { createTorchEngine } from '../../src/engine/torch/engine.js';
import { findTorchPython, type FoundPython } from '../../src/engine/torch/python.js';
import { startRunner } from '../../src/engine/torch/runner-process.js';
import type { Engine, EngineImage, RunSpec, StepPlan, TrainingData } from '../../src/engine/types.js';
import { buildUNet } from '../../src/engine/unet.js';
import { exportSnippet } from '../../src/report/export/index.js';
import type { Recipe } from '../../src/contracts/recommendation.js';
import { createCropPlanner } from '../../src/verify/data.js';
import { createRng } from '../../src/verify/random.js';
import { satelliteRecipe } from '../verify/fixtures.js';

let found: FoundPython | null = null;
let notFound = '';
try {
  found = await findTorchPython();
} catch (error) {
  notFound = (error as Error).message;
  process.stderr.write(`torch engine tests skipped: ${notFound}\n`);
}
const withTorch = found ? describe : describe.skip;

function image(rng: ReturnType<typeof createRng>, k: number, width: number, height: number, channels: number, wide = false): EngineImage {
  const labels = wide ? new Uint16Array(width * height) : new Uint8Array(width * height);
  const pixels = new Uint8Array(width * height * channels);
  for (let i = 0; i < labels.length; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    labels[i] = x > 8 + k && y > 10 ? 1 : (x + y) % 29 === 0 ? 255 : 0;
    for (let c = 0; c < channels; c++) pixels[i * channels + c] = labels[i] === 1 ? 200 - rng.int(60) + c : 40 + rng.int(60) - c;
  }
  return { id: `i${k}`, width, height, channels, pixels, labels };
}

function tinyData(channels = 1, wide = false): TrainingData {
  const rng = createRng(5);
  return {
    train: [image(rng, 0, 32, 32, channels, wide), image(rng, 1, 40, 32, channels, wide), image(rng, 2, 32, 36, channels, wide)],
    val: [image(rng, 3, 32, 32, channels, wide), image(rng, 4, 20, 28, channels, wide)],
    normalisation: { mean: [110, 100, 90].slice(0, channels), std: [70, 65.5, 60.25].slice(0, channels) },
    numClasses: 2,
    ignoreIndex: 255,
  };
}

const model = { numClasses: 2, inputChannels: 1, depth: 2, baseWidth: 4, classPriors: [0.7, 0.3] };
const adam = { name: 'adam', lr: 3e-3, weightDecay: 0, momentum: null, nesterov: false } as const;
const recipeFor = (loss: Recipe['loss']): Recipe => satelliteRecipe({ loss, classWeights: null, optimizer: adam, gradientClipNorm: 1 });
const spec = (id: string, seed: number, loss: Recipe['loss']): RunSpec => ({
  id, seed, recipe: recipeFor(loss), loss, lossContext: { numClasses: 2, ignoreIndex: 255, classWeights: null, scaleAware: null },
});

function plan(seed: number, count: number, training: TrainingData, size = 16): StepPlan[] {
  const planner = createCropPlanner(training.train, { cropSize: size, batchSize: 4, rareClassOversampling: 0, rareClasses: [], numClasses: 2, flips: true, seed });
  return Array.from({ length: count }, (_, i) => ({ batch: planner.nextBatchPlan(), learningRate: 3e-3, progress: i / count }));
}

/** A torch data cache this test process made (its owner.json names our pid); false once it is gone. */
function ownedByThisProcess(folder: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(folder, 'owner.json'), 'utf8')) as { pid?: unknown }).pid === process.pid;
  } catch {
    return false;
  }
}

const fixtures = fileURLToPath(new URL('./fixtures/python', import.meta.url));

withTorch('torch engine (real PyTorch runner)', () => {
  let engine: Engine;
  const training = tinyData();
  beforeAll(async () => {
    engine = await createTorchEngine({ backend: 'torch', model, data: training, threads: 1, torch: { found: found!, devices: ['cpu'] } });
  }, 120_000);
  afterAll(async () => {
    await engine?.dispose();
  });

  it('a short run learns; the same seed gives the same losses and predictions, interleaved with another run', async () => {
    expect(engine.backend.name).toBe('torch');
    expect(engine.parameterCount).toBe(buildUNet({ ...model, seed: 0 }).size);
    const steps = plan(9, 30, training);
    const a = await engine.createRun(spec('ce#1', 1, { name: 'ce', params: {} }));
    const b = await engine.createRun(spec('ce#1-again', 1, { name: 'ce', params: {} }));
    const other = await engine.createRun(spec('stable', 2, { name: 'stable_log_dice', params: {} }));
    const lossesA = await a.train(steps);
    // b trains the same steps in slices, with another run's steps in between on the same process.
    const lossesB: number[] = [];
    for (let k = 0; k < 3; k++) {
      lossesB.push(...(await b.train(steps.slice(k * 10, k * 10 + 10))));
      await other.train(steps.slice(k * 10, k * 10 + 10));
    }
    expect(lossesA).toHaveLength(30);
    expect(lossesA.every(Number.isFinite)).toBe(true);
    expect(lossesB).toEqual(lossesA);
    const head = (lossesA[0] + lossesA[1] + lossesA[2]) / 3;
    const tail = (lossesA[27] + lossesA[28] + lossesA[29]) / 3;
    expect(tail).toBeLessThan(head * 0.8);
    const [pa, pb] = [await a.predictValidation(), await b.predictValidation()];
    expect(pa.map((p) => p.length)).toEqual([32 * 32, 20 * 28]);
    expect(pb).toEqual(pa);
    // It learned the bright square: most pixels of the first val image are right.
    const truth = training.val[0].labels;
    let right = 0;
    let scored = 0;
    pa[0].forEach((label, i) => {
      if (truth[i] === 255) return;
      scored++;
      if (label === truth[i]) right++;
    });
    expect(right / scored).toBeGreaterThan(0.85);
    // verify --folds: a run scored on its fold predicts those images only (RunSpec.validation).
    const fold = await engine.createRun({ ...spec('ce#1-fold', 1, { name: 'ce', params: {} }), validation: [1] });
    await fold.train(steps);
    expect(await fold.predictValidation()).toEqual([pa[1]]);
    await fold.dispose();
    const c = await engine.createRun(spec('ce#3', 3, { name: 'ce', params: {} }));
    expect(await c.train(steps.slice(0, 2))).not.toEqual(lossesA.slice(0, 2));
    await Promise.all([a, b, c, other].map((r) => r.dispose()));
    await expect(a.train(steps.slice(0, 1))).rejects.toThrow(/disposed/);
  }, 120_000);

  it('an abort stops between steps, keeps the losses done, and the run trains on afterwards', async () => {
    const run = await engine.createRun(spec('abort', 4, { name: 'ce', params: {} }));
    const steps = plan(3, 3000, training);
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 1500);
    const losses = await run.train(steps, controller.signal);
    expect(losses.length).toBeLessThan(steps.length);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(await run.train(steps.slice(0, 2), controller.signal)).toEqual([]);
    expect(await run.train(steps.slice(0, 2))).toHaveLength(2);
    await run.dispose();
  }, 120_000);

  it('a loss file that fails names the run and the Python error', async () => {
    const bad = spec('bad', 1, { name: 'ce', params: {} });
    await expect(engine.createRun({ ...bad, recipe: { ...bad.recipe, optimizer: { ...adam, name: 'sgd', momentum: 0, nesterov: true } } })).rejects.toThrow(/run bad: the PyTorch runner failed: ValueError: .*[Nn]esterov/);
  }, 60_000);
});

withTorch('torch runner against the TypeScript engine', () => {
  it('cuts the crops batch.ts cuts (3 channels, 16-bit labels, flips) and starts from the TS U-Net (logits to 1e-4)', async () => {
    const data = tinyData(3, true);
    const folder = createCacheFolder();
    const runner = await startRunner({ python: found!.command, label: 'test' });
    try {
      await writeDataCache(folder, data);
      await runner.request('init', { cache: folder, device: 'cpu', threads: 1, channelsLast: true });
      for (const step of plan(4, 3, data, 16)) {
        const out = join(folder, 'cut.bin');
        await runner.request('cut', { crops: step.batch.crops.map((c) => [c.image, c.x0, c.y0, c.flipX, c.flipY]), size: 16, out });
        const bytes = readFileSync(out);
        const expected = materialiseBatch(step.batch, data.train, data.normalisation);
        const images = new Float32Array(bytes.buffer, bytes.byteOffset, expected.images.length);
        const labels = new BigInt64Array(bytes.buffer.slice(bytes.byteOffset + images.byteLength, bytes.byteOffset + bytes.length));
        expect(step.batch.crops.some((c) => c.flipX || c.flipY)).toBe(true);
        expect(Array.from(images)).toEqual(Array.from(expected.images));
        expect(Array.from(labels, Number)).toEqual(Array.from(expected.labels));
      }

      const options = { numClasses: 3, inputChannels: 3, depth: 2, baseWidth: 4, classPriors: [0.5, 0.3, 0.2], seed: 11 };
      const unet = buildUNet(options);
      const weights = unet.initialWeights();
      writeFileSync(join(folder, 'w.f32'), new Uint8Array(weights.buffer));
      const source = { recipe: recipeFor({ name: 'ce', params: {} }), provenance: 'test', numClasses: 3, classNames: null, ignoreIndex: 255, notes: [] };
      writeFileSync(join(folder, 'loss.py'), exportSnippet(source, 'pytorch'));
      const layout = unet.parameters.map(({ name, shape, offset, size }) => ({ name, shape, offset, size }));
      await runner.request('create_run', { run: 'r', model: { name: 'unet', ...options }, weightsFile: join(folder, 'w.f32'), layout, seed: 11, lossFile: join(folder, 'loss.py'), clipNorm: null });
      const rng = createRng(2);
      const input = Float32Array.from({ length: 2 * 16 * 12 * 3 }, () => rng.next() * 4 - 2);
      writeFileSync(join(folder, 'x.f32'), new Uint8Array(input.buffer));
      await runner.request('forward', { run: 'r', input: join(folder, 'x.f32'), output: join(folder, 'y.f32'), n: 2, height: 16, width: 12 });
      const out = readFileSync(join(folder, 'y.f32'));
      const torchLogits = new Float32Array(out.buffer, out.byteOffset, out.length / 4);
      const tsLogits = tf.tidy(() => {
        const w = unet.parameters.map((p) => tf.tensor(weights.subarray(p.offset, p.offset + p.size), p.shape));
        return unet.forward(w, tf.tensor4d(input, [2, 16, 12, 3])).dataSync();
      });
      expect(torchLogits).toHaveLength(tsLogits.length);
      let worst = 0;
      tsLogits.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - torchLogits[i]))));
      expect(worst).toBeLessThan(1e-4);
    } finally {
      await runner.close();
      removeCacheFolder(folder);
    }
  }, 120_000);
});

withTorch('torch engine: --model smp:... (a stand-in smp package)', () => {
  it('trains and predicts an smp model, encoder weights only from a local file; errors name the problem', async () => {
    const env = { ...process.env, PYTHONPATH: fixtures };
    const scratch = mkdtempSync(join(tmpdir(), 'segloss-smp-'));
    try {
      const weights = join(scratch, 'encoder.pth');
      const other = join(scratch, 'other.pth');
      const save = `import torch; torch.save({"0.weight": torch.full((8, 1, 3, 3), 0.05), "0.bias": torch.zeros(8)}, ${JSON.stringify(weights)}); torch.save({"layer9.weight": torch.zeros(1)}, ${JSON.stringify(other)})`;
      execFileSync(found!.command, ['-c', save]);
      // The Python found already, as it is with the stand-in on its path.
      const withSmp = { ...found!, probe: { ...found!.probe, smp: '0.0-test' } };
      const data = tinyData();
      const engine = await createTorchEngine({ backend: 'torch', model, data, torch: { env, found: withSmp, model: 'smp:Unet:fake34', modelWeights: weights, devices: ['cpu'] } });
      try {
        expect(engine.parameterCount).toBe(8 * 9 + 8 + 2 * 8 + 2);
        expect(engine.backend.detail).toMatch(/model smp:Unet:fake34/);
        const run = await engine.createRun(spec('smp', 1, { name: 'ce', params: {} }));
        expect((await run.train(plan(1, 3, data))).every(Number.isFinite)).toBe(true);
        expect((await run.predictValidation()).map((p) => p.length)).toEqual([32 * 32, 20 * 28]);
      } finally {
        await engine.dispose();
      }
      await expect(createTorchEngine({ backend: 'torch', model, data, torch: { found: found!, model: 'smp:Unet:resnet34' } })).rejects.toThrow(
        found!.probe.smp ? /./ : /--model smp:Unet:resnet34 needs segmentation_models_pytorch/,
      );
      await expect(createTorchEngine({ backend: 'torch', model, data, torch: { found: found!, model: 'resnet' } })).rejects.toThrow(/is not a model segloss knows/);
      await expect(createTorchEngine({ backend: 'torch', model, data, torch: { env, found: withSmp, model: 'smp:Unet:fake34', modelWeights: other, devices: ['cpu'] } })).rejects.toThrow(/other\.pth holds no weights of the fake34 encoder/);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('torch engine: clear errors', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'segloss-fake-python-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const script = (name: string, body: string) => {
    const path = join(scratch, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  const setup = (torch: Parameters<typeof createTorchEngine>[0]['torch']) => ({ backend: 'torch' as const, model, data: tinyData(), torch });

  it('no Python: names what was tried', async () => {
    const error = await createTorchEngine(setup({ python: join(scratch, 'no-such-python') })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/No Python with a usable torch was found\. Tried: --python \(.*no-such-python\): not found/);
    const viaEnv = await createTorchEngine(setup({ env: { ...process.env, SEGLOSS_PYTHON: join(scratch, 'nope') } })).catch((e: unknown) => e);
    expect((viaEnv as Error).message).toMatch(/SEGLOSS_PYTHON \(.*nope\): not found/);
  });

  it('an old torch: says the minimum', async () => {
    const old = script('old-torch', `echo '{"python":"3.9.1","executable":"/x","numpy":"1.21","numpyError":null,"torch":"1.12.1","torchError":null,"cuda":false,"cudaDevices":[],"mps":false,"smp":null}'`);
    await expect(createTorchEngine(setup({ python: old }))).rejects.toThrow(/torch 1\.12\.1 is older than 1\.13/);
  });

  it('auto records why torch was skipped and falls back to tfjs', async () => {
    const engine = await createEngine({ backend: 'auto', model, data: tinyData(), threads: 1, torch: { python: join(scratch, 'no-such-python') } });
    try {
      expect(engine.backend.name).not.toBe('torch');
      expect(engine.backend.skipped[0]).toMatchObject({ name: 'torch', why: expect.stringMatching(/no-such-python/) });
    } finally {
      await engine.dispose();
    }
  }, 60_000);

  (found ? it : it.skip)('a Python without torch; CUDA asked where there is none', async () => {
    const bare = script('bare-python', `exec "${found!.command}" -S "$@"`);
    await expect(createTorchEngine(setup({ python: bare }))).rejects.toThrow(/--python \(.*bare-python\): Python [\d.]+ without torch \(ModuleNotFoundError: No module named 'torch'\)/);
    if (!found!.probe.cuda) await expect(createTorchEngine(setup({ found: found!, device: 'cuda:1' }))).rejects.toThrow(/cuda:1 was asked for, but torch .* sees no CUDA device/);
  });

  (found ? it : it.skip)('a runner crash shows its stderr tail and leaves no temp folder', async () => {
    // Only this process's caches count: other test files (other processes) train torch at the same time.
    const ours = () => readdirSync(tmpdir()).filter((f) => f.startsWith('segloss-torch-') && ownedByThisProcess(join(tmpdir(), f)));
    const before = ours();
    const env = { ...process.env, PYTHONPATH: fixtures, FAKE_CRASH_ON: 'init' };
    const error = await createTorchEngine(setup({ found: found!, env, runnerModule: 'fake_runner_crash' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(1);
    expect((error as Error).message).toMatch(/exited with status 3; its last output:\nRuntimeError: simulated native failure in the fake runner/);
    const engine = await createTorchEngine(setup({ found: found!, env: { ...env, FAKE_CRASH_ON: 'train' }, runnerModule: 'fake_runner_crash' }));
    try {
      const run = await engine.createRun(spec('doomed', 1, { name: 'ce', params: {} }));
      await expect(run.train(plan(1, 2, tinyData()))).rejects.toThrow(/run doomed: the PyTorch runner \(cpu, process 1\) exited with status 3; its last output:\nRuntimeError: simulated/);
    } finally {
      await engine.dispose();
    }
    const oom = await createTorchEngine(setup({ found: found!, env: { ...env, FAKE_CRASH_ON: 'none', FAKE_OOM_ON: 'train' }, runnerModule: 'fake_runner_crash' }));
    try {
      const run = await oom.createRun(spec('big', 1, { name: 'ce', params: {} }));
      const error = await run.train(plan(1, 2, tinyData())).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toMatch(/run big: the GPU ran out of memory \(OutOfMemoryError: CUDA out of memory/);
      expect((error as UserError).fix).toMatch(/smaller --batch or --crop/);
    } finally {
      await oom.dispose();
    }
    expect(ours().filter((f) => !before.includes(f))).toEqual([]);
  }, 60_000);
});
