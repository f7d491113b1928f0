/**
 * Finding a Python that can run segloss's torch runner, and what it offers. Tried in order:
 * --python PATH, SEGLOSS_PYTHON, `python3` on PATH, then /usr/bin/python3 (a system Python often
 * has the distribution's torch when a pyenv or venv python3 on PATH does not). An explicit
 * --python or SEGLOSS_PYTHON is used or refused, never passed over. Each candidate runs
 * segloss_torch/probe.py, which imports numpy and torch one by one and reports what failed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../common/errors.js';

/** The oldest torch segloss tests the runner on (Debian bookworm's python3-torch). */
export const MIN_TORCH = [1, 13] as const;

export interface TorchProbe {
  python: string;
  executable: string;
  numpy: string | null;
  numpyError: string | null;
  torch: string | null;
  torchError: string | null;
  cuda: boolean;
  cudaDevices: Array<{ name: string; memoryBytes: number }>;
  cudaError?: string;
  mps: boolean;
  smp: string | null;
}

export interface FoundPython {
  /** The command that was run (as given or found). */
  command: string;
  /** Where it came from, e.g. "--python", "SEGLOSS_PYTHON", "python3 on PATH". */
  origin: string;
  probe: TorchProbe;
  /** Candidates passed over before this one, each with why. */
  skipped: string[];
}

export interface PythonRequest {
  /** --python PATH. */
  python?: string;
  /** Environment (default process.env): SEGLOSS_PYTHON and PATH are read from it. */
  env?: NodeJS.ProcessEnv;
  /** How long each probe may take (default PROBE_TIMEOUT_MS). */
  probeTimeoutMs?: number;
}

/** The folder holding segloss_torch/ (the package's python/ folder), from src/ or dist/src/. */
export function runnerRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'python');
    if (existsSync(join(candidate, 'segloss_torch', 'runner.py'))) return candidate;
    dir = dirname(dir);
  }
  throw new UserError('segloss\'s Python runner (python/segloss_torch) is missing from the installed package', {
    exitCode: 1,
    fix: 'reinstall segloss; the package ships a python/ folder',
  });
}

/**
 * Environment for the runner and the probe: segloss_torch importable, no .pyc written into the
 * package, and OpenMP's wait policy chosen by measurement (bench/train.ts), unless the user set
 * OMP_WAIT_POLICY: PASSIVE (waiting threads sleep) where the runners' threads and the work already
 * running ask for more than the cores (engine.ts `oversubscribed`: spinning threads then starve the
 * ones with work, 2-25x slower), and where a runner has one thread (no OpenMP worker waits, so it
 * changes nothing); OpenMP's default (spin briefly, then sleep) for runners that fit idle cores,
 * which PASSIVE slowed 1.7-2.3x (forward and backward are many short parallel regions, and each
 * wake-up costs).
 */
export function runnerEnv(env: NodeJS.ProcessEnv = process.env, threads: { perProcess: number; oversubscribed: boolean } = { perProcess: 1, oversubscribed: false }): NodeJS.ProcessEnv {
  const root = runnerRoot();
  const passive = threads.perProcess <= 1 || threads.oversubscribed;
  const { OMP_WAIT_POLICY: given, ...rest } = env;
  return {
    ...rest,
    PYTHONPATH: env.PYTHONPATH ? `${root}${delimiter}${env.PYTHONPATH}` : root,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    ...(given !== undefined ? { OMP_WAIT_POLICY: given } : passive ? { OMP_WAIT_POLICY: 'PASSIVE' } : {}),
  };
}

const probes = new Map<string, Promise<TorchProbe | { failure: string }>>();

/**
 * How long the probe may take: importing torch from a cold disk takes seconds, never minutes. A
 * --python that hangs (a wrapper that waits on something) is killed, with all it started, at this.
 */
export const PROBE_TIMEOUT_MS = 120_000;
/** The probe prints one short JSON line; more than this is not the probe talking. */
const PROBE_OUTPUT_LIMIT = 1 << 20;

/**
 * Runs `command -m segloss_torch.probe` in its own process group, so that a timeout kills what a
 * wrapper script started too (execFile's timeout kills the shell only, and waits for its orphans
 * to close the pipe); resolves at the timeout or output limit without waiting for them.
 */
