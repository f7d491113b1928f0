/**
 * The tfjs engine (wasm, cpu, tfjs-node) behind the Engine contract (types.ts): one U-Net
 * architecture, one gradient source (in this thread or data-parallel over worker threads), and
 * any number of runs, each its own flat weights, optimiser state and loss. Runs take turns on the
 * gradient source (concurrency 1: the threads already split every batch); switching runs costs
 * one loss rebuild in the workers when the loss differs.
 */
import { availableParallelism } from 'node:os';
import type { LossContext, LossSpec } from '../contracts/losses.js';
import { selectBackend, type BackendLoaders } from './backends.js';
import { materialiseBatch } from './batch.js';
import { createDataParallelGradientSource } from './data-parallel.js';
import { createLocalGradientSource, type GradientSource } from './gradient-source.js';
import { clipGlobalNorm, createOptimizer, type Optimizer } from './optimizers.js';
import { predictImage } from './predict.js';
import { checkBatch, loadLossFactory, type LabelledBatch } from './replica.js';
import type { Engine, EngineRun, EngineSetup, RunSpec } from './types.js';
import { buildUNet } from './unet.js';
import { runGuard } from './run-guard.js';

/** One optimiser step on flat weights; NaN (weights untouched) when the loss or gradient is not finite. */
export async function optimiserStep(
  source: GradientSource,
  state: { weights: Float32Array; optimizer: Optimizer; clipNorm: number | null },
  gradients: Float32Array,
  batch: LabelledBatch,
  learningRate: number,
): Promise<number> {
  const loss = await source.lossAndGradients(state.weights, batch, gradients);
  if (!Number.isFinite(loss)) return loss;
  const norm = clipGlobalNorm(gradients, state.clipNorm);
  if (!Number.isFinite(norm)) return Number.NaN;
  state.optimizer.step(state.weights, gradients, learningRate);
  return loss;
}

/** Data-parallel workers for the JS backends; tfjs-node parallelises each op itself. */
export function resolveThreads(requested: number | undefined): number {
  const threads = requested ?? availableParallelism();
  if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`threads must be a positive integer, got ${threads}`);
  return threads;
}

export async function createTfjsEngine(setup: EngineSetup & { loaders?: BackendLoaders }): Promise<Engine> {
  const { model, data } = setup;
  const unet = buildUNet({ ...model, seed: 0 });
  const selected = await selectBackend(setup.backend, setup.loaders);
  const threads = resolveThreads(setup.threads);
  const initialLoss: LossSpec = { name: 'ce', params: {} };
  const initialContext: LossContext = { numClasses: model.numClasses, ignoreIndex: data.ignoreIndex, classWeights: null, scaleAware: null };
  const dataParallel = (selected.name === 'wasm' || selected.name === 'cpu') && threads > 1;
  let source: GradientSource = dataParallel
    ? await createDataParallelGradientSource({ unet, backend: selected.name, workers: threads, loss: initialLoss, lossContext: initialContext, lossModule: setup.lossModule })
    : await createLocalGradientSource(unet, initialLoss, initialContext, setup.lossModule);
  // Built here too, so that a loss the library rejects fails its run at createRun, in this thread.
  const createLoss = await loadLossFactory(setup.lossModule);
  const gradients = new Float32Array(unet.size);
  let activeLoss = JSON.stringify([initialLoss, initialContext]);
  /** Runs take turns on the one gradient source. */
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  let disposed = false;
  const alive = () => {
    if (disposed) throw new Error('the training engine was disposed');
  };
  const useLoss = async (loss: LossSpec, context: LossContext) => {
    const key = JSON.stringify([loss, context]);
    if (key === activeLoss) return;
    await source.setLoss(loss, context);
    activeLoss = key;
  };

  return {
    backend: { name: selected.name, detail: selected.detail, threads: dataParallel ? source.threads : selected.threads, skipped: selected.skipped },
    parameterCount: unet.size,
    concurrency: 1,
    async createRun(spec: RunSpec): Promise<EngineRun> {
      alive();
      createLoss(spec.loss, spec.lossContext);
      const state = {
        weights: buildUNet({ ...model, seed: spec.seed }).initialWeights(),
        optimizer: createOptimizer(spec.recipe.optimizer, unet.size),
        clipNorm: spec.recipe.gradientClipNorm,
      };
      const guard = runGuard(spec.id, alive);
      const valImages = spec.validation ? spec.validation.map((i) => data.val[i]) : data.val;
      return {
        id: spec.id,
        train: (steps, signal) =>
          exclusive(async () => {
            guard.check();
            await useLoss(spec.loss, spec.lossContext);
            const losses: number[] = [];
            for (const step of steps) {
              // Let the event loop run between steps: on one thread the steps resolve as
              // microtasks only, and a Ctrl-C (a macrotask) would never be heard.
              await new Promise((resolve) => setImmediate(resolve));
              if (signal?.aborted) break;
              const batch = materialiseBatch(step.batch, data.train, data.normalisation, step.progress);
              checkBatch(batch, model.inputChannels);
              losses.push(await optimiserStep(source, state, gradients, batch, step.learningRate));
            }
            return losses;
          }),
        predictValidation: () =>
          exclusive(async () => {
            guard.check();
            const predict = (images: Float32Array, n: number, height: number, width: number) => source.predict(state.weights, { images, n, height, width });
            const out: Uint8Array[] = [];
            for (const image of valImages) out.push(await predictImage(predict, image, data.normalisation, model.depth));
            return out;
          }),
        async dispose() {
          guard.release();
        },
      };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await queue;
      await source.dispose();
      source = null as unknown as GradientSource;
    },
  };
}
