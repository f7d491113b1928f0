/**
 * Chooses the tfjs backend for training. `auto` tries, in order, tensorflow-gpu (tfjs-node-gpu),
 * tensorflow (tfjs-node), wasm (with the project's conv-gradient kernels) and cpu, and records
 * why each skipped backend could not be used. An explicitly requested backend that cannot load
 * is a user error (exit 2) carrying that reason.
 */
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../common/errors.js';
import type { BackendName } from '../contracts/verification.js';
import { TFJS_BACKEND_ORDER, type TfjsBackendName } from '../contracts/verification.js';
import { registerWasmConvGradientKernels } from './conv-gradient-kernels.js';
import { registerNormReluKernels } from './norm-relu.js';
import { registerWasmPoolResizeGradientKernels } from './pool-resize-gradient-kernels.js';
import { registerResizeGradientKernels } from './resize-gradient-kernel.js';

/**
 * The project's kernels for the wasm and cpu backends. The wasm package is imported first: its
 * import registers its own kernels, which would replace ours if it came later.
 */
export async function registerEngineKernels(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  registerWasmConvGradientKernels();
  registerWasmPoolResizeGradientKernels();
  registerResizeGradientKernels();
  registerNormReluKernels();
}

export interface LoadedBackend {
  /** e.g. 'tfjs-node-gpu 4.22.0 on GPU', 'tfjs-backend-wasm 4.22.0 (SIMD, XNNPACK conv gradients)'. */
  detail: string;
  /** Threads the backend itself uses for one op. */
  threads: number;
}

/** Loads a backend and makes it the active tfjs backend; throws (any error) when it cannot. */
export type BackendLoader = () => Promise<LoadedBackend>;
export type BackendLoaders = Record<TfjsBackendName, BackendLoader>;

export interface SelectedBackend {
  name: TfjsBackendName;
  detail: string;
  threads: number;
  skipped: Array<{ name: BackendName; why: string }>;
}

const EXPORT_HINT = 'or use `--backend torch` (PyTorch, any CUDA version), or train in PyTorch with the recipe from `segloss export report.json --to pytorch`';

const INSTALL_HINTS: Record<TfjsBackendName, string> = {
  'tensorflow-gpu':
    'install it with `npm i @tensorflow/tfjs-node-gpu@4.22.0` (needs an NVIDIA GPU with CUDA 11.2 and cuDNN 8.1), ' + EXPORT_HINT,
  tensorflow: 'install it with `npm i @tensorflow/tfjs-node@4.22.0` for native CPU speed',
  wasm: 'reinstall segloss (its @tensorflow/tfjs-backend-wasm dependency is missing or broken)',
  cpu: 'reinstall segloss (its @tensorflow/tfjs dependency is missing or broken)',
};

