/** `segloss verify DIR`: train the recommended recipe and its alternatives briefly and give a verdict. */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { addDatasetOptions, datasetOptionsFrom } from '../dataset/index.js';
import { UserError } from '../common/errors.js';
import { INTERRUPTED_EXIT_CODE, interruptOnSigint } from '../common/interrupt.js';
import { outputOptionsFrom, prepareOutputFolder, printJson, removeEmptyCreatedFolders } from '../common/output.js';
import type { TrainingEvent } from '../contracts/events.js';
import { DOMAINS, PRIORITIES, type Domain, type Priority, type Recommendation } from '../contracts/recommendation.js';
import type { DatasetProfile } from '../contracts/profile.js';
import { BACKEND_ORDER, TORCH_PRECISIONS, type BackendName, type TorchPrecision, type VerificationReport } from '../contracts/verification.js';
import { writeCommandOut } from '../report/write-out.js';
import { startVerifyDashboard } from '../ui/render.js';
import {
  BUDGET_GRACE,
  CANDIDATE_NAMES,
  DEFAULT_FOLDS,
  SMALL_DATA_FOLDS,
  DEFAULT_MAX_IMAGES,
  DEFAULT_RUN_SETTINGS,
  MIN_BUDGET_STEPS,
  MAX_UNITS_FOR_FOLDS,
  MIN_GRACE_SECONDS,
  MIN_REPLICATES,
  MIN_SEEDS_FOR_CLAIM,
  parseBudget,
  parseCandidateNames,
  readRecommendationFile,
  runVerification,
} from '../verify/index.js';
import { checkBudgetSeconds, collect, limited, withRange } from './option-parsers.js';
import { checkTrainingMemory } from './training-memory.js';
import { MAX_DEVICE_ENTRIES, parseDeviceList, GPU_TRAINING_DEFAULTS } from '../engine/torch/devices.js';
import { torchWouldUseGpu, type TorchSettings } from '../engine/torch/engine.js';
import { checkClusterAddress } from '../engine/torch/cluster.js';

