/**
 * Worker-thread side of data-parallel training: one single-threaded backend and model replica.
 * Weights are read from, and gradients written to, SharedArrayBuffers owned by the parent.
 */
import { parentPort } from 'node:worker_threads';
import type { LossFactory } from './replica.js';
import { loadLossFactory, ModelReplica } from './replica.js';
import { selectBackend } from './backends.js';
import { buildUNet } from './unet.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

if (!parentPort) throw new Error('replica-worker must run in a worker thread');
const port = parentPort;

let replica: ModelReplica | null = null;
let createLoss: LossFactory | null = null;
let weights: Float32Array | null = null;
let gradients: Float32Array | null = null;

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  switch (request.type) {
    case 'init': {
      const selected = await selectBackend(request.backend);
      const unet = buildUNet(request.model);
      createLoss = await loadLossFactory(request.lossModule);
      replica = new ModelReplica(unet, createLoss(request.loss, request.lossContext));
      weights = new Float32Array(request.weights);
      gradients = new Float32Array(request.gradients);
      return { id: request.id, type: 'ready', detail: selected.detail };
    }
    case 'setLoss':
      replica!.setLoss(createLoss!(request.loss, request.lossContext));
      return { id: request.id, type: 'done' };
    case 'step': {
      const loss = replica!.lossAndGradients(weights!.slice(), request.batch, gradients!);
      return { id: request.id, type: 'loss', loss };
    }
    case 'predict': {
      const classes = replica!.predict(weights!.slice(), request.batch);
      return { id: request.id, type: 'classes', classes };
    }
  }
}

port.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (reply) => port.postMessage(reply, reply.type === 'classes' ? [reply.classes.buffer as ArrayBuffer] : []),
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      const reply: WorkerReply = { id: request.id, type: 'error', message, isUserError: (error as Error)?.name === 'UserError' };
      port.postMessage(reply);
    },
  );
});
