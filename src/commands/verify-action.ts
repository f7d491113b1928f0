/**
 * What `segloss verify DIR` does once its flags are parsed: check them, train (runVerification)
 * under the live dashboard, write --out and set the exit code. Apart from verify.ts, which only
 * defines the flags, so that `segloss verify --help` does not load the training stack.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { datasetOptionsFrom } from '../dataset/index.js';
import { UserError } from '../common/errors.js';
import { INTERRUPTED_EXIT_CODE, interruptOnSigint } from '../common/interrupt.js';
import { outputOptionsFrom, prepareOutputFolder, printJson, removeEmptyCreatedFolders } from '../common/output.js';
import type { TrainingEvent } from '../contracts/events.js';
import type { Domain, Priority, Recommendation } from '../contracts/recommendation.js';
import type { DatasetProfile } from '../contracts/profile.js';
import type { BackendName, TorchPrecision, VerificationReport } from '../contracts/verification.js';
import { writeCommandOut } from '../report/write-out.js';
import { startVerifyDashboard } from '../ui/render.js';
import { parseBudget, parseCandidateNames, readRecommendationFile, runVerification } from '../verify/index.js';
import { checkBudgetSeconds } from './option-parsers.js';
import { checkTrainingMemory } from './training-memory.js';
import { parseDeviceList, GPU_TRAINING_DEFAULTS } from '../engine/torch/devices.js';
import { torchWouldUseGpu, type TorchSettings } from '../engine/torch/engine.js';
import { checkClusterAddress } from '../engine/torch/cluster.js';

/** The action of `segloss verify DIR` (`command` tells which options the user gave and which are defaults). */
export async function verifyAction(command: Command, dir: string, opts: Record<string, unknown>): Promise<void> {
  const output = outputOptionsFrom(opts as { json?: boolean; out?: string; color?: boolean });
  if (opts.budget !== undefined && opts.steps !== undefined) {
    throw new UserError('--budget and --steps both given', { fix: 'use --budget for a time limit or --steps for an exact step count, not both' });
  }
  const candidates = opts.candidates !== undefined ? parseCandidateNames(String(opts.candidates)) : undefined;
  const budgetSeconds = opts.budget !== undefined ? checkBudgetSeconds(parseBudget(String(opts.budget)), String(opts.budget)) : undefined;
  checkCropAndMemory(opts);
  const torch = torchSettingsFrom(opts);
  if (opts.backend !== 'torch' && opts.backend !== 'auto' && (opts.python || opts.devices || opts.device !== 'auto' || opts.model !== 'unet' || opts.modelWeights || opts.cluster || opts.cacheDir || opts.precision !== 'fp32' || opts.deterministic === false)) {
    throw new UserError(`--python, --device, --devices, --model, --model-weights, --cluster, --cache-dir, --precision and --no-deterministic apply to the torch backend, not --backend ${String(opts.backend)}`, { fix: 'use --backend torch (or auto), or drop those options' });
  }
  if (opts.cluster && (opts.devices || opts.device !== 'auto')) {
    throw new UserError('--cluster places one runner on each Dask worker, so --device and --devices do not apply', { fix: 'drop --device/--devices; start GPU workers with `dask worker ADDRESS --resources GPU=1`' });
  }
  const recommendation = opts.recommendation ? await readRecommendationFile(String(opts.recommendation)) : null;
  // On a GPU a 64x64 batch of 8 is mostly overhead: bigger defaults unless the user chose.
  const byDefault = (name: string) => command.getOptionValueSource(name) === 'default';
  if ((byDefault('crop') || byDefault('batch')) && (await torchWouldUseGpu(String(opts.backend), torch))) {
    if (byDefault('crop') && GPU_TRAINING_DEFAULTS.cropSize % 2 ** (opts.modelDepth as number) === 0) opts.crop = GPU_TRAINING_DEFAULTS.cropSize;
    if (byDefault('batch')) opts.batch = GPU_TRAINING_DEFAULTS.batchSize;
  }
  // Overlays are written as each candidate finishes: a bad --out must stop the run before training.
  if (output.out) await prepareOutputFolder(output.out);

  // On a terminal: the live Ink dashboard, then the metrics table and verdict. Otherwise progress
  // lines on stderr and the plain-text report on stdout (or only the JSON contract with --json).
  const dashboard = startVerifyDashboard({ color: output.color, showResult: !output.json });
  const controller = new AbortController();
  // Until the first candidate starts (profiling, loading, calibrating) nothing can be finished:
  // Ctrl-C then stops at once instead of after the stage.
  let training = false;
  const stopListening = interruptOnSigint(controller, { canFinishGracefully: () => training, stopping: 'finishing the round in progress (every run, so all stop at the same steps), scoring it' });
  const onEvent = (event: TrainingEvent) => {
    if (event.kind !== 'message') training = true;
    dashboard.onEvent(event);
  };
  let report: VerificationReport;
  // What verify had on hand besides its own result, for the report: the recommendation it verified, the profile it made.
  const made: { profile: DatasetProfile | null; recommendation: Recommendation | null } = { profile: null, recommendation };
  try {
    report = await runVerification(
      {
        dataset: datasetOptionsFrom(opts, dir),
        recommendation,
        recommend: { domain: (opts.domain as Domain | undefined) ?? null, priority: (opts.priority as Priority | undefined) ?? null, ruleFiles: opts.rules as string[] },
        steps: (opts.steps as number | undefined) ?? null,
        budgetSeconds,
        candidates,
        // --cluster trains on the torch runners (auto would otherwise be free to pick wasm).
        backend: opts.cluster ? 'torch' : (opts.backend as 'auto' | BackendName),
        threads: opts.threads as number | undefined,
        torch,
        seeds: (opts.seeds as number | undefined) ?? null,
        folds: (opts.folds as number | undefined) ?? null,
        tieMargin: opts.tieMargin as number,
        racing: opts.racing !== false,
        seed: opts.seed as number,
        cropSize: opts.crop as number,
        batchSize: opts.batch as number,
        valFraction: opts.valFraction as number,
        model: { depth: opts.modelDepth as number, baseWidth: opts.modelWidth as number },
        maxImages: opts.maxImages as number,
        outDir: output.out,
        onRecommended: (profile, recommendation) => Object.assign(made, { profile, recommendation }),
      },
      onEvent,
      controller.signal,
    );
  } catch (error) {
    await dashboard.stop();
    // A run that stops on bad input leaves no empty --out folder behind (anything written stays).
    removeEmptyCreatedFolders();
    throw error;
  } finally {
    stopListening();
  }
  await dashboard.finish(report);
  // --out: the contracts on hand, the pictures and report.md + report.html (src/report/write-out.ts).
  if (output.out) await writeCommandOut(output.out, { ...made, verification: report }, { quiet: Boolean(output.json) });
  if (output.json) printJson(report);
  const code = verifyExitCode(report);
  if (code !== 0) process.exitCode = code;
}

