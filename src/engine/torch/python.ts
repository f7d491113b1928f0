/**
 * Finding a Python that can run segloss's torch runner, and what it offers. Tried in order:
 * --python PATH, SEGLOSS_PYTHON, `python3` on PATH, then /usr/bin/python3 (a system Python often
 * has the distribution's torch when a pyenv or venv python3 on PATH does not). An explicit
 * --python or SEGLOSS_PYTHON is used or refused, never passed over. Each candidate runs
 * segloss_torch/probe.py, which imports numpy and torch one by one and reports what failed.
 */
import { execFile } from 'node:child_process';
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
 * package, and OpenMP threads that sleep instead of spin while they wait (OMP_WAIT_POLICY
 * PASSIVE, unless the user set it): on shared cores torch's spinning threads burned 30x the CPU
 * time per image (bench/train.ts).
 */
export function runnerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const root = runnerRoot();
  return {
    ...env,
    PYTHONPATH: env.PYTHONPATH ? `${root}${delimiter}${env.PYTHONPATH}` : root,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    OMP_WAIT_POLICY: env.OMP_WAIT_POLICY ?? 'PASSIVE',
  };
}

const probes = new Map<string, Promise<TorchProbe | { failure: string }>>();

/** Runs the probe with `command` (memoised per command and environment). */
export function probePython(command: string, env: NodeJS.ProcessEnv = process.env): Promise<TorchProbe | { failure: string }> {
  const key = `${command}\0${env.PATH ?? ''}\0${env.PYTHONPATH ?? ''}`;
  let pending = probes.get(key);
  if (!pending) {
    pending = new Promise((resolve) => {
      execFile(command, ['-m', 'segloss_torch.probe'], { env: runnerEnv(env), timeout: 120_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          if (line.startsWith('{')) return resolve(JSON.parse(line) as TorchProbe);
        } catch {
          // fall through to the failure below
        }
        const code = (error as NodeJS.ErrnoException | null)?.code;
        if (code === 'ENOENT') return resolve({ failure: 'not found' });
        if (code === 'EACCES') return resolve({ failure: 'not executable' });
        const tail = `${stderr}`.trim().split('\n').slice(-3).join(' | ');
        resolve({ failure: `did not run the probe (${error ? error.message.split('\n')[0] : 'no output'}${tail ? `; stderr: ${tail}` : ''})` });
      });
    });
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
    const probe = await probePython(command, env);
    const why = 'failure' in probe ? probe.failure : unusableBecause(probe);
    if (why === null) return { command, origin, probe: probe as TorchProbe, skipped };
    skipped.push(`${origin} (${command}): ${why}`);
  }
  throw new UserError(`No Python with a usable torch was found. Tried: ${skipped.join('; ')}.`, { fix: INSTALL_FIX });
}