function runProbe(command: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<TorchProbe | { failure: string }> {
  return runJsonLineProbe(command, ['-m', 'segloss_torch.probe'], env, timeoutMs, parseProbe);
}

/**
 * Runs a segloss_torch module that answers with one JSON line (the torch probe, the cluster
 * probe) in its own process group, with a timeout and an output limit; `parse` returns null for
 * a line that is not the expected answer.
 */
export function runJsonLineProbe<T>(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, parse: (line: string) => T | null): Promise<T | { failure: string }> {
  const shown = `${command} ${args.join(' ')}`;
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(command, args, { env: runnerEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (error) {
      return resolve({ failure: `could not be started (${(error as Error).message})` });
    }
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (result: T | { failure: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      killGroup(child.pid);
      resolve(result);
    };
    const timer = setTimeout(() => finish({ failure: `did not answer within ${Math.round(timeoutMs / 1000)} s and was stopped (run \`${shown}\` with PYTHONPATH set to segloss's python/ folder to see where it waits)` }), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.length > PROBE_OUTPUT_LIMIT) finish({ failure: `printed more than ${PROBE_OUTPUT_LIMIT >> 20} MB instead of the probe's one line, and was stopped` });
    });
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-PROBE_OUTPUT_LIMIT);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      finish({ failure: error.code === 'ENOENT' ? 'not found' : error.code === 'EACCES' ? 'not executable' : `could not be started (${error.message})` });
    });
    child.on('close', (code, signal) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      const answer = parse(line);
      if (answer) return finish(answer);
      const tail = stderr.trim().split('\n').slice(-3).join(' | ');
      const how = signal ? `was killed by ${signal}` : code === 0 ? 'printed no probe line' : `exited with status ${code}`;
      finish({ failure: `did not run the probe (${how}${tail ? `; stderr: ${tail}` : ''})` });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The probe's JSON line when it is one (an object with the fields read later), else null. */
function parseProbe(line: string): TorchProbe | null {
  if (!line.startsWith('{')) return null;
  try {
    const json = JSON.parse(line) as Partial<TorchProbe> | null;
    if (typeof json !== 'object' || json === null) return null;
    const text = (v: unknown) => typeof v === 'string' || v === null;
    if (!text(json.torch) || !text(json.numpy) || typeof json.python !== 'string') return null;
    return { ...json, cuda: json.cuda === true, mps: json.mps === true, cudaDevices: Array.isArray(json.cudaDevices) ? json.cudaDevices : [] } as TorchProbe;
  } catch {
    return null;
  }
}

/** Runs the probe with `command` (memoised per command and environment). */
export function probePython(command: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = PROBE_TIMEOUT_MS): Promise<TorchProbe | { failure: string }> {
  const key = `${command}\0${env.PATH ?? ''}\0${env.PYTHONPATH ?? ''}`;
  let pending = probes.get(key);
  if (!pending) {
    pending = runProbe(command, env, timeoutMs);
    probes.set(key, pending);
  }
  return pending;
}

/** Why this probe's Python cannot run the runner, or null when it can. */
export function unusableBecause(probe: TorchProbe): string | null {
  if (probe.torch === null) return `Python ${probe.python} without torch (${probe.torchError ?? 'import failed'})`;
  if (!torchAtLeast(probe.torch, MIN_TORCH)) return `torch ${probe.torch} is older than ${MIN_TORCH.join('.')}, the oldest segloss supports`;
  if (probe.numpy === null) return `Python ${probe.python} with torch ${probe.torch} but without numpy (${probe.numpyError ?? 'import failed'})`;
  return null;
}

export function torchAtLeast(version: string, minimum: readonly [number, number]): boolean {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > minimum[0] || (major === minimum[0] && minor >= minimum[1]);
}

const INSTALL_FIX =
  'point segloss at a Python with torch >= 1.13 and numpy: --python /path/to/python (or SEGLOSS_PYTHON); ' +
  'install torch with `pip install torch numpy` (CUDA builds: https://pytorch.org/get-started/locally/) or Debian\'s `apt install python3-torch`';

/**
 * The first usable Python, in the documented order.
 * @throws UserError (exit 2) naming every candidate tried and why it could not be used.
 */
export async function findTorchPython(request: PythonRequest = {}): Promise<FoundPython> {
  const env = request.env ?? process.env;
  const explicit = request.python ? { command: request.python, origin: '--python' } : env.SEGLOSS_PYTHON ? { command: env.SEGLOSS_PYTHON, origin: 'SEGLOSS_PYTHON' } : null;
  const candidates = explicit ? [explicit] : [{ command: 'python3', origin: 'python3 on PATH' }, { command: '/usr/bin/python3', origin: '/usr/bin/python3' }];
  const skipped: string[] = [];
  for (const { command, origin } of candidates) {
    const probe = await probePython(command, env, request.probeTimeoutMs);
    const why = 'failure' in probe ? probe.failure : unusableBecause(probe);
    if (why === null) return { command, origin, probe: probe as TorchProbe, skipped };
    skipped.push(`${origin} (${command}): ${why}`);
  }
  throw new UserError(`No Python with a usable torch was found. Tried: ${skipped.join('; ')}.`, { fix: INSTALL_FIX });
}
