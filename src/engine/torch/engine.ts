/**
 * The PyTorch engine behind the Engine contract (../types.ts). segloss keeps the data, the crop
 * plan, the schedule and the scoring; one Python runner process per device trains the runs
 * pinned to it. At start the decoded data is written once to a temp cache the runners
 * memory-map (cache.ts); each run gets the TypeScript U-Net's seeded initial weights (so a seed
 * starts from the same weights on every backend) and the loss file `segloss export --to pytorch`
 * writes for its recipe, imported by the runner as is: what verify trains is what export gives.
 * The temp folder goes at dispose, and on exit if dispose never came.
 */
import { availableParallelism } from 'node:os';
import { measureBusyCores } from './busy-cores.js';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../common/errors.js';
import { exportSnippet } from '../../report/export/index.js';
import type { Engine, EngineRun, EngineSetup, RunSpec, StepPlan } from '../types.js';
import type { TorchPrecision } from '../../contracts/verification.js';
import { buildUNet } from '../unet.js';
import { createCacheFolder, removeCacheFolder, writeDataCache } from './cache.js';
import { isGpu, resolveDevices } from './devices.js';
import { findTorchPython, type FoundPython } from './python.js';
import { probeCluster, recoveriesIn, workerDevice, type ClusterRecovery } from './cluster.js';
import { explainRunnerError, RunnerError, startRunner, type RunnerProcess } from './runner-process.js';
import { describeProblem, fileKind } from '../../common/regular-file.js';
import { runGuard } from '../run-guard.js';

export interface TorchSettings {
  /** --python PATH (else SEGLOSS_PYTHON, python3, /usr/bin/python3). */
  python?: string;
  /** --device cuda|cuda:N|cpu|mps|auto (default auto). */
  device?: string;
  /** --devices cuda:0,cuda:1: one runner process per entry (overrides device). */
  devices?: string[];
  /** --model: 'unet' (default) or 'smp:<Architecture>:<encoder>'. */
  model?: string;
  /** --model-weights: local encoder weights for an smp model (nothing downloads). */
  modelWeights?: string;
  /** Channels-last memory format (default off: measured slower for this U-Net on torch 1.13 CPU; see bench/train.ts). */
  channelsLast?: boolean;
  /** --precision fp32|bf16|fp16 (default fp32, which reproduces; fp16 needs a GPU). */
  precision?: TorchPrecision;
  /** --deterministic (default true): cuDNN deterministic, no autotuner. */
  deterministic?: boolean;
  /** Environment for finding and running Python (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The Python found already (skips the search). */
  found?: FoundPython;
  /** Module the runner runs (default segloss_torch); tests point it at a broken one. */
  runnerModule?: string;
  /** --cluster tcp://HOST:PORT: one runner per Dask worker, through the bridge (cluster.ts). */
  cluster?: string;
  /** --cache-dir: where the data cache is written (a folder every cluster worker reads at the same path). */
  cacheDir?: string;
}

export const SMP_MODEL = /^smp:[A-Za-z][A-Za-z0-9_]*:[A-Za-z0-9_.-]+$/;

