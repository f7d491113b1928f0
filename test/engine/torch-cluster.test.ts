/**
 * verify --cluster on a real local Dask cluster (a scheduler and 2 workers on loopback, started
 * here with Debian's python3-distributed, which .ci/run installs): the same steps, losses and
 * scores as the local torch engine with the same seeds; the cluster recorded in verification.json;
 * a worker killed mid-run loses nothing (the run resumes on the other worker and ends equal to an
 * uninterrupted one); an unreachable scheduler, a scheduler without workers and a bad address each
 * exit 2 before any training; the probe names workers with another Python, an old torch or none.
 * Skipped, saying why, when /usr/bin/python3 lacks torch or distributed.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSampleDataset } from '../../src/dataset/index.js';
import { runnerEnv } from '../../src/engine/torch/python.js';
import { runCli } from '../helpers/run-cli.js';

const PYTHON = '/usr/bin/python3';
function hasClusterPython(): string | null {
  try {
    execFileSync(PYTHON, ['-c', 'import torch, numpy, distributed'], { stdio: 'ignore', timeout: 60_000 });
    return null;
  } catch {
    return `${PYTHON} cannot import torch, numpy and distributed (apt-get install python3-torch python3-distributed)`;
  }
}
const missing = hasClusterPython();
if (missing) process.stderr.write(`cluster tests skipped: ${missing}\n`);
const withCluster = missing ? describe.skip : describe;

let dir = '';
let dataset = '';
let scheduler = '';
const processes: ChildProcess[] = [];
const workers: ChildProcess[] = [];
const env = { ...process.env, SEGLOSS_PYTHON: PYTHON, SEGLOSS_CLUSTER_CONNECT_SECONDS: '5', SEGLOSS_CLUSTER_WORKER_WAIT_SECONDS: '3' };

/** Starts a dask CLI process and resolves with the first match of `pattern` in its log. */
function startDask(args: string[], pattern: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(PYTHON, ['-m', 'distributed.cli.dask_' + args[0], ...args.slice(1)], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, env: { ...process.env, DASK_TEMPORARY_DIRECTORY: join(dir, 'dask') } });
  processes.push(child);
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`dask ${args[0]} did not start:\n${log}`)), 90_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const match = log.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`dask ${args[0]} exited (${code}):\n${log}`)));
  });
}

beforeAll(async () => {
  if (missing) return;
  dir = mkdtempSync(join(tmpdir(), 'segloss-cluster-'));
  dataset = join(dir, 'data');
  await writeSampleDataset(dataset, { seed: 5, images: 10, size: 64 });
  const started = await startDask(['scheduler', '--host', '127.0.0.1', '--port', '0', '--no-dashboard'], /Scheduler at:\s+(tcp:\/\/127\.0\.0\.1:\d+)/);
  scheduler = started.match[1];
  for (const name of ['w1', 'w2']) {
    const worker = await startDask(['worker', scheduler, '--host', '127.0.0.1', '--nthreads', '1', '--no-nanny', '--no-dashboard', '--name', name], /Registered to:/);
    workers.push(worker.child);
  }
}, 180_000);

