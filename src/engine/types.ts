/**
 * What verify asks of a training engine, whatever the backend (tfjs wasm/cpu/node, or PyTorch
 * through the Python runner). verify owns the protocol — the split, the crop plan, lockstep
 * rounds, racing, metrics, the verdict — and an engine owns training: it holds one run per
 * candidate x seed (weights + optimiser state), advances a run by the steps it is given, and
 * predicts the validation images. Crops travel as a plan (image index, offset, flips), not as
 * pixels: every engine cuts the same crops out of the same data, so what a run sees does not
 * depend on the backend.
 */
import type { ClusterRecord } from './torch/cluster.js';
import type { LossContext, LossSpec } from '../contracts/losses.js';
import type { Recipe } from '../contracts/recommendation.js';
import type { BackendName, TorchRunSettings } from '../contracts/verification.js';
import type { TorchSettings } from './torch/engine.js';

/** A decoded image with its label map, as verify holds it in memory. */
export interface EngineImage {
  id: string;
  width: number;
  height: number;
  /** Interleaved HWC pixels with `channels` channels (1 grey, 3 RGB, or N bands: one input channel each). */
  pixels: Uint8Array;
  channels: number;
  /** Class id per pixel (row-major); the ignore index may appear. */
  labels: Uint8Array | Uint16Array;
}

/** Per-channel normalisation from the training images: (pixel - mean) / std. */
export interface Normalisation {
  mean: number[];
  std: number[];
}

/** One crop: `size` x `size` pixels of train image `image` from (x0, y0), then optional flips. */
export interface CropPlan {
  image: number;
  x0: number;
  y0: number;
  flipX: boolean;
  flipY: boolean;
}

/** One training batch as a plan; `size` is the crop side in pixels. */
export interface BatchPlan {
  crops: CropPlan[];
  size: number;
}

/** One optimiser step: its batch, learning rate and share of the training (0..1, for scheduled loss terms). */
export interface StepPlan {
  batch: BatchPlan;
  learningRate: number;
  progress: number;
}

/** The data every run of an engine trains and is scored on; given once when the engine starts. */
export interface TrainingData {
  train: readonly EngineImage[];
  val: readonly EngineImage[];
  normalisation: Normalisation;
  numClasses: number;
  ignoreIndex: number | null;
}

export interface ModelSettings {
  numClasses: number;
  inputChannels: number;
  depth: number;
  baseWidth: number;
  /** Class priors for the head-bias initialisation (null: zero bias). */
  classPriors?: number[] | null;
}

/** One candidate x seed. */
export interface RunSpec {
  /** Unique within the engine, e.g. "focal#1". */
  id: string;
  /** Seed of the initial weights: runs with the same seed start from the same weights. */
  seed: number;
  /** The recipe (the torch engine trains the snippet `segloss export --to pytorch` writes for it). */
  recipe: Recipe;
  /** The loss the recipe trains, extras folded in (src/losses/recipe-extras). */
  loss: LossSpec;
  lossContext: LossContext;
  /**
   * The validation images this run is scored on, as indices into TrainingData.val (absent: all).
   * Cross-validation folds (verify --folds) share one engine whose val holds every image; each
   * fold's runs predict only their fold's images.
   */
  validation?: readonly number[];
}

export interface EngineRun {
  readonly id: string;
  /**
   * Trains one optimiser step per plan, in order, and returns each step's mean batch loss. A
   * non-finite loss leaves the weights as they were (the caller decides about divergence). When
   * `signal` aborts, the steps not yet started are skipped: the losses of those done come back.
   */
  train(steps: readonly StepPlan[], signal?: AbortSignal): Promise<number[]>;
  /** The argmax label map of every validation image of the run (RunSpec.validation, default all), full size, in that order. */
  predictValidation(): Promise<Uint8Array[]>;
  /** Frees the run's weights and optimiser state. */
  dispose(): Promise<void>;
}

export interface BackendInfo {
  name: BackendName;
  detail: string;
  threads: number;
  skipped: Array<{ name: BackendName; why: string }>;
  /** The torch backend's precision and determinism (recorded in verification.json). */
  torch?: TorchRunSettings;
  /** The Dask cluster the torch runners ran on (verify --cluster). */
  cluster?: ClusterRecord;
}

export interface Engine {
  backend: BackendInfo;
  parameterCount: number;
  /**
   * How many runs the engine trains at the same time (devices or processes): verify hands it up to
   * this many runs' steps concurrently. 1 for the tfjs engine (its threads split each batch).
   */
  concurrency: number;
  createRun(spec: RunSpec): Promise<EngineRun>;
  dispose(): Promise<void>;
}

/** How to start an engine; backend-specific settings are optional fields. */
export interface EngineSetup {
  backend: 'auto' | BackendName;
  /** Data-parallel worker threads for the wasm and cpu backends (default: available cores). */
  threads?: number;
  model: ModelSettings;
  data: TrainingData;
  /** Module exporting `createLoss` (default: src/losses/index). For tests. */
  lossModule?: string;
  /** The torch backend's settings (--python, --device, --devices, --model); `threads` is torch's threads per CPU process. */
  torch?: TorchSettings;
}

export type EngineFactory = (setup: EngineSetup) => Promise<Engine>;
