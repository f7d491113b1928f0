/**
 * Training speed of the default U-Net: images/s for one training step (batch 8, 6 classes,
 * Adam, CE) at 64x64 and 128x128 on each available backend: the median of 9 timed steps
 * (--steps N), after warm-up steps.
 *   npm run bench:train [-- --json] [-- --steps N] [-- --backend torch [--python PATH]]
 * `--backend torch` adds PyTorch rows (bench/torch-rows.ts): a plain PyTorch loop of the same
 * U-Net, batch, loss and optimiser, and the torch engine's runner processes (crops cut by the
 * runner from its data cache, as verify trains; whole train requests timed from here): one process
 * with torch threads = cores (with and without channels-last, and with the old
 * OMP_WAIT_POLICY=PASSIVE), and one single-thread process per core training two runs at once
 * (images/s of both together); interleaved over --rounds N rounds (default 5), each row with its
 * ratio to the plain loop in the same round and its measured overhead share (the runner's time
 * outside forward, backward and the optimiser).
 * `--json` prints only a JSON array of {backend, size, batch, imagesPerSecond[, vsPlainLoop,
 * overheadShare]} rows. Progress,
 * images per CPU-second and the load average go to stderr: on a busy machine wall-clock speed
 * falls with the load, CPU time much less.
 */
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTrainingEngine, selectBackend } from '../src/engine/index.js';
import { findTorchPython } from '../src/engine/torch/python.js';
import { measureTorchRows } from './torch-rows.js';
import { defaultLossModuleUrl } from '../src/engine/replica.js';
import { createRng } from '../src/verify/random.js';
import { median } from '../src/verify/divergence.js';
import type { BackendName } from '../src/contracts/verification.js';

const json = process.argv.includes('--json');
const stepsArg = process.argv.indexOf('--steps');
const measuredSteps = stepsArg > 0 ? Number(process.argv[stepsArg + 1]) : 9;
const batchSize = 8;
const numClasses = 6;
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Row { backend: string; size: number; batch: number; imagesPerSecond: number; vsPlainLoop?: number; overheadShare?: number | null }

function lossModule(): string {
  const real = defaultLossModuleUrl();
  if (existsSync(fileURLToPath(real))) return real;
  log('note: src/losses is not available; timing with the plain CE in bench/ce-loss.ts');
  return pathToFileURL(fileURLToPath(new URL('./ce-loss.ts', import.meta.url))).href;
}

interface Measurement {
  imagesPerSecond: number;
  /** Images per second of CPU time used by the whole process (all threads): the speed an idle machine would show per busy core. */
  imagesPerCpuSecond: number;
}

async function measure(backend: BackendName, threads: number, size: number, steps: number, warmup: number): Promise<Measurement> {
  const engine = await createTrainingEngine({
    backend,
    threads,
    model: { numClasses, inputChannels: 3, depth: 3, baseWidth: 16, seed: 1 },
    loss: { name: 'ce', params: {} },
    lossContext: { numClasses, ignoreIndex: null, classWeights: null, scaleAware: null },
    optimizer: { name: 'adam', lr: 1e-3, weightDecay: 0, momentum: null, nesterov: false },
    gradientClipNorm: null,
    lossModule: lossModule(),
  });
  try {
    const rng = createRng(size);
    const pixels = batchSize * size * size;
    const batch = {
      images: Float32Array.from({ length: pixels * 3 }, () => rng.next() * 2 - 1),
      labels: Int32Array.from({ length: pixels }, () => rng.int(numClasses)),
      n: batchSize,
      height: size,
      width: size,
    };
    for (let i = 0; i < warmup; i++) await engine.trainStep(batch, 1e-3);
    // The median step: a step slowed by another process on this shared machine does not count.
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < steps; i++) {
      const start = performance.now();
      const cpuStart = process.cpuUsage();
      await engine.trainStep(batch, 1e-3);
      const used = process.cpuUsage(cpuStart);
      wall.push((performance.now() - start) / 1000);
      cpu.push((used.user + used.system) / 1e6);
    }
    return { imagesPerSecond: batchSize / median(wall), imagesPerCpuSecond: batchSize / median(cpu) };
  } finally {
    await engine.dispose();
  }
}

/**
 * The same fixed float loop on `threads` threads at once, in ms each. On an idle 2-core machine
 * they match; on this shared VM one vCPU is at times ~1.6x slower than the other (its neighbours),
 * which moves every images/s figure: the probe says when that happens.
 */
