/**
 * Where a training step's loss and gradients come from: the model replica in this thread, or a
 * pool of data-parallel worker threads (each a single-threaded backend with its own replica).
 */
import type { LossContext, LossSpec } from '../contracts/losses.js';
import { loadLossFactory, ModelReplica, type ImageBatch, type LabelledBatch } from './replica.js';
import type { UNet } from './unet.js';

export interface GradientSource {
  /** Threads computing in parallel. */
  readonly threads: number;
  /** Mean loss of the whole batch; writes its gradient into `gradients`. */
  lossAndGradients(weights: Float32Array, batch: LabelledBatch, gradients: Float32Array): Promise<number>;
  predict(weights: Float32Array, batch: ImageBatch): Promise<Uint8Array>;
  setLoss(spec: LossSpec, context: LossContext): Promise<void>;
  dispose(): Promise<void>;
}

/** Runs on the tfjs backend already active in this thread. */
export async function createLocalGradientSource(unet: UNet, spec: LossSpec, context: LossContext, lossModule?: string): Promise<GradientSource> {
  const createLoss = await loadLossFactory(lossModule);
  const replica = new ModelReplica(unet, createLoss(spec, context));
  return {
    threads: 1,
    lossAndGradients: async (weights, batch, gradients) => replica.lossAndGradients(weights, batch, gradients),
    predict: async (weights, batch) => replica.predict(weights, batch),
    setLoss: async (s, c) => replica.setLoss(createLoss(s, c)),
    dispose: async () => undefined,
  };
}

/** Splits n items into `parts` contiguous shards as even as possible (no empty shard). */
export function shardSizes(n: number, parts: number): number[] {
  const count = Math.max(1, Math.min(parts, n));
  return Array.from({ length: count }, (_, i) => Math.floor(n / count) + (i < n % count ? 1 : 0));
}
