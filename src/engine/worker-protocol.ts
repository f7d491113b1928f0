/** Messages between the data-parallel pool (parent) and replica-worker. */
import type { LossContext, LossSpec } from '../contracts/losses.js';
import type { BackendName } from '../contracts/verification.js';
import type { ImageBatch, LabelledBatch } from './replica.js';
import type { UNetOptions } from './unet.js';

export type WorkerRequest =
  | {
      id: number;
      type: 'init';
      backend: BackendName;
      model: UNetOptions;
      lossModule: string | undefined;
      loss: LossSpec;
      lossContext: LossContext;
      /** Shared weights (float32, written by the parent before each request). */
      weights: SharedArrayBuffer;
      /** This worker's gradient slot (float32). */
      gradients: SharedArrayBuffer;
    }
  | { id: number; type: 'setLoss'; loss: LossSpec; lossContext: LossContext }
  | { id: number; type: 'step'; batch: LabelledBatch }
  | { id: number; type: 'predict'; batch: ImageBatch };

export type WorkerReply =
  | { id: number; type: 'ready'; detail: string }
  | { id: number; type: 'done' }
  | { id: number; type: 'loss'; loss: number }
  | { id: number; type: 'classes'; classes: Uint8Array }
  | { id: number; type: 'error'; message: string; isUserError: boolean };