async function probeThreads(threads: number): Promise<number[]> {
  const code = `
    const { parentPort } = require('node:worker_threads');
    const n = 192, a = new Float32Array(n * n).fill(1.0001), b = new Float32Array(n * n).fill(0.9999), c = new Float32Array(n * n);
    const start = performance.now();
    for (let r = 0; r < 8; r++) for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) { const v = a[i * n + k]; for (let j = 0; j < n; j++) c[i * n + j] += v * b[k * n + j]; }
    parentPort.postMessage(performance.now() - start);`;
  return Promise.all(
    Array.from({ length: threads }, () => new Promise<number>((resolve, reject) => {
      const worker = new Worker(code, { eval: true });
      worker.once('message', (ms: number) => { resolve(ms); void worker.terminate(); });
      worker.once('error', reject);
    })),
  );
}

function logProbe(when: string, times: number[]): void {
  log(`CPU probe ${when}: the same loop took ${times.map((ms) => `${ms.toFixed(0)} ms`).join(' / ')} on ${times.length} threads at once (equal on an idle machine)`);
}

function argValue(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
}


async function main(): Promise<void> {
  const cores = availableParallelism();
  const rows: Row[] = [];
  logProbe('before', await probeThreads(cores));
  const run = async (label: string, backend: BackendName, threads: number, size: number, steps: number, warmup: number) => {
    const { imagesPerSecond, imagesPerCpuSecond } = await measure(backend, threads, size, steps, warmup);
    rows.push({ backend: label, size, batch: batchSize, imagesPerSecond: Math.round(imagesPerSecond * 10) / 10 });
    log(
      `${label.padEnd(22)} ${String(size).padStart(3)}x${size}  batch ${batchSize}  ${imagesPerSecond.toFixed(1)} images/s` +
        `  (${imagesPerCpuSecond.toFixed(1)} per CPU-second; load average ${loadavg()[0].toFixed(1)} on ${cores} cores)`,
    );
  };
  for (const native of ['tensorflow-gpu', 'tensorflow'] as const) {
    try {
      await selectBackend(native);
      for (const size of [64, 128]) await run(native, native, 1, size, measuredSteps, 2);
    } catch (error) {
      log(`${native.padEnd(22)} skipped: ${(error as Error).message}`);
    }
  }
  for (const size of process.argv.includes('--torch-only') ? [] : [64, 128]) {
    await run('wasm', 'wasm', 1, size, measuredSteps, 2);
    if (cores > 1) await run(`wasm x${cores} workers`, 'wasm', cores, size, measuredSteps, 2);
  }
  if (argValue('--backend') === 'torch') {
    const found = await findTorchPython({ python: argValue('--python') });
    const rounds = Number(argValue('--rounds') ?? 5);
    log(`torch rows: ${rounds} interleaved rounds of ${measuredSteps} steps per row (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cores} cores)`);
    const torchRows = await measureTorchRows({ found, cores, sizes: [64, 128], batch: batchSize, steps: measuredSteps, rounds, log });
    for (const r of torchRows) {
      rows.push({ backend: r.label, size: r.size, batch: batchSize, imagesPerSecond: Math.round(r.imagesPerSecond * 10) / 10, vsPlainLoop: Math.round(r.vsPlainLoop * 100) / 100, overheadShare: r.overheadShare === null ? null : Math.round(r.overheadShare * 1000) / 1000 });
      log(
        `${r.label.padEnd(40)} ${String(r.size).padStart(3)}x${r.size}  batch ${batchSize}  ${r.imagesPerSecond.toFixed(1)} images/s  ${r.vsPlainLoop.toFixed(2)}x the plain loop` +
          `${r.overheadShare === null ? '' : `  overhead ${(100 * r.overheadShare).toFixed(1)}%`}`,
      );
    }
    log(`torch rows done (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
  }
  if (process.argv.includes('--cpu')) await run('cpu', 'cpu', 1, 64, 1, 1);
  else log('cpu                    skipped: the pure-JS backend takes minutes per step (add --cpu to time one step at 64x64)');
  logProbe('after', await probeThreads(cores));
  if (json) process.stdout.write(`${JSON.stringify(rows)}\n`);
  else {
    for (const r of rows) {
      const extra = `${r.vsPlainLoop !== undefined ? `\t${r.vsPlainLoop}x plain loop` : ''}${r.overheadShare != null ? `\toverhead ${(100 * r.overheadShare).toFixed(1)}%` : ''}`;
      process.stdout.write(`${r.backend}\t${r.size}x${r.size}\tbatch ${r.batch}\t${r.imagesPerSecond} images/s${extra}\n`);
    }
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(String((error as Error)?.stack ?? error));
    process.exit(1);
  },
);
