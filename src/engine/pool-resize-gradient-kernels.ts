/**
 * Faster wasm gradients for the U-Net's 2x2 stride-2 max pooling and exact 2x nearest-neighbour
 * upsampling. The stock tfjs-backend-wasm 4.22 kernels are generic scalar C++ loops (MaxPoolGrad
 * 17 ms, ResizeNearestNeighborGrad 15 ms of a 527 ms step at 64x64, batch 8, width 16); these
 * special cases are one JS pass over the wasm heap each. Every other shape goes to the stock
 * kernel (whose setup function is kept, so it still initialises with the backend).
 */
import * as tf from '@tensorflow/tfjs';
import { kernelMemory } from './kernel-memory.js';

type KernelArgs = { inputs: Record<string, tf.TensorInfo>; backend: tf.KernelBackend; attrs: Record<string, unknown> };

/**
 * MaxPoolGrad for non-overlapping 2x2 windows at stride 2 that start at the top-left corner
 * (no padding before): each window's gradient goes to its first maximum in row-major order, as
 * in tfjs's reference (cpu) kernel, which matters for ties such as the zeros after a ReLU.
 * Rows/columns past the last whole window ('valid', odd size) get zero; a 'same' window cut by
 * the bottom/right edge uses the pixels it has (the stock wasm kernel loses that gradient).
 * Returns null when the shape is not this case.
 */
export function maxPoolGrad2x2(args: KernelArgs): tf.TensorInfo | null {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  if (dy.dtype !== 'float32' || input.dtype !== 'float32') return null;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as 'valid',
    attrs.dimRoundingMode as 'floor' | undefined,
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  if (info.filterHeight !== 2 || info.filterWidth !== 2 || info.strideHeight !== 2 || info.strideWidth !== 2) return null;
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || info.padInfo.top !== 0 || info.padInfo.left !== 0) return null;
  if (2 * oh > h + 1 || 2 * ow > w + 1) return null;
  const { inputs: views, outputs, infos } = kernelMemory(backend, [input, dy], [[n, h, w, c]]);
  const [x, g] = views;
  const [dx] = outputs;
  dx.fill(0);
  const rowStride = w * c;
  const fullRows = Math.min(oh, h >> 1);
  const fullCols = Math.min(ow, w >> 1);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < fullRows; y++) {
      const top = (b * h + 2 * y) * rowStride;
      const bottom = top + rowStride;
      let from = (b * oh + y) * ow * c;
      for (let xo = 0; xo < fullCols; xo++) {
        const left = 2 * xo * c;
        for (let k = 0; k < c; k++, from++) {
          const p0 = top + left + k;
          const p1 = p0 + c;
          const p2 = bottom + left + k;
          const p3 = p2 + c;
          // First strict maximum in (p0, p1, p2, p3) order; all-NaN windows get no gradient.
          let best = -1;
          let max = -Infinity;
          if (x[p0] > max) { max = x[p0]; best = p0; }
          if (x[p1] > max) { max = x[p1]; best = p1; }
          if (x[p2] > max) { max = x[p2]; best = p2; }
          if (x[p3] > max) { best = p3; }
          if (best >= 0) dx[best] = g[from];
        }
      }
    }
    // Windows cut by the bottom or right edge ('same' with an odd size), if any.
    for (let y = 0; y < oh; y++) {
      for (let xo = y < fullRows ? fullCols : 0; xo < ow; xo++) {
        for (let k = 0; k < c; k++) {
          let best = -1;
          let max = -Infinity;
          for (let r = 2 * y; r < Math.min(2 * y + 2, h); r++) {
            for (let col = 2 * xo; col < Math.min(2 * xo + 2, w); col++) {
              const p = ((b * h + r) * w + col) * c + k;
              if (x[p] > max) { max = x[p]; best = p; }
            }
          }
          if (best >= 0) dx[best] = g[((b * oh + y) * ow + xo) * c + k];
        }
      }
    }
  }
  return infos[0];
}

/**
 * ResizeNearestNeighborGrad for exact 2x upsampling without alignCorners: every output pixel
 * (2y + i, 2x + j) was copied from input pixel (y, x) (with or without half-pixel centres), so
 * dx is the sum of dy over 2x2 blocks. Returns null when the shape is not this case.
 */
export function resizeNearestNeighborGrad2x(args: KernelArgs): tf.TensorInfo | null {
  const { inputs, backend, attrs } = args;
  const { images, dy } = inputs;
  if (dy.dtype !== 'float32' || images.dtype !== 'float32' || attrs.alignCorners) return null;
  const [n, h, w, c] = images.shape;
  const [, oh, ow] = dy.shape;
  if (oh !== 2 * h || ow !== 2 * w) return null;
  const { inputs: views, outputs, infos } = kernelMemory(backend, [dy], [[n, h, w, c]]);
  const [g] = views;
  const [dx] = outputs;
  const outRow = ow * c;
  let to = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const top = (b * oh + 2 * y) * outRow;
      const bottom = top + outRow;
      for (let x = 0; x < w; x++) {
        const left = 2 * x * c;
        for (let k = 0; k < c; k++, to++) {
          const p = left + k;
          dx[to] = g[top + p] + g[top + p + c] + g[bottom + p] + g[bottom + p + c];
        }
      }
    }
  }
  return infos[0];
}

function withFallback(name: string, special: (args: KernelArgs) => tf.TensorInfo | null): void {
  const stock = tf.getKernel(name, 'wasm');
  if (!stock) throw new Error(`wasm kernel ${name} is not registered (import @tensorflow/tfjs-backend-wasm first)`);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: ((args: KernelArgs) => special(args) ?? stock.kernelFunc(args as never)) as unknown as tf.KernelFunc,
  });
}

let registered = false;

/** Wraps the wasm backend's MaxPoolGrad and ResizeNearestNeighborGrad with the fast cases. Idempotent. */
export function registerWasmPoolResizeGradientKernels(): void {
  if (registered) return;
  withFallback('MaxPoolGrad', maxPoolGrad2x2);
  withFallback('ResizeNearestNeighborGrad', resizeNearestNeighborGrad2x);
  registered = true;
}
