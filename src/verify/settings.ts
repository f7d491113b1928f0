/**
 * What a verification run does when not told otherwise: the settings' shape and defaults, the
 * verdict's equivalence margin and the replicates a claim needs, and how many images are loaded.
 * Apart from run.ts (which imports the engines) so that `segloss verify --help`, which prints these
 * numbers, starts without loading a training stack.
 */
import type { BackendName } from '../contracts/verification.js';
import type { TorchSettings } from '../engine/torch/engine.js';
import { UNET_DEFAULTS } from '../engine/unet-defaults.js';

/** Default practical-equivalence margin on mean Dice (--tie-margin). */
export const DEFAULT_TIE_MARGIN = 0.01;
/** Fewer seeds than this and the verdict may describe, not call, a winner. */
export const MIN_SEEDS_FOR_CLAIM = 3;
/** Verify keeps every image in memory: at most this many images are loaded (a seeded subset beyond it; --max-images). */
export const DEFAULT_MAX_IMAGES = 400;

/** Settings of a run; every field has a documented default in DEFAULT_RUN_SETTINGS. */
export interface RunSettings {
  /** Steps per run (candidate x seed); null = derive from budgetSeconds. */
  steps: number | null;
  /** Total wall-clock budget for all candidates and seeds, in seconds (used when steps is null). */
  budgetSeconds: number;
  candidates: string[];
  backend: 'auto' | BackendName;
  threads?: number;
  /** The torch backend's settings (--python, --device, --devices, --model): passed to createEngine as EngineSetup.torch. */
  torch?: TorchSettings;
  /**
   * Seeds per fold S (null: chosen by design.ts). Replicate r (fold-major: fold f's seeds are
   * r = f x S ... f x S + S - 1) trains with seed `seed + r`, so every fold has its own seeds.
   */
  seeds: number | null;
  /** Cross-validation folds K (1: one split by valFraction; null: chosen by design.ts from the data size). */
  folds: number | null;
  seed: number;
  cropSize: number;
  batchSize: number;
  valFraction: number;
  flips: boolean;
  model: { depth: number; baseWidth: number };
  /** Val images per candidate rendered as overlay PNGs when an overlay directory is given. */
  overlayImages: number;
  /** Practical-equivalence margin on mean Dice: differences whose CI lies inside +-margin are "equivalent". */
  tieMargin: number;
  /** Stop clearly worse candidates at the rungs (false: every candidate trains to the end). */
  racing: boolean;
}

export const DEFAULT_RUN_SETTINGS: RunSettings = {
  steps: null,
  budgetSeconds: 300,
  candidates: ['recommended', 'plain', 'ce', 'focal', 'dice', 'combo'],
  backend: 'auto',
  // Chosen from the data (design.ts): at least 5 replicates (10 folds x 1 seed on 20 to a few
  // hundred images or groups), because 3 seeds on one split could not decide a 0.59 gap (issue 22).
  seeds: null,
  folds: null,
  seed: 0,
  cropSize: 64,
  batchSize: 8,
  valFraction: 0.2,
  flips: true,
  // Width 8 (122k parameters at 6 classes) rather than the engine's 16: a 64x64 batch of 8 costs
  // ~0.3 CPU-s a step on wasm here vs ~0.8, which is what lets five candidates x three seeds train
  // a few hundred steps in minutes on a laptop CPU. Raise --model-width on a GPU backend.
  model: { depth: UNET_DEFAULTS.depth, baseWidth: 8 },
  overlayImages: 4,
  tieMargin: DEFAULT_TIE_MARGIN,
  racing: true,
};
