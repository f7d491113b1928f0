/**
 * One Python runner process (python -m segloss_torch) and its JSON-lines protocol
 * (python/segloss_torch/runner.py): requests carry an id, replies come back in order, a train
 * request streams one line per step before its final reply. stderr is kept (its tail goes into
 * every failure message). A runner that exits while requests are pending rejects them all with
 * its exit status and stderr tail; one that reports an error rejects that request only.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { UserError } from '../../common/errors.js';
import { runnerEnv } from './python.js';

const STDERR_KEPT = 16_384;
const STDERR_SHOWN_LINES = 25;
/**
 * The longest protocol line: the largest reply (a train request's losses, the sizes of the
 * validation images) is a few hundred kB. A runner that prints more on one line is not talking
 * the protocol, and reading on would hold it all in memory.
 */
export const MAX_PROTOCOL_LINE = 16 * 1024 * 1024;
/** How long a runner may take to import torch and say it is ready. */
export const READY_TIMEOUT_MS = 180_000;

/** An error the runner reported for one request. */
export class RunnerError extends Error {
  constructor(
    message: string,
    readonly kind: 'oom' | 'input' | 'device' | 'internal' | 'crash',
    readonly detail: string,
  ) {
    super(message);
    this.name = 'RunnerError';
  }
}

interface Pending {
  resolve: (reply: Record<string, unknown>) => void;
  reject: (error: Error) => void;
  onLine?: (line: Record<string, unknown>) => void;
}

export interface RunnerProcess {
  readonly label: string;
  readonly pid: number | undefined;
  /** Sends a command; resolves with its final reply. `onLine` receives the streamed lines before it. */
  request(command: string, fields?: Record<string, unknown>, onLine?: (line: Record<string, unknown>) => void): Promise<Record<string, unknown>>;
  /** Asks the runner to stop request `id` before its next step (no reply of its own). */
  abort(id: number): void;
  /** The id the next request will get. */
  nextId(): number;
  stderrTail(): string;
  /** Kills the process at once (exit handlers). */
  kill(): void;
  /** Asks the runner to exit; kills it if it has not within `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  python: string;
  label: string;
  env?: NodeJS.ProcessEnv;
  /** Module to run (default segloss_torch); tests point it at a broken one. */
  module?: string;
  /** Arguments after the module (the cluster bridge's --scheduler and --worker). */
  args?: string[];
  /** Default READY_TIMEOUT_MS. */
  readyTimeoutMs?: number;
  /** torch threads of this runner, and whether all runners together ask for more than the cores (picks OMP_WAIT_POLICY, python.ts runnerEnv). */
  threads?: number;
  oversubscribed?: boolean;
}