export async function createTorchEngine(setup: EngineSetup): Promise<Engine> {
  const settings = setup.torch ?? {};
  const { model, data } = setup;
  const found = settings.found ?? (await findTorchPython({ python: settings.python, env: settings.env }));
  const modelName = settings.model ?? 'unet';
  if (modelName !== 'unet' && !SMP_MODEL.test(modelName)) {
    throw new UserError(`--model ${JSON.stringify(modelName)} is not a model segloss knows`, { fix: 'use unet (the built-in U-Net) or smp:<Architecture>:<encoder>, e.g. smp:Unet:resnet34' });
  }
  if (modelName !== 'unet' && found.probe.smp === null) {
    throw new UserError(`--model ${modelName} needs segmentation_models_pytorch, which ${found.command} cannot import`, { fix: `install it into that Python (pip install segmentation-models-pytorch), or use --model unet` });
  }
  if (settings.modelWeights && modelName === 'unet') throw new UserError('--model-weights applies to an smp:... model only', { fix: 'drop --model-weights, or pass --model smp:<Architecture>:<encoder>' });
  if (settings.modelWeights) checkWeightsFile(settings.modelWeights);
  const unet = buildUNet({ ...model, seed: 0 });
  const cluster = settings.cluster ? await probeCluster(found.command, settings.cluster, settings.env) : null;
  const { devices, threads } = cluster
    ? { devices: cluster.workers.map(workerDevice), threads: undefined }
    : cpuLayout(resolveDevices(settings, found.probe), settings.devices !== undefined, setup.threads);
  // NCHW: channels-last was measured slower for this U-Net on torch 1.13 CPU (bench/train.ts).
  const channelsLast = settings.channelsLast ?? false;
  const precision = settings.precision ?? 'fp32';
  const deterministic = settings.deterministic ?? true;
  if (precision === 'fp16' && !devices.some(isGpu)) {
    throw new UserError('--precision fp16 needs a GPU (PyTorch\'s CPU autocast runs bf16 only)', { fix: 'use --precision bf16 or fp32 on the CPU, or --device cuda' });
  }

  const folder = createCacheFolder(settings.cacheDir); // a UserError naming the folder when it cannot be made
  const processes: RunnerProcess[] = [];
  const cleanUpOnExit = () => {
    for (const p of processes) p.kill();
    removeCacheFolder(folder);
  };
  process.on('exit', cleanUpOnExit);
  const shutDown = async () => {
    process.removeListener('exit', cleanUpOnExit);
    await Promise.all(processes.map((p) => p.close().catch(() => p.kill())));
    removeCacheFolder(folder);
  };

  const modelSpec = {
    name: modelName,
    numClasses: model.numClasses,
    inputChannels: model.inputChannels,
    depth: model.depth,
    baseWidth: model.baseWidth,
    weightsFile: settings.modelWeights ?? null,
  };
  const layout = unet.parameters.map(({ name, shape, offset, size }) => ({ name, shape, offset, size }));
  let parameterCount = unet.size;
  let dataOnDevice = false;
  const details: string[] = [];
  try {
    await writeDataCache(folder, data).catch((error: unknown) => {
      throw cacheWriteError(folder, error);
    });
    const crowded = cluster ? false : await oversubscribedNow(devices, threads ?? 1);
    const started = await Promise.all(
      devices.map(async (device, index) => {
        const worker = cluster?.workers[index];
        const runner = await startRunner({
          python: found.command,
          label: worker ? `Dask worker ${worker.address}` : `${device}, process ${index + 1}`,
          env: settings.env,
          module: worker ? 'segloss_torch.cluster' : settings.runnerModule,
          args: worker ? ['--scheduler', settings.cluster!, '--worker', worker.address, ...(settings.cacheDir ? ['--shared'] : [])] : undefined,
          threads: threads ?? 1,
          oversubscribed: crowded,
        }).catch((error: unknown) => {
          throw explainRunnerError(error, `starting the PyTorch runner with ${found.command}`);
        });
        processes.push(runner);
        const runnerThreads = worker ? worker.nthreads : (threads ?? null);
        const info = await runner.request('init', { cache: folder, device, threads: runnerThreads, channelsLast, precision, deterministic, model: modelSpec }).catch((error: unknown) => {
          throw explainRunnerError(error, `starting the PyTorch runner on ${device}`);
        });
        return { runner, info };
      }),
    );
    processes.splice(0, processes.length, ...started.map((s) => s.runner));
    for (const { info } of started) details.push(String(info.device));
    dataOnDevice = started.every(({ info }) => info.dataOnDevice === true);
    if (modelName !== 'unet') parameterCount = Number(started[0].info.parameters);
  } catch (error) {
    await shutDown();
    throw error;
  }

  const runsOn = new Map<RunnerProcess, number>(processes.map((p) => [p, 0]));
  /** Cluster workers lost and where their runs resumed (filled as the bridges report them). */
  const recoveries: ClusterRecovery[] = [];
  const weightFiles = new Map<number, string>();
  let runCount = 0;
  let disposed = false;
  const alive = () => {
    if (disposed) throw new Error('the training engine was disposed');
  };
  const weightsFor = async (seed: number): Promise<string | null> => {
    if (modelName !== 'unet') return null;
    let file = weightFiles.get(seed);
    if (!file) {
      file = join(folder, `weights-${weightFiles.size}.f32`);
      const weights = buildUNet({ ...model, seed }).initialWeights();
      await writeFile(file, new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength));
      weightFiles.set(seed, file);
    }
    return file;
  };
  const where = cluster
    ? `a Dask cluster at ${settings.cluster} (${cluster.workers.length} worker${cluster.workers.length > 1 ? 's' : ''}: ${cluster.workers.map((w, i) => `${w.address} ${devices[i]}`).join(', ')})`
    : devices.every((d) => !isGpu(d))
    ? `CPU, ${devices.length} process${devices.length > 1 ? 'es' : ''} x ${threads ?? 1} thread${threads === 1 ? '' : 's'}`
    : devices.length > 1 ? `${devices.length} processes on ${devices.join(', ')}` : devices[0];
  const deviceNote = devices.some(isGpu) && found.probe.cudaDevices.length ? ` (${found.probe.cudaDevices.map((d) => d.name).join(', ')})` : '';

  return {
    backend: {
      name: 'torch',
      detail: `PyTorch ${found.probe.torch} (Python ${found.probe.python}, ${found.command}) on ${where}${deviceNote}${modelName !== 'unet' ? `, model ${modelName}` : ''}${channelsLast ? ', channels-last' : ''}${precision !== 'fp32' ? `, ${precision} autocast` : ''}${deterministic ? '' : ', non-deterministic cuDNN'}`,
      threads: threads ?? 1,
      skipped: [],
      torch: { precision, deterministic, dataOnDevice },
      ...(cluster
        ? {
            cluster: {
              scheduler: settings.cluster!,
              workers: cluster.workers.map((w, i) => ({ address: w.address, device: devices[i], threads: w.nthreads, torch: w.torch })),
              code: cluster.code,
              cacheDir: settings.cacheDir ?? null,
              recoveries,
            },
          }
        : {}),
    },
    parameterCount,
    concurrency: processes.length,
    async createRun(spec: RunSpec): Promise<EngineRun> {
      alive();
      // Pinned to the process with the fewest runs: its weights and optimiser state live there.
      const runner = [...runsOn.entries()].sort((a, b) => a[1] - b[1])[0][0];
      const index = runCount++;
      const lossFile = join(folder, `loss-${index}.py`);
      const snippet = exportSnippet({ recipe: spec.recipe, provenance: `verify run ${spec.id}`, numClasses: data.numClasses, classNames: null, ignoreIndex: data.ignoreIndex, notes: [] }, 'pytorch');
      await writeFile(lossFile, snippet);
      const runKey = `r${index}`;
      const what = `run ${spec.id}`;
      await runner
        .request('create_run', { run: runKey, model: modelSpec, weightsFile: await weightsFor(spec.seed), layout, seed: spec.seed, lossFile, clipNorm: spec.recipe.gradientClipNorm })
        .then((reply) => recoveries.push(...recoveriesIn(reply)))
        .catch((error: unknown) => {
          throw explainRunnerError(error, what);
        });
      runsOn.set(runner, (runsOn.get(runner) ?? 0) + 1);
      const guard = runGuard(spec.id, alive);
      // verify --folds: this run's fold of the validation images (indices into data.val; absent = all).
      const valImages = spec.validation ? spec.validation.map((i) => data.val[i]) : data.val;
      return {
        id: spec.id,
        async train(steps: readonly StepPlan[], signal?: AbortSignal) {
          guard.check();
          if (signal?.aborted || steps.length === 0) return [];
          const requestId = runner.nextId();
          const onAbort = () => runner.abort(requestId);
          signal?.addEventListener('abort', onAbort, { once: true });
          try {
            const reply = await runner.request('train', { run: runKey, steps: steps.map(stepMessage) });
            recoveries.push(...recoveriesIn(reply));
            const losses = reply.losses;
            // A reply that is not one loss (or null: not finite) per step trained is not trusted.
            if (!Array.isArray(losses) || losses.length > steps.length || !losses.every((loss) => loss === null || typeof loss === 'number')) {
              throw new RunnerError(`the runner's reply to train is not a list of at most ${steps.length} losses: ${JSON.stringify(losses)?.slice(0, 200)}`, 'internal', '');
            }
            return losses.map((loss: number | null) => loss ?? Number.NaN);
          } catch (error) {
            throw explainRunnerError(error, what);
          } finally {
            signal?.removeEventListener('abort', onAbort);
          }
        },
        async predictValidation() {
          guard.check();
          const out = join(folder, `pred-${index}.u8`);
          try {
            const reply = await runner.request('predict_val', { run: runKey, out, ...(spec.validation ? { indices: [...spec.validation] } : {}) });
            recoveries.push(...recoveriesIn(reply));
            const sizes = reply.sizes;
            const expected = valImages.map((image) => [image.width, image.height]);
            if (!Array.isArray(sizes) || JSON.stringify(sizes) !== JSON.stringify(expected)) {
              throw new RunnerError(`the runner's predictions are not sized as the ${valImages.length} validation images: ${JSON.stringify(sizes)?.slice(0, 200)}`, 'internal', '');
            }
            const bytes = await readFile(out);
            const total = expected.reduce((sum, [w, h]) => sum + w * h, 0);
            if (bytes.length !== total) throw new RunnerError(`the runner wrote ${bytes.length} bytes of predictions, not the ${total} of the validation images`, 'internal', '');
            let offset = 0;
            return expected.map(([w, h]) => {
              const labels = new Uint8Array(bytes.subarray(offset, offset + w * h));
              offset += w * h;
              return labels;
            });
          } catch (error) {
            throw explainRunnerError(error, what);
          } finally {
            await rm(out, { force: true });
          }
        },
        async dispose() {
          if (disposed || !guard.release()) return;
          runsOn.set(runner, (runsOn.get(runner) ?? 1) - 1);
          await runner.request('dispose_run', { run: runKey }).catch(() => undefined);
        },
      };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await shutDown();
    },
  };
}

