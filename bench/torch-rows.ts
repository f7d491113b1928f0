/**
 * bench:train's PyTorch rows (issue 19): the torch engine's runner processes against a plain
 * PyTorch loop of the same U-Net (bench/plain-torch-loop.py) in the same run. On this shared
 * 2-core VM speed swings 2x within a minute, so the rows are interleaved: every round times each
 * row once (in a rotated order), and a row's figure is the median over rounds of its images/s and
 * of its ratio to the plain loop's images/s in the same round. The plain loop runs twice, with
 * OpenMP's default wait policy (the reference) and with OMP_WAIT_POLICY=PASSIVE: a
 * multi-thread runner row is compared with the plain loop under its own policy (the runner's
 * overhead, not the policy's), a single-thread row with the default one. Every process starts once and
 * stays up (idle ones wait on a pipe), so a round times training only.
 *
 * The overhead share of a runner row is measured, not estimated: the runner times forward (model
 * + loss), backward and the optimiser step (CUDA events on a GPU), and the share is 1 - that /
 * the wall time of its train request as segloss sees it (crop cutting, the pipe, JSON, the
 * non-finite guard, clipping's norm: everything a plain loop does not do).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCacheFolder, removeCacheFolder, writeDataCache } from '../src/engine/torch/cache.js';
import { oversubscribed, stepMessage } from '../src/engine/torch/engine.js';
import { measureBusyCores } from '../src/engine/torch/busy-cores.js';
import { runnerRoot, type FoundPython } from '../src/engine/torch/python.js';
import { startRunner, type RunnerProcess } from '../src/engine/torch/runner-process.js';
import { buildUNet } from '../src/engine/unet.js';
import { exportSnippet } from '../src/report/export/index.js';
import type { Recipe } from '../src/contracts/recommendation.js';
import type { EngineImage, StepPlan, TrainingData } from '../src/engine/types.js';
import { createRng } from '../src/verify/random.js';
import { median } from '../src/verify/divergence.js';

export interface TorchRowResult {
  label: string;
  size: number;
  imagesPerSecond: number;
  /** Median over rounds of this row's images/s / the plain loop's in the same round (under the row's own wait policy for multi-thread rows; the default one's for the plain loop with PASSIVE). */
  vsPlainLoop: number;
  /** Median share of the runner's wall time outside forward/backward/optimiser (null for the plain loop). */
  overheadShare: number | null;
}

interface RowSpec {
  label: string;
  processes: number;
  threads: number;
  channelsLast: boolean;
  device: string;
  /** Extra environment (the OMP_WAIT_POLICY comparison row). */
  env?: NodeJS.ProcessEnv;
}

const numClasses = 6;
const PLAIN = 'plain PyTorch loop';

/** The torch rows for `cores` cores: the engine's CPU layouts (names kept from before), the old wait policy, and CUDA when present. */
export function torchRowSpecs(cores: number, cuda: boolean): RowSpec[] {
  const rows: RowSpec[] = [
    { label: `torch threads=${cores}`, processes: 1, threads: cores, channelsLast: false, device: 'cpu' },
    { label: `torch threads=${cores} channels-last`, processes: 1, threads: cores, channelsLast: true, device: 'cpu' },
    { label: `torch threads=${cores} OMP_WAIT_POLICY=PASSIVE`, processes: 1, threads: cores, channelsLast: false, device: 'cpu', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } },
  ];
  if (cores > 1) {
    rows.push({ label: `torch ${cores} procs x1 thread`, processes: cores, threads: 1, channelsLast: false, device: 'cpu' });
    rows.push({ label: `torch ${cores} procs x1 channels-last`, processes: cores, threads: 1, channelsLast: true, device: 'cpu' });
  }
  if (cuda) rows.push({ label: 'torch cuda', processes: 1, threads: 1, channelsLast: false, device: 'cuda' });
  return rows;
}

/** Synthetic data for the runner rows: 8 RGB 256x256 images, 6 classes. */
function torchData(): TrainingData {
  const rng = createRng(3);
  const image = (k: number): EngineImage => ({
    id: `b${k}`,
    width: 256,
    height: 256,
    channels: 3,
    pixels: Uint8Array.from({ length: 256 * 256 * 3 }, () => rng.int(256)),
    labels: Uint8Array.from({ length: 256 * 256 }, () => rng.int(numClasses)),
  });
  return { train: Array.from({ length: 8 }, (_, k) => image(k)), val: [image(8)], normalisation: { mean: [127, 127, 127], std: [74, 74, 74] }, numClasses, ignoreIndex: null };
}

function torchSteps(size: number, batch: number, count: number, seed: number): StepPlan[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => ({
    batch: { size, crops: Array.from({ length: batch }, () => ({ image: rng.int(8), x0: rng.int(256 - size + 1), y0: rng.int(256 - size + 1), flipX: rng.next() < 0.5, flipY: rng.next() < 0.5 })) },
    learningRate: 1e-3,
    progress: 0,
  }));
}

