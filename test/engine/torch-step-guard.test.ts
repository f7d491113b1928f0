/**
 * The runner's two ways of keeping a non-finite step away from the weights (python/segloss_torch/
 * step.py), run on the CPU: the `host` guard (the CPU's, the old order of operations) and the
 * `device` guard a GPU uses (losses read once per round, the update masked on the device),
 * forced onto the CPU through init's test hook. With a loss file that returns NaN at one step,
 * both leave the weights as they were before it, and a run trains on afterwards exactly as a
 * run that never saw that step; on finite steps the device guard gives the host guard's losses.
 * Also: one reply per round (no per-step lines), phase timing, and --precision checks.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDataCache } from '../../src/engine/torch/cache.js';
import { stepMessage } from '../../src/engine/torch/engine.js';
import { findTorchPython, type FoundPython } from '../../src/engine/torch/python.js';
import { startRunner, type RunnerProcess } from '../../src/engine/torch/runner-process.js';
import type { EngineImage, StepPlan, TrainingData } from '../../src/engine/types.js';
import { buildUNet } from '../../src/engine/unet.js';
import { createCropPlanner } from '../../src/verify/data.js';
import { createRng } from '../../src/verify/random.js';

let found: FoundPython | null = null;
try {
  found = await findTorchPython();
} catch (error) {
  process.stderr.write(`torch step guard tests skipped: ${(error as Error).message}\n`);
}

function image(rng: ReturnType<typeof createRng>, k: number): EngineImage {
  const labels = new Uint8Array(32 * 32);
  const pixels = new Uint8Array(32 * 32);
  for (let i = 0; i < labels.length; i++) {
    labels[i] = i % 32 > 10 + k ? 1 : 0;
    pixels[i] = labels[i] ? 180 + rng.int(50) : 30 + rng.int(50);
  }
  return { id: `g${k}`, width: 32, height: 32, channels: 1, pixels, labels };
}

const data = (): TrainingData => {
  const rng = createRng(8);
  return { train: [image(rng, 0), image(rng, 1)], val: [image(rng, 2)], normalisation: { mean: [100], std: [60] }, numClasses: 2, ignoreIndex: null };
};

// NaN exactly at progress 0.5 (the planned step 5 of 10); Adam, so the optimiser has device moments and a step counter.
const LOSS = `import torch
import torch.nn.functional as F

def compute_loss(logits, target, progress):
    loss = F.cross_entropy(logits, target)
    return loss * float("nan") if progress == 0.5 else loss

def make_optimizer(model):
    return torch.optim.Adam(model.parameters(), lr=1e-2)
`;

function plan(training: TrainingData, count: number): StepPlan[] {
  const planner = createCropPlanner(training.train, { cropSize: 16, batchSize: 2, rareClassOversampling: 0, rareClasses: [], numClasses: 2, flips: true, seed: 6 });
  return Array.from({ length: count }, (_, i) => ({ batch: planner.nextBatchPlan(), learningRate: 1e-2, progress: i / count }));
}

(found ? describe : describe.skip)('torch runner: a non-finite step leaves the weights untouched (host and device guards)', () => {
  let folder: string;
  const runners: RunnerProcess[] = [];
  const model = { name: 'unet', numClasses: 2, inputChannels: 1, depth: 1, baseWidth: 4 };
  let layout: unknown;
  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'segloss-guard-')); // not segloss-torch-*: torch-engine.test.ts counts those
    await writeDataCache(folder, data());
    const unet = buildUNet({ numClasses: 2, inputChannels: 1, depth: 1, baseWidth: 4, seed: 2 });
    writeFileSync(join(folder, 'w.f32'), new Uint8Array(unet.initialWeights().buffer));
    writeFileSync(join(folder, 'loss.py'), LOSS);
    writeFileSync(join(folder, 'x.f32'), new Uint8Array(Float32Array.from({ length: 16 * 16 }, (_, i) => Math.sin(i)).buffer));
    layout = unet.parameters.map(({ name, shape, offset, size }) => ({ name, shape, offset, size }));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(runners.map((r) => r.close()));
    rmSync(folder, { recursive: true, force: true });
  });

  const start = async (guard: 'host' | 'device') => {
    const runner = await startRunner({ python: found!.command, label: guard });
    runners.push(runner);
    const info = await runner.request('init', { cache: folder, device: 'cpu', threads: 1, guard });
    expect(info).toMatchObject({ precision: 'fp32', deterministic: true, dataOnDevice: true });
    return runner;
  };
  const create = (runner: RunnerProcess, run: string) => runner.request('create_run', { run, model, weightsFile: join(folder, 'w.f32'), layout, seed: 2, lossFile: join(folder, 'loss.py'), clipNorm: null });
  const train = async (runner: RunnerProcess, run: string, steps: StepPlan[]) => {
    const lines: unknown[] = [];
    const reply = await runner.request('train', { run, steps: steps.map(stepMessage), timing: true }, (line) => lines.push(line));
    expect(lines).toEqual([]); // one reply per round
    return reply;
  };
  const logits = async (runner: RunnerProcess, run: string) => {
    const out = join(folder, `y-${runner.pid}-${run}.f32`);
    await runner.request('forward', { run, input: join(folder, 'x.f32'), output: out, n: 1, height: 16, width: 16 });
    const bytes = readFileSync(out);
    return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
  };

  it('the NaN step changes nothing; training goes on as if it never happened', async () => {
    const steps = plan(data(), 10);
    const host = await start('host');
    const device = await start('device');
    // Reference: a host run that trains steps 0-4, skips 5 (the NaN) and trains 6-9.
    await create(host, 'ref');
    const refHead = await train(host, 'ref', steps.slice(0, 5));
    const refTail = await train(host, 'ref', steps.slice(6));
    // The host guard, the whole round at once.
    await create(host, 'h');
    const h = await train(host, 'h', steps);
    expect(h.losses).toEqual([...(refHead.losses as number[]), null, ...(refTail.losses as number[])]);
    expect(await logits(host, 'h')).toEqual(await logits(host, 'ref'));
    // The device guard: the same finite losses up to the NaN, the rest of the round masked.
    await create(device, 'd');
    const d = await train(device, 'd', steps);
    expect(d.losses).toEqual([...(refHead.losses as number[]), null, null, null, null, null]);
    await create(host, 'ref5');
    await train(host, 'ref5', steps.slice(0, 5));
    expect(await logits(device, 'd')).toEqual(await logits(host, 'ref5'));
    // Its next round trains as the reference's tail did (weights, moments and Adam's step counter were put back).
    const again = await train(device, 'd', steps.slice(6));
    expect(again.losses).toEqual(refTail.losses);
    const phases = d.phaseSeconds as Record<string, number>;
    expect(Object.keys(phases).sort()).toEqual(['backward', 'forward', 'optimizer']);
    expect(phases.forward).toBeGreaterThan(0);
  }, 120_000);

  it('--precision: fp16 on the CPU is refused with the fix; bf16 trains', async () => {
    const runner = await startRunner({ python: found!.command, label: 'precision' });
    runners.push(runner);
    await expect(runner.request('init', { cache: folder, device: 'cpu', threads: 1, precision: 'fp16' })).rejects.toThrow(/--precision fp16 needs a GPU/);
    await runner.request('init', { cache: folder, device: 'cpu', threads: 1, precision: 'bf16' });
    await create(runner, 'b');
    const reply = await runner.request('train', { run: 'b', steps: plan(data(), 3).map(stepMessage) });
    expect((reply.losses as number[]).every(Number.isFinite)).toBe(true);
  }, 120_000);
});