const WEIGHTS_FIX = 'pass a local .pth file of the encoder\'s weights (nothing is downloaded)';

/**
 * --model-weights must be a regular file: torch.load would block on a FIFO and read /dev/zero
 * until memory runs out. Checked here so the message names the flag; the runner loads it as
 * tensors only (weights_only), never as code.
 */
function checkWeightsFile(path: string): void {
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`--model-weights ${path}: ${code === 'ENOENT' ? 'no such file' : describeProblem({ kind: 'other', message: code ?? (error as Error).message })}`, { fix: WEIGHTS_FIX });
  }
  if (!stats.isFile()) throw new UserError(`--model-weights ${path}: ${describeProblem({ kind: 'not-regular', what: fileKind(stats) })}`, { fix: WEIGHTS_FIX });
}

/** A failed write of the data cache (a full disk, a temp folder that went away) as a UserError. */
function cacheWriteError(folder: string, error: unknown): Error {
  if (error instanceof RangeError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new UserError(`could not write the torch engine's data cache in ${folder}: ${code}${code === 'ENOSPC' ? ' (no space left on the device)' : ''}`, {
    fix: 'set TMPDIR to a folder with room for the decoded images (about 4 bytes a pixel), or lower --max-images',
  });
}

/**
 * Processes and torch threads on the CPU. Without --devices, `cpu` becomes one single-thread
 * process per core (or cores / --threads processes of --threads threads): measured on 2 cores,
 * two single-thread processes training two runs at once out-ran one process with 2 threads, and
 * OpenMP threads collapse when the cores are shared (bench/train.ts). With --devices, each CPU
 * entry is one process with cores / (CPU entries) threads unless --threads says otherwise; GPU
 * runners get cores / (GPUs) threads each.
 */
export function cpuLayout(devices: string[], explicit: boolean, requestedThreads: number | undefined, cores = availableParallelism()): { devices: string[]; threads: number | undefined } {
  const cpuEntries = devices.filter((d) => !isGpu(d)).length;
  // GPU runners use the CPU only to cut crops: a share of the cores each, not all of them each.
  if (cpuEntries === 0) return { devices, threads: requestedThreads ?? Math.max(1, Math.floor(cores / devices.length)) };
  if (!explicit && devices.length === 1) {
    const threads = requestedThreads ?? 1;
    return { devices: Array.from({ length: Math.max(1, Math.floor(cores / threads)) }, () => 'cpu'), threads };
  }
  return { devices, threads: requestedThreads ?? Math.max(1, Math.floor(cores / cpuEntries)) };
}

/**
 * Whether the runners' threads, with the work already running (`busy`: cores busy now, measured by
 * busy-cores.ts just before the runners start), ask for more than the cores: then OpenMP's waiting
 * threads must sleep (OMP_WAIT_POLICY=PASSIVE), or their spinning starves the threads that have
 * work. Measured on 2 cores: 2 processes x 2 threads took 3-12 s a step instead of 0.14-0.35 s; one
 * process of 2 threads with ~20 other jobs running took 0.45 s a step with PASSIVE, 0.8-0.9 s with
 * a short spin (GOMP_SPINCOUNT 1000-10000) and seconds with OpenMP's default. On idle cores one
 * process of `cores` threads ran 1.5-2.3x faster without PASSIVE (bench/train.ts). A core counts as
 * busy from half its time on (a rounding of the measured fraction). GPU runners count as one thread
 * each: they mostly wait for the device.
 */
export function oversubscribed(devices: string[], threads: number, cores = availableParallelism(), busy = 0): boolean {
  const cpu = devices.filter((d) => !isGpu(d)).length;
  return cpu * threads + (devices.length - cpu) + Math.round(busy) > cores;
}

/** `oversubscribed` with the busy cores measured now; no measurement when the answer cannot depend on it. */
export async function oversubscribedNow(devices: string[], threads: number, cores = availableParallelism()): Promise<boolean> {
  if (oversubscribed(devices, threads, cores, 0)) return true;
  const cpu = devices.filter((d) => !isGpu(d)).length;
  if (cpu === 0 || threads <= 1) return false; // single-thread runners wait passively anyway (python.ts runnerEnv)
  return oversubscribed(devices, threads, cores, await measureBusyCores());
}

/** A step as the runner reads it: crops as [image, x0, y0, flipX, flipY]. */
export function stepMessage(step: StepPlan) {
  return {
    crops: step.batch.crops.map((c) => [c.image, c.x0, c.y0, c.flipX, c.flipY]),
    size: step.batch.size,
    lr: step.learningRate,
    progress: step.progress,
  };
}

/**
 * Whether the torch engine these settings start would train on a GPU (the CLI then raises the
 * default crop and batch): false when the backend is not torch, or auto finds no usable torch.
 */
export async function torchWouldUseGpu(backend: string, settings: TorchSettings): Promise<boolean> {
  if (backend !== 'torch' && backend !== 'auto') return false;
  try {
    const found = settings.found ?? (await findTorchPython({ python: settings.python, env: settings.env }));
    return resolveDevices(settings, found.probe).some(isGpu);
  } catch {
    return false; // the engine reports the problem itself when it starts
  }
}