const benchRecipe: Recipe = {
  id: 'bench', title: 'CE', loss: { name: 'ce', params: {} }, classWeights: null, scaleAware: null,
  optimizer: { name: 'adam', lr: 1e-3, weightDecay: 0, momentum: null, nesterov: false },
  schedule: { name: 'constant', warmupFraction: 0, power: null, minLrFactor: 1 },
  gradientClipNorm: null, rareClassOversampling: 0, derivedFrom: [],
};

/** The plain loop as a long-lived process: one JSON request per timed stretch of steps. */
async function startPlainLoop(python: string, threads: number, device: string, passive: boolean): Promise<{ run: (size: number, batch: number, steps: number) => Promise<number>; close: () => void }> {
  const script = fileURLToPath(new URL('./plain-torch-loop.py', import.meta.url));
  const env = { ...process.env, PYTHONPATH: process.env.PYTHONPATH ? `${runnerRoot()}:${process.env.PYTHONPATH}` : runnerRoot(), ...(passive ? { OMP_WAIT_POLICY: 'PASSIVE' } : {}) };
  const child: ChildProcessWithoutNullStreams = spawn(python, ['-u', script, String(threads), device], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let buffered = '';
  let stderr = '';
  const waiting: Array<(line: string) => void> = [];
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (buffered + chunk.toString()).split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) waiting.shift()?.(line);
  });
  const exited = new Promise<never>((_, reject) => child.on('exit', (code) => reject(new Error(`the plain PyTorch loop exited with status ${code}: ${stderr}`))));
  exited.catch(() => undefined);
  const next = () => Promise.race([new Promise<string>((resolve) => waiting.push(resolve)), exited]);
  await next(); // ready
  return {
    async run(size, batch, steps) {
      const reply = next();
      child.stdin.write(`${JSON.stringify({ size, batch, steps, classes: numClasses })}\n`);
      return Number(JSON.parse(await reply).seconds);
    },
    close: () => child.kill(),
  };
}

interface RunnerRow {
  spec: RowSpec;
  runners: RunnerProcess[];
  /** Whether its runners wait passively (OMP_WAIT_POLICY=PASSIVE). */
  passive: boolean;
}

async function startRunnerRow(spec: RowSpec, found: FoundPython, folder: string, cores: number, log: (line: string) => void): Promise<RunnerRow> {
  const unet = buildUNet({ numClasses, inputChannels: 3, depth: 3, baseWidth: 16, seed: 1 });
  const layout = unet.parameters.map(({ name, shape, offset, size: n }) => ({ name, shape, offset, size: n }));
  const model = { name: 'unet', numClasses, inputChannels: 3, depth: 3, baseWidth: 16 };
  const devices = Array.from({ length: spec.processes }, () => spec.device);
  const runners: RunnerProcess[] = [];
  // One measurement decides the policy, as the engine's oversubscribedNow does, and is logged.
  const busyCores = await measureBusyCores();
  const busy = oversubscribed(devices, spec.threads, cores, busyCores);
  const policy = spec.env?.OMP_WAIT_POLICY ?? process.env.OMP_WAIT_POLICY ?? (spec.threads <= 1 || busy ? 'PASSIVE' : "OpenMP's default");
  log(`  ${spec.label}: OMP_WAIT_POLICY ${policy} (${busyCores.toFixed(2)} of ${cores} cores busy; load average ${loadavg()[0].toFixed(1)})`);
  for (let k = 0; k < spec.processes; k++) {
    const runner = await startRunner({ python: found.command, label: `${spec.label} ${k}`, env: spec.env, threads: spec.threads, oversubscribed: busy });
    runners.push(runner);
    await runner.request('init', { cache: folder, device: spec.device, threads: spec.threads, channelsLast: spec.channelsLast });
    await runner.request('create_run', { run: 'r', model, weightsFile: join(folder, 'w.f32'), layout, seed: 1, lossFile: join(folder, 'loss.py'), clipNorm: null });
  }
  return { spec, runners, passive: policy === 'PASSIVE' };
}

/** One timed stretch of a runner row: images/s of all its processes together, and the median overhead share over its processes. */
async function timeRunnerRow(row: RunnerRow, size: number, batch: number, steps: number, seed: number): Promise<{ imagesPerSecond: number; overheadShare: number }> {
  const start = performance.now();
  const shares = await Promise.all(
    row.runners.map(async (runner, k) => {
      const began = performance.now();
      const reply = await runner.request('train', { run: 'r', steps: torchSteps(size, batch, steps, seed + k).map(stepMessage), timing: true });
      const wall = (performance.now() - began) / 1000;
      const phases = reply.phaseSeconds as Record<string, number>;
      return 1 - (phases.forward + phases.backward + phases.optimizer) / wall;
    }),
  );
  const wall = (performance.now() - start) / 1000;
  return { imagesPerSecond: (row.runners.length * steps * batch) / wall, overheadShare: median(shares) };
}

