/**
 * One copy of the model on the active tfjs backend: loss and gradients for a (shard of a) batch,
 * and predictions. Weights come in as a flat Float32Array and gradients go out into one, so the
 * same code runs in the main thread and in each data-parallel worker.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossContext, LossSpec } from '../contracts/losses.js';
import type { UNet } from './unet.js';

/** progress: the step's share of the training (0..1), for losses that schedule a term's weight. */
export type LossFunction = (logits: tf.Tensor4D, labels: tf.Tensor3D, progress?: number) => tf.Scalar;
export type LossFactory = (spec: LossSpec, context: LossContext) => LossFunction;

/** The project's losses module (src/losses/index), from source (.ts) or built (.js) alike. */
export function defaultLossModuleUrl(): string {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`../losses/index${extension}`, import.meta.url).href;
}

/** Imports `createLoss` from a module (default: src/losses/index). */
export async function loadLossFactory(moduleUrl: string = defaultLossModuleUrl()): Promise<LossFactory> {
  const module = (await import(moduleUrl)) as { createLoss?: LossFactory };
  if (typeof module.createLoss !== 'function') throw new Error(`${moduleUrl} does not export createLoss`);
  return module.createLoss;
}

export interface ImageBatch {
  images: Float32Array;
  n: number;
  height: number;
  width: number;
}

export interface LabelledBatch extends ImageBatch {
  labels: Int32Array;
  /** The step's share of the training, 0..1 (losses with a scheduled term use it); absent = 1. */
  progress?: number;
}

export function checkBatch(batch: ImageBatch & { labels?: Int32Array }, inputChannels: number): void {
  const pixels = batch.n * batch.height * batch.width;
  if (!(batch.n >= 1 && batch.height >= 1 && batch.width >= 1)) throw new RangeError(`empty batch ${batch.n}x${batch.height}x${batch.width}`);
  if (batch.images.length !== pixels * inputChannels) {
    throw new RangeError(`images hold ${batch.images.length} values, expected n*h*w*c = ${pixels * inputChannels}`);
  }
  if (batch.labels && batch.labels.length !== pixels) throw new RangeError(`labels hold ${batch.labels.length} values, expected n*h*w = ${pixels}`);
}

/** Pixels per predict() chunk: keeps activations of big validation images within the wasm heap. */
const PREDICT_PIXELS_PER_CHUNK = 8 * 128 * 128;

export class ModelReplica {
  constructor(
    private readonly unet: UNet,
    private loss: LossFunction,
  ) {}

  setLoss(loss: LossFunction): void {
    this.loss = loss;
  }

  private upload(weights: Float32Array): tf.Tensor[] {
    return this.unet.parameters.map((p) => tf.tensor(weights.subarray(p.offset, p.offset + p.size), p.shape, 'float32'));
  }

  /** Mean loss of the batch; writes d(loss)/d(weights) into `gradients`. */
  lossAndGradients(weights: Float32Array, batch: LabelledBatch, gradients: Float32Array): number {
    checkBatch(batch, this.unet.options.inputChannels);
    const { n, height, width } = batch;
    const w = this.upload(weights);
    try {
      return tf.tidy(() => {
        const images = tf.tensor4d(batch.images, [n, height, width, this.unet.options.inputChannels]);
        const labels = tf.tensor3d(batch.labels, [n, height, width], 'int32');
        const f = (...params: tf.Tensor[]) => this.loss(this.unet.forward(params, images), labels, batch.progress);
        const { value, grads } = tf.valueAndGrads(f)(w);
        grads.forEach((g, i) => gradients.set(g.dataSync() as Float32Array, this.unet.parameters[i].offset));
        return value.dataSync()[0];
      });
    } finally {
      tf.dispose(w);
    }
  }

  /** Argmax class per pixel, NHW. */
  predict(weights: Float32Array, batch: ImageBatch): Uint8Array {
    checkBatch(batch, this.unet.options.inputChannels);
    const { n, height, width } = batch;
    const channels = this.unet.options.inputChannels;
    const out = new Uint8Array(n * height * width);
    const perChunk = Math.max(1, Math.floor(PREDICT_PIXELS_PER_CHUNK / (height * width)));
    const w = this.upload(weights);
    try {
      for (let start = 0; start < n; start += perChunk) {
        const count = Math.min(perChunk, n - start);
        const pixels = height * width;
        const classes = tf.tidy(() => {
          const images = tf.tensor4d(batch.images.subarray(start * pixels * channels, (start + count) * pixels * channels), [count, height, width, channels]);
          return tf.argMax(this.unet.forward(w, images), 3).dataSync();
        });
        out.set(classes, start * pixels);
      }
      return out;
    } finally {
      tf.dispose(w);
    }
  }
}