export async function startRunner(options: StartOptions): Promise<RunnerProcess> {
  const child: ChildProcessWithoutNullStreams = spawn(options.python, ['-u', '-m', options.module ?? 'segloss_torch', ...(options.args ?? [])], {
    env: runnerEnv(options.env, { perProcess: options.threads ?? 1, oversubscribed: options.oversubscribed ?? false }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT);
  });
  const pending = new Map<number, Pending>();
  let id = 0;
  let exited: Error | null = null;
  let ready: { resolve: () => void; reject: (e: Error) => void } | null = null;
  const readyPromise = new Promise<void>((resolve, reject) => {
    ready = { resolve, reject };
  });
  const tail = () => stderr.trimEnd().split('\n').slice(-STDERR_SHOWN_LINES).join('\n');

  const fail = (error: Error) => {
    exited ??= error;
    ready?.reject(error);
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  child.on('error', (error) => fail(new RunnerError(`could not start ${options.python}: ${error.message}`, 'crash', '')));
  child.stdin.on('error', () => undefined); // EPIPE after a crash: reported by 'exit' below
  const exitedPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      // Let the last stderr chunk arrive before reporting.
      setImmediate(() => {
        const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
        fail(new RunnerError(`the PyTorch runner (${options.label}) ${how}${tail() ? `; its last output:\n${tail()}` : ' without output'}`, 'crash', tail()));
        resolve();
      });
    });
  });

  const onLine = (text: string) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    // Not a protocol message (a stray print, `null`, a number): kept with stderr for the error tail.
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      stderr = (stderr + `[stdout] ${text.slice(0, 400)}\n`).slice(-STDERR_KEPT);
      return;
    }
    const line = parsed as Record<string, unknown>;
    if (line.ready) {
      ready?.resolve();
      return;
    }
    const waiting = pending.get(line.id as number);
    if (!waiting) return;
    if (line.ok) {
      pending.delete(line.id as number);
      waiting.resolve(line);
    } else if (line.error) {
      pending.delete(line.id as number);
      const error = (typeof line.error === 'object' && line.error !== null ? line.error : {}) as { kind?: RunnerError['kind']; message?: unknown; trace?: unknown };
      waiting.reject(new RunnerError(String(error.message ?? 'an error without a message'), error.kind ?? 'internal', typeof error.trace === 'string' ? error.trace : ''));
    } else {
      waiting.onLine?.(line);
    }
  };
  // Lines split here rather than by readline, which holds a line of any length in memory.
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    if (exited) return;
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const text of parts) onLine(text);
    if (partial.length > MAX_PROTOCOL_LINE) {
      partial = '';
      fail(new RunnerError(`the PyTorch runner (${options.label}) printed a line of more than ${MAX_PROTOCOL_LINE >> 20} MB on its protocol output, which no reply is; it was stopped${tail() ? `; its last output:\n${tail()}` : ''}`, 'crash', tail()));
      child.kill('SIGKILL');
    }
  });

  const readyTimeoutMs = options.readyTimeoutMs ?? READY_TIMEOUT_MS;
  const readyTimer = setTimeout(() => {
    fail(new RunnerError(`the PyTorch runner (${options.label}) did not start within ${Math.round(readyTimeoutMs / 1000)} s (it never said it was ready) and was stopped${tail() ? `; its last output:\n${tail()}` : ''}`, 'crash', tail()));
    child.kill('SIGKILL');
  }, readyTimeoutMs);
  readyPromise.then(() => clearTimeout(readyTimer), () => clearTimeout(readyTimer));

  await readyPromise.catch((error: Error) => {
    throw error;
  });

  const send = (message: Record<string, unknown>) => {
    child.stdin.write(`${JSON.stringify(message)}\n`);
  };
  return {
    label: options.label,
    pid: child.pid,
    request(command, fields = {}, onLine) {
      if (exited) return Promise.reject(exited);
      const requestId = ++id;
      return new Promise((resolve, reject) => {
        pending.set(requestId, { resolve, reject, onLine });
        send({ ...fields, id: requestId, cmd: command });
      });
    },
    abort(target) {
      if (!exited) send({ cmd: 'abort', target });
    },
    nextId: () => id + 1,
    stderrTail: tail,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    async close(graceMs = 5000) {
      if (exited) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        send({ id: ++id, cmd: 'shutdown' });
        child.stdin.end();
      } catch {
        child.kill('SIGKILL');
      }
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}

/** A runner failure as the message a user reads (UserError); `what` says what was being done. */
export function explainRunnerError(error: unknown, what: string): Error {
  if (!(error instanceof RunnerError)) return error instanceof Error ? error : new Error(String(error));
  switch (error.kind) {
    case 'oom':
      return new UserError(`${what}: the GPU ran out of memory (${error.message.split('\n')[0]})`, {
        exitCode: 1,
        fix: 'use a smaller --batch or --crop (or a smaller --model-width), or a GPU with more free memory',
        cause: error,
      });
    case 'device':
      return new UserError(`${what}: ${error.message.replace(/^DeviceError: /, '')}`, {
        fix: 'check the device with `python -c "import torch; print(torch.cuda.is_available())"`, or use --device cpu (or auto)',
        cause: error,
      });
    case 'crash':
      return new UserError(`${what}: ${error.message}`, { exitCode: 1, fix: 'the runner\'s output above says why; rerun with --backend wasm to train without PyTorch', cause: error });
    default:
      return new UserError(`${what}: the PyTorch runner failed: ${error.message}${error.detail ? `\n${error.detail.trimEnd().split('\n').slice(-STDERR_SHOWN_LINES).join('\n')}` : ''}`, { exitCode: 1, cause: error });
  }
}
