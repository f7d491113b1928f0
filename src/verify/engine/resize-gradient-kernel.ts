/**
 * ResizeNearestNeighborGrad for the wasm and cpu backends. The cpu backend's own kernel is wrong
 * for batch > 1 (tfjs 4.22), so both get this one: each output pixel's gradient is added to the
 * input pixel the forward pass copied it from (tfjs's nearest-neighbour source formula).
 */
import * as tf from '@tensorflow/tfjs';
import { kernelMemory } from './kernel-memory.js';

function sourceIndex(outIndex: number, inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): number {
  const ratio = alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  const fractional = halfPixelCenters ? ratio * (outIndex + 0.5) : ratio * outIndex;
  const nearest = Math.min(inSize - 1, alignCorners ? Math.round(fractional) : Math.floor(fractional));
  return halfPixelCenters ? Math.max(0, nearest) : nearest;
}

function resizeNearestNeighborGrad({
  inputs,
  backend,
  attrs,
}: {
  inputs: Record<string, tf.TensorInfo>;
  backend: tf.KernelBackend;
  attrs: { alignCorners: boolean; halfPixelCenters: boolean };
}): tf.TensorInfo {
  const [n, inH, inW, c] = inputs.images.shape;
  const [, outH, outW] = inputs.dy.shape;
  const { inputs: views, outputs, infos } = kernelMemory(backend, [inputs.dy], [[n, inH, inW, c]]);
  const [dy] = views;
  const [dx] = outputs;
  dx.fill(0);
  const sourceCols = Int32Array.from({ length: outW }, (_, x) => sourceIndex(x, inW, outW, attrs.alignCorners, attrs.halfPixelCenters));
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < outH; y++) {
      const sy = sourceIndex(y, inH, outH, attrs.alignCorners, attrs.halfPixelCenters);
      for (let x = 0; x < outW; x++) {
        const from = ((b * outH + y) * outW + x) * c;
        const to = ((b * inH + sy) * inW + sourceCols[x]) * c;
        for (let k = 0; k < c; k++) dx[to + k] += dy[from + k];
      }
    }
  }
  return infos[0];
}

let registered = false;

export function registerResizeGradientKernels(): void {
  if (registered) return;
  registered = true;
  for (const backendName of ['wasm', 'cpu']) {
    if (tf.getKernel('ResizeNearestNeighborGrad', backendName)) tf.unregisterKernel('ResizeNearestNeighborGrad', backendName);
    tf.registerKernel({ kernelName: 'ResizeNearestNeighborGrad', backendName, kernelFunc: resizeNearestNeighborGrad as unknown as tf.KernelFunc });
  }
}