function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.message} ${String((error as { code?: unknown }).code ?? '')}`;
  return String(error);
}

function isModuleNotFound(error: unknown, packageName: string): boolean {
  const text = errorText(error);
  return /ERR_MODULE_NOT_FOUND|MODULE_NOT_FOUND|Cannot find (package|module)|Could not resolve/.test(text) && text.includes(packageName);
}

/** A libtensorflow 2.9.1 GPU build that cannot find the CUDA 11 / cuDNN 8 shared libraries. */
function isCudaMismatch(error: unknown): boolean {
  return /lib(cudart|cublas|cublasLt|cufft|curand|cusolver|cusparse)\.so\.11|libcudnn\.so\.8|CUDA driver version is insufficient/.test(
    errorText(error),
  );
}

/** Turns a load failure into one sentence that says what to do. */
export function explainLoadFailure(name: TfjsBackendName, error: unknown): string {
  const packageName: Record<TfjsBackendName, string> = {
    'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
    tensorflow: '@tensorflow/tfjs-node',
    wasm: '@tensorflow/tfjs-backend-wasm',
    cpu: '@tensorflow/tfjs',
  };
  if (isModuleNotFound(error, packageName[name])) {
    return `${packageName[name]} is not installed: ${INSTALL_HINTS[name]}.`;
  }
  if (name === 'tensorflow-gpu' && isCudaMismatch(error)) {
    return (
      '@tensorflow/tfjs-node-gpu 4.22 is built on libtensorflow 2.9.1 and needs CUDA 11.2 and cuDNN 8.1 ' +
      '(it fails to load libcudart.so.11.0 under CUDA 12; tfjs issues 8362, 8187): install CUDA 11.2 + cuDNN 8.1 ' +
      `side by side and put them on LD_LIBRARY_PATH, ${EXPORT_HINT}.`
    );
  }
  const firstLine = errorText(error).trim().split('\n')[0] ?? 'unknown error';
  return `${packageName[name]} failed to load (${firstLine}): ${INSTALL_HINTS[name]}.`;
}

/** Dynamic import of an optional peer that may not be installed (kept out of the type checker). */
async function importOptional(specifier: string): Promise<unknown> {
  return import(specifier);
}

async function activate(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`tfjs could not initialise the ${name} backend`);
  await tf.ready();
}

/**
 * Runs `start` and removes any uncaughtException / unhandledRejection listeners it added. The
 * wasm backend's Emscripten glue installs listeners that rethrow, which turns any later stray
 * error into a crash printing a whole line of minified code instead of segloss's own message.
 */
async function withoutNewProcessHandlers(start: () => Promise<void>): Promise<void> {
  const events = ['uncaughtException', 'unhandledRejection'];
  const listeners = (event: string) => process.listeners(event as 'exit') as Array<(...args: unknown[]) => void>;
  const before = events.map((event) => new Set(listeners(event)));
  try {
    await start();
  } finally {
    events.forEach((event, i) => {
      for (const listener of listeners(event)) if (!before[i].has(listener)) process.removeListener(event, listener);
    });
  }
}

export const defaultLoaders: BackendLoaders = {
  'tensorflow-gpu': async () => {
    await importOptional('@tensorflow/tfjs-node-gpu');
    await activate('tensorflow');
    const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
    if (backend.isUsingGpuDevice === false) {
      throw new Error('tfjs-node-gpu loaded but TensorFlow found no usable GPU device (check nvidia-smi and the CUDA 11.2 install)');
    }
    return { detail: 'tfjs-node-gpu 4.22.0 (libtensorflow 2.9.1, CUDA)', threads: cpus().length };
  },
  tensorflow: async () => {
    await importOptional('@tensorflow/tfjs-node');
    await activate('tensorflow');
    return { detail: 'tfjs-node 4.22.0 (libtensorflow 2.9.1, CPU)', threads: cpus().length };
  },
  wasm: async () => {
    await registerEngineKernels();
    // The multithreaded wasm build cannot start its workers under Node (blob: URLs); segloss
    // parallelises by data-parallel worker threads instead, each with a single-threaded backend.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    await withoutNewProcessHandlers(() => activate('wasm'));
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    return { detail: `tfjs-backend-wasm 4.22.0 (${simd ? 'SIMD' : 'no SIMD'}, XNNPACK conv gradients)`, threads: 1 };
  },
  cpu: async () => {
    await registerEngineKernels();
    await activate('cpu');
    return { detail: 'tfjs cpu backend 4.22.0 (pure JavaScript, slow)', threads: 1 };
  },
};

/**
 * Loads the requested tfjs backend, or with 'auto' the first that loads in TFJS_BACKEND_ORDER
 * (the torch backend is chosen before this, in createEngine).
 * @throws UserError (exit 2) when an explicitly requested backend cannot load.
 */
export async function selectBackend(request: 'auto' | BackendName, loaders: BackendLoaders = defaultLoaders): Promise<SelectedBackend> {
  if (request === 'torch') {
    throw new UserError('The torch backend trains through the Engine contract (createEngine), not this single-model trainer.', { fix: 'use --backend auto|wasm|cpu|tensorflow|tensorflow-gpu here' });
  }
  if (request !== 'auto' && !TFJS_BACKEND_ORDER.includes(request)) {
    throw new UserError(`Unknown backend "${String(request)}".`, { fix: `use --backend auto|${TFJS_BACKEND_ORDER.join('|')}` });
  }
  const order: TfjsBackendName[] = request === 'auto' ? TFJS_BACKEND_ORDER : [request];
  const skipped: SelectedBackend['skipped'] = [];
  for (const name of order) {
    try {
      const loaded = await loaders[name]();
      return { name, detail: loaded.detail, threads: loaded.threads, skipped };
    } catch (error) {
      const why = explainLoadFailure(name, error);
      if (request !== 'auto') {
        throw new UserError(`The ${name} backend cannot be used: ${why}`, {
          fix: 'use --backend auto to fall back to the fastest backend that loads',
          cause: error,
        });
      }
      skipped.push({ name, why });
    }
  }
  throw new UserError('No tfjs backend could be loaded.', {
    exitCode: 1,
    fix: skipped.map((s) => `${s.name}: ${s.why}`).join('; '),
  });
}