export function registerVerifyCommand(program: Command): void {
  const command = program
    .command('verify')
    .description('Train the recommended loss recipe and its alternatives briefly on the dataset, compare them on validation images, and give a verdict.')
    .argument('<dir>', 'dataset root (a layout listed by `segloss formats`, with images)')
    .option('--recommendation <file>', 'recommendation.json to verify (default: profile the dataset and run the rules)')
    .addOption(new Option('--domain <domain>', 'without --recommendation: the domain for the rules').choices(DOMAINS))
    .addOption(new Option('--priority <priority>', 'without --recommendation: what matters most').choices(PRIORITIES))
    .option('--rules <file>', 'without --recommendation: extra rule file (repeatable)', collect, [] as string[])
    .option(
      '--budget <time>',
      `wall-clock budget for everything, training and validation scoring, e.g. 90s, 5m, 1h (default 5m; at most 24h). All candidates x seeds train in lockstep rounds; ` +
        `timed steps and a timed scoring plan the steps, re-planned after the first round and at every rung (time of eliminated candidates goes to the survivors). Training ends between rounds, ` +
        `by ${BUDGET_GRACE}x the budget (at least +${MIN_GRACE_SECONDS}s) at the latest, so every surviving run trains the same steps; a budget too small for ${MIN_BUDGET_STEPS} steps is refused before training`,
    )
    .option('--steps <n>', withRange('train every run (candidate x seed) exactly N steps instead of a time budget (no time limit; reproducible); racing may stop a clearly worse candidate at a rung', 'steps'), limited('steps'))
    .option('--candidates <list>', `comma-separated, from: ${CANDIDATE_NAMES.join(', ')} (default ${DEFAULT_RUN_SETTINGS.candidates.join(',')})`)
    .option('--no-racing', 'train every candidate to the end: no candidate is stopped at a rung (racing gives the time of clearly worse candidates to the others)')
    .addOption(new Option('--backend <name>', 'training backend').choices(['auto', ...BACKEND_ORDER]).default('auto'))
    .option('--threads <n>', withRange('wasm/cpu backends: worker threads (default: all cores); torch on the CPU: torch threads per runner process (default 1, one process per core); at most twice the cores', 'threads'), limited('threads'))
    .option('--python <path>', 'torch backend: the Python with torch to run (default: SEGLOSS_PYTHON, else python3 on PATH, else /usr/bin/python3)')
    .option('--device <device>', 'torch backend: cuda, cuda:N, mps, cpu or auto (the first CUDA GPU, else MPS, else the CPU)', 'auto')
    .option('--devices <list>', `torch backend: one runner per device, candidate x seed runs side by side, e.g. cuda:0,cuda:1 (overrides --device; at most ${MAX_DEVICE_ENTRIES} entries, of them at most 2 x cores cpu)`)
    .option('--model <name>', 'torch backend: unet (the built-in U-Net, as on every backend) or smp:<Architecture>:<encoder>, e.g. smp:Unet:resnet34 (needs segmentation_models_pytorch)', 'unet')
    .option('--model-weights <file>', 'torch backend with an smp model: encoder weights from this local file (nothing is downloaded; default: random init)')
    .addOption(new Option('--precision <p>', 'torch backend: the forward pass in fp32 (reproduces), bf16 or fp16 autocast (fp16 needs a GPU; the loss stays fp32)').choices(TORCH_PRECISIONS).default('fp32'))
    .option('--deterministic', 'torch backend on a GPU: cuDNN\'s deterministic kernels, no autotuner (default)', true)
    .option('--no-deterministic', 'torch backend on a GPU: let cuDNN pick kernels by timing (faster, not reproducible)')
    .option('--cluster <address>', 'torch backend on a Dask cluster: one runner per worker of the scheduler at ADDRESS (tcp://HOST:PORT); a worker started with --resources GPU=1 trains on its GPU; the protocol and verdict are unchanged')
    .option('--cache-dir <dir>', 'torch backend: write the decoded data cache into DIR (default: the temp folder); with --cluster, a folder every worker reads at the same path, so the data is not sent to each worker')
    .option('--folds <k>', withRange(`cross-validation folds: every image (or --group group) validated in exactly one fold, candidates paired by fold; 1 = one split by --val-fraction (default: ${DEFAULT_FOLDS} folds on ${2 * DEFAULT_FOLDS} to ${MAX_UNITS_FOR_FOLDS} images or groups, ${SMALL_DATA_FOLDS} on ${2 * SMALL_DATA_FOLDS}-${2 * DEFAULT_FOLDS - 1}, fewer below, 1 on under 3 or beyond)`, 'folds'), limited('folds'))
    .option('--seeds <k>', withRange(`training seeds per fold (per candidate with --folds 1), paired across candidates (same initial weights and crops); CIs come from the fold- or seed-paired differences; with fewer than ${MIN_SEEDS_FOR_CLAIM} replicates no candidate is "beaten" or "confirmed" (default: 1 with ${SMALL_DATA_FOLDS} or more folds, enough for ${MIN_REPLICATES} replicates otherwise)`, 'seeds'), limited('seeds'))
    .option('--tie-margin <d>', withRange(`mean-Dice difference that does not matter: candidates whose difference CI lies inside +-d are "equivalent" (default ${DEFAULT_RUN_SETTINGS.tieMargin})`, 'tie-margin'), limited('tie-margin'), DEFAULT_RUN_SETTINGS.tieMargin)
    .option('--seed <n>', withRange('base seed of split, crops, weights and bootstrap', 'seed'), limited('seed'), 0)
    .option('--crop <px>', withRange('training crop size in pixels (a multiple of 2^model-depth); batch x crop² x width is checked against memory first', 'crop'), limited('crop'), DEFAULT_RUN_SETTINGS.cropSize)
    .option('--batch <n>', withRange('crops per training step', 'batch'), limited('batch'), DEFAULT_RUN_SETTINGS.batchSize)
    .option('--model-depth <n>', withRange('U-Net levels (each halves the resolution)', 'model-depth'), limited('model-depth'), DEFAULT_RUN_SETTINGS.model.depth)
    .option('--model-width <n>', withRange('U-Net channels at the first level (doubling per level)', 'model-width'), limited('model-width'), DEFAULT_RUN_SETTINGS.model.baseWidth)
    .option('--val-fraction <f>', withRange('share of images (or groups) held out for validation with --folds 1', 'val-fraction'), limited('val-fraction'), DEFAULT_RUN_SETTINGS.valFraction)
    .option('--max-images <n>', withRange('load at most N images (a seeded subset beyond it)', 'max-images'), limited('max-images'), DEFAULT_MAX_IMAGES)
    .option('--json', 'print only the VerificationReport JSON on stdout')
    .option('--out <dir>', 'write verification.json (and the profile.json and recommendation.json verify made), report.md and report.html, val prediction overlays (overlays/<candidate>/<image>.png) and pictures (pictures/: learning curves, metrics chart, loss panels, contact sheet) into DIR')
    .option('--no-color', 'plain text without colour');
  addDatasetOptions(command);
  command.action(async (dir: string, opts: Record<string, unknown>) => {
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
  });
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
