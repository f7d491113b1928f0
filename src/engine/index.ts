/**
 * The training engines. `createEngine` (the Engine contract of types.ts: many runs, crops as
 * plans) is what verify drives; `createTrainingEngine` is the single-model trainer underneath the
 * tfjs engine's steps (one seeded U-Net, reset between uses), kept for the benchmarks and tests:
 * loss + gradient on the backend, optionally data-parallel over worker threads; global-norm
 * clipping and the optimiser update on one flat weight array in the main thread.
 */
import type { EngineFactory } from './types.js';
import { createTfjsEngine, optimiserStep, resolveThreads } from './tfjs-engine.js';
import { createTorchEngine } from './torch/engine.js';
import { findTorchPython } from './torch/python.js';
import { UserError } from '../common/errors.js';
import type { LossContext, LossSpec } from '../contracts/losses.js';
import type { Recipe } from '../contracts/recommendation.js';
import type { BackendName } from '../contracts/verification.js';
import { selectBackend, type BackendLoaders } from './backends.js';
import { createDataParallelGradientSource } from './data-parallel.js';
import { createLocalGradientSource, type GradientSource } from './gradient-source.js';
import { createOptimizer, type Optimizer } from './optimizers.js';
import { checkBatch } from './replica.js';
import { buildUNet } from './unet.js';

export { selectBackend, explainLoadFailure, type BackendLoaders, type SelectedBackend } from './backends.js';
export { buildUNet, countParameters, type UNet, type UNetOptions } from './unet.js';
export { UNET_DEFAULTS } from './unet-defaults.js';
export { createOptimizer, clipGlobalNorm, globalNorm, type Optimizer } from './optimizers.js';
export { registerWasmConvGradientKernels } from './conv-gradient-kernels.js';
export { materialiseBatch, normalisedImage } from './batch.js';
export { predictImage, MAX_TILE } from './predict.js';
export { createTfjsEngine } from './tfjs-engine.js';
export { createTorchEngine, type TorchSettings } from './torch/engine.js';
export { findTorchPython, probePython, MIN_TORCH, type FoundPython, type TorchProbe } from './torch/python.js';
export { parseDeviceList } from './torch/devices.js';
export type * from './types.js';

/**
 * The engine for a setup. `torch`: PyTorch through the Python runner. `auto`: torch when a Python
 * with a usable torch is found (--python, SEGLOSS_PYTHON, python3, /usr/bin/python3), else the
 * fastest tfjs backend that loads, with why torch was passed over in `backend.skipped`.
 */
export const createEngine: EngineFactory = async (setup) => {
  if (setup.backend === 'torch') return createTorchEngine(setup);
  if (setup.backend !== 'auto') return createTfjsEngine(setup);
  let why: string;
  try {
    const found = await findTorchPython({ python: setup.torch?.python, env: setup.torch?.env });
    return await createTorchEngine({ ...setup, torch: { ...setup.torch, found } });
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    why = error.message;
  }
  const engine = await createTfjsEngine(setup);
  return { ...engine, backend: { ...engine.backend, skipped: [{ name: 'torch', why }, ...engine.backend.skipped] } };
};

export interface EngineOptions {
  backend: 'auto' | BackendName;
  /** Data-parallel worker threads for the wasm and cpu backends (default: available cores; 1 = in this thread). */
  threads?: number;
  model: { numClasses: number; inputChannels: number; depth: number; baseWidth: number; seed: number; classPriors?: number[] | null };
  loss: LossSpec;
  lossContext: LossContext;
  optimizer: Recipe['optimizer'];
  gradientClipNorm: number | null;
  /** Module exporting `createLoss` (default: src/losses/index). For tests and custom losses. */
  lossModule?: string;
  /** Backend loaders (default: the real ones). For tests. */
  loaders?: BackendLoaders;
}

export interface TrainingEngine {
  backend: { name: BackendName; detail: string; threads: number; skipped: Array<{ name: BackendName; why: string }> };
  parameterCount: number;
  /** images NHWC float32 (already normalised), labels NHW int32 (ignore pixels keep the ignore index). Returns the mean loss of the batch. */
  trainStep(batch: { images: Float32Array; labels: Int32Array; n: number; height: number; width: number }, learningRate: number): Promise<number>;
  /** Argmax class per pixel, NHW. */
  predict(images: Float32Array, n: number, height: number, width: number): Promise<Uint8Array>;
  /** Resets weights to the seeded initial ones and clears optimiser state (next candidate). */
  reset(loss: LossSpec, lossContext: LossContext, optimizer: Recipe['optimizer'], gradientClipNorm: number | null): Promise<void>;
  dispose(): Promise<void>;
}

export async function createTrainingEngine(options: EngineOptions): Promise<TrainingEngine> {
  const unet = buildUNet(options.model);
  const selected = await selectBackend(options.backend, options.loaders);
  const requestedThreads = resolveThreads(options.threads);
  // tfjs-node parallelises each op itself; the JS backends get data-parallel workers.
  const dataParallel = (selected.name === 'wasm' || selected.name === 'cpu') && requestedThreads > 1;
  let source: GradientSource = dataParallel
    ? await createDataParallelGradientSource({
        unet,
        backend: selected.name,
        workers: requestedThreads,
        loss: options.loss,
        lossContext: options.lossContext,
        lossModule: options.lossModule,
      })
    : await createLocalGradientSource(unet, options.loss, options.lossContext, options.lossModule);

  let weights = unet.initialWeights();
  const gradients = new Float32Array(unet.size);
  let optimizer: Optimizer = createOptimizer(options.optimizer, unet.size);
  let clipNorm = options.gradientClipNorm;
  let disposed = false;
  const alive = () => {
    if (disposed) throw new Error('the training engine was disposed');
  };

  return {
    backend: { name: selected.name, detail: selected.detail, threads: dataParallel ? source.threads : selected.threads, skipped: selected.skipped },
    parameterCount: unet.size,
    async trainStep(batch, learningRate) {
      alive();
      checkBatch(batch, unet.options.inputChannels);
      // A non-finite loss or gradient is reported (the caller marks the run diverged) and the
      // weights are left as they were, so predictions stay usable.
      return optimiserStep(source, { weights, optimizer, clipNorm }, gradients, batch, learningRate);
    },
    async predict(images, n, height, width) {
      alive();
      return source.predict(weights, { images, n, height, width });
    },
    async reset(loss, lossContext, optimizerSettings, gradientClipNorm) {
      alive();
      weights = unet.initialWeights();
      optimizer = createOptimizer(optimizerSettings, unet.size);
      clipNorm = gradientClipNorm;
      await source.setLoss(loss, lossContext);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await source.dispose();
      source = null as unknown as GradientSource;
    },
  };
}
