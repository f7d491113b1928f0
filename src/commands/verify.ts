/** `segloss verify DIR`: its flags and help (the action, in verify-action.ts, loads the training stack only when verify runs). */
import { Command, Option } from 'commander';
import { addDatasetOptions } from '../dataset/options.js';
import { DOMAINS, PRIORITIES } from '../contracts/recommendation.js';
import { BACKEND_ORDER, TORCH_PRECISIONS } from '../contracts/verification.js';
// Light modules only (constants for the help text): the action (verify-action.ts) loads the rest.
import { BUDGET_GRACE, MIN_BUDGET_STEPS, MIN_GRACE_SECONDS } from '../verify/budget.js';
import { CANDIDATE_NAMES } from '../verify/candidates.js';
import { DEFAULT_FOLDS, MAX_UNITS_FOR_FOLDS, MIN_REPLICATES, SMALL_DATA_FOLDS } from '../verify/design.js';
import { DEFAULT_MAX_IMAGES, DEFAULT_RUN_SETTINGS, MIN_SEEDS_FOR_CLAIM } from '../verify/settings.js';
import { collect, limited, withRange } from './option-parsers.js';
import { MAX_DEVICE_ENTRIES } from '../engine/torch/devices.js';

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
  // The action and what it imports (the training stack) load only when verify runs, not for --help.
  command.action(async (dir: string, opts: Record<string, unknown>) => (await import('./verify-action.js')).verifyAction(command, dir, opts));
}
