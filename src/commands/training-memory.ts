/**
 * How much memory one training step of verify's U-Net needs, checked before anything is
 * allocated: `--batch 100000` once reached 13 GB and then crashed inside wasm ("table index is out
 * of bounds"). The estimate is linear in batch x crop² x model width (activations and their
 * gradients at every level; the levels' pixels shrink by 4 while channels double, so the sum is
 * about twice the first level's). Its constant is measured, not derived: one wasm training step,
 * depth 3, 6 classes, RSS after two steps minus before (bench/ on this machine, Node 20):
 *   64² width 8: 14.3 MB per crop; 64² width 16: 27 MB; 128² width 8: 58 MB; 256² width 16: 430 MB
 * i.e. 410-460 bytes per pixel per unit of width (the input's 3 channels are a small part of it).
 * wasm32 caps each worker's heap at 4 GB: 8 crops of 256² at width 16 ran in one worker (3.6 GB
 * RSS), 12 aborted.
 */
import { totalmem } from 'node:os';
import { UserError } from '../common/errors.js';

/** Bytes per crop pixel per unit of model width (measured 410 at 256², 460 at 64² where fixed costs weigh more). */
export const BYTES_PER_PIXEL_PER_WIDTH = 420;
/** A worker's fixed cost: runtime, wasm module, weights, optimiser state (measured ~160-200 MB). */
export const WORKER_BASE_BYTES = 200 * 2 ** 20;
/** wasm32's heap ends at 4 GB (tfjs-backend-wasm's getHeapMax: 4,294,901,760 bytes); keep a margin for its growth steps. */
export const WASM_WORKER_LIMIT_BYTES = 3.9e9;
/** Share of the machine's memory one verify run may plan to use. */
export const MACHINE_SHARE = 0.5;

export interface TrainingShape {
  batch: number;
  crop: number;
  modelWidth: number;
  /** Data-parallel workers the batch is split over. */
  threads: number;
  /** The wasm backend (each worker's heap is capped at 4 GB); false for native TensorFlow. */
  wasm: boolean;
}

export interface MemoryEstimate {
  /** Bytes one crop needs through forward and backward. */
  perCrop: number;
  /** Bytes of the largest worker (its share of the batch plus its fixed cost). */
  perWorker: number;
  total: number;
}

export function estimateTrainingMemory(shape: TrainingShape): MemoryEstimate {
  const perCrop = BYTES_PER_PIXEL_PER_WIDTH * shape.crop ** 2 * shape.modelWidth;
  const threads = Math.max(1, Math.min(shape.threads, shape.batch));
  const perWorker = WORKER_BASE_BYTES + Math.ceil(shape.batch / threads) * perCrop;
  return { perCrop, perWorker, total: threads * WORKER_BASE_BYTES + shape.batch * perCrop };
}

const gb = (bytes: number) => (bytes < 1e9 ? `${Math.round(bytes / 1e6)} MB` : `${(bytes / 1e9).toFixed(bytes < 1e10 ? 1 : 0)} GB`);

/**
 * Throws a UserError (exit 2) with the estimate and the fix when a training step would not fit:
 * above MACHINE_SHARE of the memory, or above the wasm heap of one worker.
 */
export function checkTrainingMemory(shape: TrainingShape, machineBytes: number = totalmem()): MemoryEstimate {
  const estimate = estimateTrainingMemory(shape);
  const threads = Math.max(1, Math.min(shape.threads, shape.batch));
  const machineLimit = machineBytes * MACHINE_SHARE;
  const byMachine = Math.floor((machineLimit - threads * WORKER_BASE_BYTES) / estimate.perCrop);
  const byWorker = shape.wasm ? Math.floor((WASM_WORKER_LIMIT_BYTES - WORKER_BASE_BYTES) / estimate.perCrop) * threads : Infinity;
  const maxBatch = Math.max(0, Math.min(byMachine, byWorker));
  if (shape.batch <= maxBatch) return estimate;
  const what = `--batch ${shape.batch} x --crop ${shape.crop}² x --model-width ${shape.modelWidth}`;
  const over =
    estimate.total > machineLimit
      ? `needs about ${gb(estimate.total)} for one training step, more than half of this machine's ${gb(machineBytes)}`
      : `needs about ${gb(estimate.perWorker)} in each of ${threads} wasm worker${threads > 1 ? 's' : ''}, above the 4 GB a wasm heap can hold`;
  const fix =
    maxBatch >= 1
      ? `use --batch ${maxBatch} or less at this crop and width (or a smaller --crop or --model-width${shape.wasm ? ', or more --threads' : ''})`
      : `use a smaller --crop or --model-width: one ${shape.crop}² crop at width ${shape.modelWidth} alone needs ${gb(estimate.perCrop)}`;
  throw new UserError(`${what} ${over} (about ${gb(estimate.perCrop)} per crop)`, { fix });
}