export async function measureTorchRows(options: { found: FoundPython; cores: number; sizes: number[]; batch: number; steps: number; rounds: number; log: (line: string) => void }): Promise<TorchRowResult[]> {
  const { found, cores, batch, steps, rounds, log } = options;
  const cuda = found.probe.cuda;
  const specs = torchRowSpecs(cores, cuda);
  const folder = createCacheFolder();
  const rows: RunnerRow[] = [];
  // 'cpu-procs': `cores` plain loops of one thread each, timed together: the ceiling of the engine's
  // CPU default (one single-thread runner per core), so its ratio says what "2 procs" can reach here.
  const plains: Array<{ device: string; loops: Array<Awaited<ReturnType<typeof startPlainLoop>>> }> = [];
  const results: TorchRowResult[] = [];
  try {
    await writeDataCache(folder, torchData());
    const weights = buildUNet({ numClasses, inputChannels: 3, depth: 3, baseWidth: 16, seed: 1 }).initialWeights();
    await writeFile(join(folder, 'w.f32'), new Uint8Array(weights.buffer));
    await writeFile(join(folder, 'loss.py'), exportSnippet({ recipe: benchRecipe, provenance: 'bench', numClasses, classNames: null, ignoreIndex: null, notes: [] }, 'pytorch'));
    plains.push({ device: 'cpu', loops: [await startPlainLoop(found.command, cores, 'cpu', false)] });
    plains.push({ device: 'cpu-passive', loops: [await startPlainLoop(found.command, cores, 'cpu', true)] });
    if (cores > 1) plains.push({ device: 'cpu-procs', loops: await Promise.all(Array.from({ length: cores }, () => startPlainLoop(found.command, 1, 'cpu', true))) });
    if (cuda) plains.push({ device: 'cuda', loops: [await startPlainLoop(found.command, 1, 'cuda', false)] });
    for (const spec of specs) rows.push(await startRunnerRow(spec, found, folder, cores, log));
    for (const size of options.sizes) {
      const plainLabel = (device: string) =>
        device === 'cuda' ? `${PLAIN} cuda` : device === 'cpu-procs' ? `${PLAIN} ${cores} procs x1 thread` : `${PLAIN} threads=${cores}${device === 'cpu-passive' ? ' OMP_WAIT_POLICY=PASSIVE' : ''}`;
      const samples = new Map<string, { ips: number[]; ratio: number[]; share: number[] }>();
      const sample = (label: string) => samples.get(label) ?? samples.set(label, { ips: [], ratio: [], share: [] }).get(label)!;
      // Warm-up: every process runs two steps at this size (allocator, first-call costs).
      for (const p of plains) await Promise.all(p.loops.map((loop) => loop.run(size, batch, 2)));
      for (const row of rows) await timeRunnerRow(row, size, batch, 2, 1);
      for (let round = 0; round < rounds; round++) {
        const plainNow = new Map<string, number>();
        const timePlain = async (device: string) => {
          const { loops } = plains.find((p) => p.device === device)!;
          // Several loops run at once; their images over the slowest one's own loop time.
          const ips = (loops.length * steps * batch) / Math.max(...(await Promise.all(loops.map((loop) => loop.run(size, batch, steps)))));
          plainNow.set(device, ips);
          sample(plainLabel(device)).ips.push(ips);
        };
        // Rotated order: no row always runs right after the same neighbour.
        const order = [...plains.map((p) => ({ plain: p.device })), ...rows.map((row) => ({ row }))];
        const rotated = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
        const measured: Array<{ row: RunnerRow; ips: number; share: number }> = [];
        for (const item of rotated) {
          if ('plain' in item) await timePlain(item.plain);
          else {
            const { imagesPerSecond, overheadShare } = await timeRunnerRow(item.row, size, batch, steps, 100 * round + 7);
            measured.push({ row: item.row, ips: imagesPerSecond, share: overheadShare });
          }
        }
        for (const m of measured) {
          const s = sample(m.row.spec.label);
          s.ips.push(m.ips);
          s.share.push(m.share);
          s.ratio.push(m.ips / plainNow.get(m.row.spec.device !== 'cpu' ? 'cuda' : m.row.spec.threads > 1 && m.row.passive ? 'cpu-passive' : 'cpu')!);
        }
        for (const p of plains) sample(plainLabel(p.device)).ratio.push(plainNow.get(p.device)! / plainNow.get(p.device === 'cuda' ? 'cuda' : 'cpu')!);
        log(`  torch rows ${size}x${size}: round ${round + 1} of ${rounds}`);
      }
      for (const [label, s] of samples) {
        const isPlain = label.startsWith(PLAIN);
        results.push({ label, size, imagesPerSecond: median(s.ips), vsPlainLoop: median(s.ratio), overheadShare: isPlain ? null : median(s.share) });
      }
    }
  } finally {
    for (const p of plains) for (const loop of p.loops) loop.close();
    await Promise.all(rows.flatMap((row) => row.runners.map((r) => r.close())));
    removeCacheFolder(folder);
  }
  return results;
}
