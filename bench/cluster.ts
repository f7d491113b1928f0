/**
 * What a Dask cluster costs and buys (issue 20): the same verify run (fixed --steps, no racing)
 * on the local torch engine and on a local Dask cluster with 1 and 2 workers (a scheduler and
 * workers on loopback, started here with /usr/bin/python3's distributed), side by side in one run,
 * interleaved over rounds. Per row: seconds to start (engine up: probe, runner upload, actors,
 * data sent), seconds end to end, and training steps per second (candidate x seed runs x steps /
 * wall seconds of the whole run). On one 2-core machine the cluster cannot be faster than the
 * local engine (the same cores, plus the bridge); the rows show the overhead a real cluster's
 * extra nodes must pay for.
 *   npm run bench:cluster [-- --steps 48 --rounds 3 --images 24 --size 128 --python /usr/bin/python3 --json]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/engine/index.js';
import { DEFAULT_RUN_SETTINGS, runOnData, type RunSettings } from '../src/verify/run.js';
import { prepareSample } from './sample-data.js';

const args = process.argv.slice(2);
const value = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const config = {
  steps: Number(value('steps', '48')),
  rounds: Number(value('rounds', '3')),
  images: Number(value('images', '24')),
  size: Number(value('size', '128')),
  python: value('python', '/usr/bin/python3'),
  json: args.includes('--json'),
};

const processes: ChildProcess[] = [];

function startDask(kind: 'scheduler' | 'worker', extra: string[], pattern: RegExp, dir: string): Promise<RegExpMatchArray> {
  const child = spawn(config.python, ['-m', `distributed.cli.dask_${kind}`, ...extra], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, env: { ...process.env, DASK_TEMPORARY_DIRECTORY: join(dir, 'dask') } });
  processes.push(child);
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const match = log.match(pattern);
      if (match) resolve(match);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`dask ${kind} exited (${code}):\n${log.slice(-2000)}`)));
  });
}

async function cluster(workers: number, dir: string): Promise<string> {
  const [, address] = await startDask('scheduler', ['--host', '127.0.0.1', '--port', '0', '--no-dashboard'], /Scheduler at:\s+(tcp:\/\/127\.0\.0\.1:\d+)/, dir);
  for (let i = 0; i < workers; i++) await startDask('worker', [address, '--host', '127.0.0.1', '--nthreads', '1', '--no-nanny', '--no-dashboard'], /Registered to:/, dir);
  return address;
}

interface Row {
  engine: string;
  startSeconds: number[];
  totalSeconds: number[];
  stepsPerSecond: number[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'segloss-bench-cluster-'));
  try {
    const { data, recommendation } = await prepareSample('rare', 1, dir, { images: config.images, size: config.size });
    const one = await cluster(1, dir);
    const two = await cluster(2, dir);
    const engines: Array<{ engine: string; torch: RunSettings['torch'] }> = [
      { engine: 'local torch (2 procs x 1 thread)', torch: { python: config.python } },
      { engine: 'Dask, 1 worker x 1 thread', torch: { python: config.python, cluster: one } },
      { engine: 'Dask, 2 workers x 1 thread', torch: { python: config.python, cluster: two } },
    ];
    const rows: Row[] = engines.map((e) => ({ engine: e.engine, startSeconds: [], totalSeconds: [], stepsPerSecond: [] }));
    // folds: 1 (one split x 2 seeds): the workload this bench was measured with (verify's default is now 5 folds).
    const seeds = 2;
    const settings: RunSettings = { ...DEFAULT_RUN_SETTINGS, steps: config.steps, candidates: ['recommended', 'ce'], folds: 1, seeds, racing: false, backend: 'torch' };
    for (let round = 0; round < config.rounds; round++) {
      for (const [i, e] of engines.entries()) {
        const started = performance.now();
        let up = 0;
        const report = await runOnData(data, recommendation, { ...settings, torch: e.torch }, {
          createEngine,
          onEvent: (event) => {
            // The plan is announced once the engine is up (runners started, data sent).
            if (up === 0 && event.kind === 'plan') up = (performance.now() - started) / 1000;
          },
        });
        const total = (performance.now() - started) / 1000;
        const steps = report.candidates.reduce((sum, c) => sum + c.stepsDone * seeds, 0);
        rows[i].startSeconds.push(up);
        rows[i].totalSeconds.push(total);
        rows[i].stepsPerSecond.push(steps / total);
        process.stderr.write(`round ${round + 1} ${e.engine}: ${total.toFixed(1)} s (${up.toFixed(1)} s to start), ${(steps / total).toFixed(2)} steps/s\n`);
      }
    }
    if (config.json) {
      process.stdout.write(`${JSON.stringify(rows.map((r) => ({ engine: r.engine, startSeconds: median(r.startSeconds), totalSeconds: median(r.totalSeconds), stepsPerSecond: median(r.stepsPerSecond) })))}\n`);
      return;
    }
    const base = median(rows[0].stepsPerSecond);
    process.stdout.write(`verify --steps ${config.steps}, 2 candidates x 2 seeds, no racing; ${config.images} images of ${config.size} px; median of ${config.rounds} interleaved rounds\n\n`);
    process.stdout.write('| engine | start s | total s | steps/s | vs local |\n|---|---|---|---|---|\n');
    for (const r of rows) {
      const sps = median(r.stepsPerSecond);
      process.stdout.write(`| ${r.engine} | ${median(r.startSeconds).toFixed(1)} | ${median(r.totalSeconds).toFixed(1)} | ${sps.toFixed(2)} | ${(sps / base).toFixed(2)}x |\n`);
    }
  } finally {
    for (const child of processes) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