/** The torch backend's settings from the flags (validated; env SEGLOSS_PYTHON is read by the engine). */
function torchSettingsFrom(opts: Record<string, unknown>): TorchSettings {
  const device = String(opts.device ?? 'auto');
  if (device !== 'auto') parseDeviceList(device, '--device');
  return {
    ...(opts.python ? { python: String(opts.python) } : {}),
    device,
    ...(opts.devices ? { devices: parseDeviceList(String(opts.devices)) } : {}),
    model: String(opts.model ?? 'unet'),
    ...(opts.modelWeights ? { modelWeights: String(opts.modelWeights) } : {}),
    precision: opts.precision as TorchPrecision,
    deterministic: opts.deterministic !== false,
    ...(opts.cluster ? { cluster: checkClusterAddress(String(opts.cluster)) } : {}),
    ...(opts.cacheDir ? { cacheDir: resolve(String(opts.cacheDir)) } : {}),
  };
}

/**
 * 130 (INTERRUPTED_EXIT_CODE) when Ctrl-C stopped the run (what is finished was written); 1 when
 * the run failed: no candidate could train (every one failed or diverged, so nothing was
 * evaluated); 0 otherwise. A run that reached its time budget is not a failure: stopped
 * candidates are in the report, with the steps they did, and the verdict says when a comparison
 * is unequal.
 */
export function verifyExitCode(report: Pick<VerificationReport, 'interrupted' | 'candidates'>): 0 | 1 | typeof INTERRUPTED_EXIT_CODE {
  const untrainable = (c: Pick<VerificationReport['candidates'][number], 'status'>) => c.status === 'failed' || c.status === 'diverged';
  if (report.interrupted) return INTERRUPTED_EXIT_CODE;
  return report.candidates.every(untrainable) ? 1 : 0;
}

/** --crop must fit the U-Net's depth, and batch x crop² x width must fit in memory, before anything is loaded. */
function checkCropAndMemory(opts: Record<string, unknown>): void {
  const crop = opts.crop as number;
  const depth = opts.modelDepth as number;
  const multiple = 2 ** depth;
  if (crop % multiple !== 0) {
    throw new UserError(`--crop ${crop} is not a multiple of ${multiple} (2^model-depth)`, { fix: `use a multiple of ${multiple}, e.g. ${Math.max(multiple, Math.round(crop / multiple) * multiple)}` });
  }
  const backend = opts.backend as string;
  checkTrainingMemory({
    batch: opts.batch as number,
    crop,
    modelWidth: opts.modelWidth as number,
    threads: (opts.threads as number | undefined) ?? availableParallelism(),
    wasm: backend === 'auto' || backend === 'wasm',
  });
}
