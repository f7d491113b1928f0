/**
 * ResizeNearestNeighborGrad for the cpu backend, whose own kernel is wrong for batch > 1 (tfjs
 * 4.22; the wasm backend's is right and faster, and is kept). Each output pixel's gradient is
 * added to the input pixel the forward pass copied it from (tfjs's nearest-neighbour formula).
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
  // Channel-outer loops with a stride of C: with C known only at run time, V8 runs these much
  // faster than a short inner loop over channels.
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < outH; y++) {
      const sy = sourceIndex(y, inH, outH, attrs.alignCorners, attrs.halfPixelCenters);
      const fromRow = (b * outH + y) * outW * c;
      const toRow = (b * inH + sy) * inW * c;
      for (let k = 0; k < c; k++) {
        for (let x = 0; x < outW; x++) dx[toRow + sourceCols[x] * c + k] += dy[fromRow + x * c + k];
      }
    }
  }
  return infos[0];
}

let registered = false;

export function registerResizeGradientKernels(): void {
  if (registered) return;
  registered = true;
  if (tf.getKernel('ResizeNearestNeighborGrad', 'cpu')) tf.unregisterKernel('ResizeNearestNeighborGrad', 'cpu');
  tf.registerKernel({ kernelName: 'ResizeNearestNeighborGrad', backendName: 'cpu', kernelFunc: resizeNearestNeighborGrad as unknown as tf.KernelFunc });
}
