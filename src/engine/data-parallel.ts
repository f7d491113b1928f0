/**
 * Data-parallel training over worker threads. Each worker runs a single-threaded backend with its
 * own model replica; a batch is split into contiguous shards, each worker computes its shard's
 * mean loss and gradient, and the parent averages them weighted by shard size (what one replica
 * would compute on the whole batch when the loss is a mean over images, e.g. CE without ignored
 * pixels, or per-image Dice; batch-level terms such as batch Dice or OHEM are computed per
 * shard, as in PyTorch DDP). Weights and gradients travel through SharedArrayBuffers.
 *
 * Idle workers are unref'd, so a forgotten dispose() never keeps the process alive.
 */
import type { Worker } from 'node:worker_threads';
import { UserError } from '../common/errors.js';
import { startWorkerThread } from '../common/workers.js';
import type { LossContext, LossSpec } from '../contracts/losses.js';
import type { BackendName } from '../contracts/verification.js';
import { shardSizes, type GradientSource } from './gradient-source.js';
import type { ImageBatch, LabelledBatch } from './replica.js';
import type { UNet } from './unet.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Pending = { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void };

class ReplicaWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | null = null;

  constructor() {
    this.worker = startWorkerThread(import.meta.url, './replica-worker');
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.type === 'error') {
        waiting.reject(reply.isUserError ? new UserError(reply.message) : new Error(`training worker: ${reply.message}`));
      } else waiting.resolve(reply);
    });
    const failAll = (error: Error) => {
      this.failure = error;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', (error) => failAll(new Error(`training worker crashed: ${error.message}`, { cause: error })));
    this.worker.on('exit', (code) => failAll(new Error(`training worker exited (code ${code})`)));
  }

  request(message: DistributiveOmit<WorkerRequest, 'id'>, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...message, id } as WorkerRequest, transfer);
    });
  }

  async terminate(): Promise<void> {
    this.failure = new Error('training worker was disposed');
    await this.worker.terminate();
  }
}

export interface DataParallelOptions {
  unet: UNet;
  backend: BackendName;
  workers: number;
  loss: LossSpec;
  lossContext: LossContext;
  lossModule?: string;
}

export async function createDataParallelGradientSource(options: DataParallelOptions): Promise<GradientSource> {
  const { unet } = options;
  const bytes = unet.size * Float32Array.BYTES_PER_ELEMENT;
  const sharedWeights = new SharedArrayBuffer(bytes);
  const weightsView = new Float32Array(sharedWeights);
  const gradientSlots = Array.from({ length: options.workers }, () => new SharedArrayBuffer(bytes));
  const gradientViews = gradientSlots.map((slot) => new Float32Array(slot));
  const workers = Array.from({ length: options.workers }, () => new ReplicaWorker());
  try {
    await Promise.all(
      workers.map((worker, i) =>
        worker.request({
          type: 'init',
          backend: options.backend,
          model: unet.options,
          lossModule: options.lossModule,
          loss: options.loss,
          lossContext: options.lossContext,
          weights: sharedWeights,
          gradients: gradientSlots[i],
        }),
      ),
    );
  } catch (error) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw error;
  }

  const pixelsOf = (batch: ImageBatch) => batch.height * batch.width;
  const channels = unet.options.inputChannels;
  /** Contiguous shards of the batch's images (copies, transferable to a worker), with their first image index. */
  const shardsOf = (batch: ImageBatch, sizes: number[]) => {
    const imageValues = pixelsOf(batch) * channels;
    let start = 0;
    return sizes.map((n) => {
      const shard = { images: batch.images.slice(start * imageValues, (start + n) * imageValues), start, n };
      start += n;
      return shard;
    });
  };

  return {
    threads: options.workers,
    async lossAndGradients(weights, batch: LabelledBatch, gradients) {
      weightsView.set(weights);
      const sizes = shardSizes(batch.n, workers.length);
      const replies = shardsOf(batch, sizes).map(({ images, start, n }, i) => {
        const pixels = pixelsOf(batch);
        const labels = batch.labels.slice(start * pixels, (start + n) * pixels);
        const shard: LabelledBatch = { images, labels, n, height: batch.height, width: batch.width, ...(batch.progress !== undefined ? { progress: batch.progress } : {}) };
        return workers[i].request({ type: 'step', batch: shard }, [images.buffer as ArrayBuffer, labels.buffer as ArrayBuffer]);
      });
      const losses = (await Promise.all(replies)).map((reply) => (reply as { loss: number }).loss);
      gradients.fill(0);
      let loss = 0;
      sizes.forEach((size, i) => {
        const share = size / batch.n;
        loss += share * losses[i];
        const slot = gradientViews[i];
        for (let j = 0; j < gradients.length; j++) gradients[j] += share * slot[j];
      });
      return loss;
    },
    async predict(weights, batch) {
      weightsView.set(weights);
      const sizes = shardSizes(batch.n, workers.length);
      const pixels = pixelsOf(batch);
      const replies = shardsOf(batch, sizes).map(({ images, n }, i) =>
        workers[i].request({ type: 'predict', batch: { images, n, height: batch.height, width: batch.width } }, [images.buffer as ArrayBuffer]),
      );
      const out = new Uint8Array(batch.n * pixels);
      let offset = 0;
      for (const reply of await Promise.all(replies)) {
        const classes = (reply as { classes: Uint8Array }).classes;
        out.set(classes, offset);
        offset += classes.length;
      }
      return out;
    },
    async setLoss(loss, lossContext) {
      await Promise.all(workers.map((w) => w.request({ type: 'setLoss', loss, lossContext })));
    },
    async dispose() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