afterAll(() => {
  for (const child of processes) child.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// --folds 1: one split x 2 seeds, the workload this test was written for (verify's default is 5 folds).
const common = ['--steps', '24', '--candidates', 'recommended,ce', '--folds', '1', '--seeds', '2', '--crop', '32', '--batch', '4', '--json'];

interface Report {
  backend: { name: string; cluster?: { scheduler: string; workers: Array<{ address: string; device: string }>; recoveries: Array<{ from: string; to: string }> } };
  candidates: Array<{ id: string; stepsDone: number; lossCurve: number[]; metrics: { meanDice: { value: number } } }>;
}

function sameTraining(a: Report, b: Report): void {
  expect(a.candidates.map((c) => c.id)).toEqual(b.candidates.map((c) => c.id));
  a.candidates.forEach((c, i) => {
    const d = b.candidates[i];
    expect(c.stepsDone).toBe(d.stepsDone);
    expect(c.lossCurve).toEqual(d.lossCurve);
    expect(c.metrics.meanDice.value).toBe(d.metrics.meanDice.value);
  });
}

let local: Report;

withCluster('verify --cluster on a local Dask cluster', () => {
  it('trains the same steps, losses and scores as the local torch engine, and records the cluster', async () => {
    const here = await runCli(['verify', dataset, '--backend', 'torch', '--python', PYTHON, ...common]);
    expect(here.code, here.stderr).toBe(0);
    local = JSON.parse(here.stdout) as Report;
    const remote = await runCli(['verify', dataset, '--cluster', scheduler, '--python', PYTHON, ...common]);
    expect(remote.code, remote.stderr).toBe(0);
    const report = JSON.parse(remote.stdout) as Report;
    sameTraining(report, local);
    expect(report.backend.name).toBe('torch');
    expect(report.backend.cluster?.scheduler).toBe(scheduler);
    expect(report.backend.cluster?.workers.map((w) => w.device)).toEqual(['cpu', 'cpu']);
    expect(report.backend.cluster?.recoveries).toEqual([]);
  }, 300_000);

  it('a worker killed mid-run loses nothing: the run resumes on the other worker and ends equal', async () => {
    const out = join(dir, 'killed');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'verify', dataset, '--cluster', scheduler, '--python', PYTHON, ...common.filter((a) => a !== '--json'), '--out', out], {
      env: { ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let killed = false;
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // Training has begun on both workers: kill one of them (SIGKILL, as a preempting scheduler does).
      if (!killed && /rung 1 at/.test(stderr)) {
        killed = true;
        workers[0].kill('SIGKILL');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(killed, stderr).toBe(true);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'verification.json'), 'utf8')) as Report;
    expect(report.backend.cluster!.recoveries.length).toBeGreaterThan(0);
    sameTraining(report, local);
  }, 300_000);

  it('an unreachable scheduler, a bad address and a scheduler without workers exit 2 before training', async () => {
    const unreachable = await runCli(['verify', dataset, '--cluster', 'tcp://127.0.0.1:9', '--python', PYTHON, ...common]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/cannot reach the Dask scheduler at tcp:\/\/127\.0\.0\.1:9/);
    const bad = await runCli(['verify', dataset, '--cluster', 'http://x y', ...common]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/is not a Dask scheduler address/);
    const empty = await startDask(['scheduler', '--host', '127.0.0.1', '--port', '0', '--no-dashboard'], /Scheduler at:\s+(tcp:\/\/127\.0\.0\.1:\d+)/);
    const none = await runCli(['verify', dataset, '--cluster', empty.match[1], '--python', PYTHON, ...common]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/has no workers/);
    const wrongBackend = await runCli(['verify', dataset, '--cluster', scheduler, '--backend', 'wasm', ...common]);
    expect(wrongBackend.code).toBe(2);
  }, 120_000);

  it('the probe names workers with another Python minor version, an old torch, no torch or not the uploaded runner', () => {
    const code = `
import json
from segloss_torch.cluster import worker_problems
print(json.dumps(worker_problems([
  {"address": "w1", "python": "3.10.4", "torch": "1.12.1", "numpy": "1.24", "segloss": "/t/segloss_torch-abc.zip/segloss_torch/__init__.py"},
  {"address": "w2", "python": "3.11.2", "torch": None, "torchError": "ImportError: no torch", "numpy": "1.24", "segloss": None},
  {"address": "w3", "python": "3.11.9", "torch": "2.1.0+cu121", "numpy": "1.26", "segloss": "/t/segloss_torch-abc.zip/segloss_torch/__init__.py"}], "3.11.2", "abc")))`;
    const problems = JSON.parse(execFileSync(PYTHON, ['-c', code], { env: runnerEnv(process.env), encoding: 'utf8' })) as string[];
    expect(problems).toEqual([
      'worker w1 runs Python 3.10.4, the bridge 3.11.2: Dask moves pickles between them, which needs the same Python minor version',
      'worker w1 has torch 1.12.1; segloss needs torch >= 1.13',
      'worker w2 cannot import torch (ImportError: no torch)',
      'worker w2 does not run the uploaded segloss runner (it imports None)',
    ]);
  });
});
