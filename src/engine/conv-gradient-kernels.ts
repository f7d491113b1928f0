/**
 * Fast convolution gradients for the wasm backend, built from XNNPACK forward convolutions.
 *
 * Stock tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter (a conv net cannot train) and a slow
 * scalar Conv2DBackpropInput. Both gradients are forward convolutions in disguise:
 *
 * - Input gradient: dx = conv(dy', flip(W) with in/out channels swapped), where dy' is dy with
 *   (stride - 1) zeros inserted between rows/columns and padded by k-1-pad (cropped where that
 *   is negative). At stride 1 with non-negative padding the padding is left to the convolution.
 * - Filter gradient at stride 1: one XNNPACK matMul per filter tap, dW[kh, kw] = x shifted by the
 *   tap (transposed to [Ci, positions]) x dy [positions, Co] (see `filterGradientByMatMul`),
 *   0.6-0.9x the time of the convolution below on the U-Net's layers.
 * - Filter gradient otherwise (stride 2, tiny images): swap batch and channel axes,
 *   x -> [Ci, H, W, N], dy -> filter [OH, OW, N, Co]; a stride-1 convolution whose filter (dy) is
 *   dilated by the original stride gives [Ci, kh, kw, Co], transposed back to [kh, kw, Ci, Co].
 *
 * Memory rules of the wasm backend that this module follows: intermediates created inside a
 * kernel are invisible to tf.tidy, so each is freed with `backend.disposeData`; XNNPACK caches a
 * packed operator per filter tensor, which that disposal also releases; typed-array views of the
 * wasm heap detach when the heap grows, so views are taken only after every allocation.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type TensorInfo = tf.TensorInfo;
type Pads = { top: number; bottom: number; left: number; right: number };

interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  pads: Pads;
}

function geometry(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: { strides: number | [number, number]; pad: unknown; dimRoundingMode?: unknown; dataFormat?: string },
): ConvGeometry {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new Error(`segloss wasm conv gradients support NHWC only, got ${attrs.dataFormat}`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    1,
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'floor' | undefined,
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    pads: { top: info.padInfo.top, bottom: info.padInfo.bottom, left: info.padInfo.left, right: info.padInfo.right },
  };
}

function runKernel(name: string, backend: BackendWasm, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>): TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm kernel ${name} is not registered`);
  return kernel.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as TensorInfo;
}

/** A stride-1 XNNPACK convolution with explicit padding (all pads must be >= 0). */
function conv(backend: BackendWasm, x: TensorInfo, filter: TensorInfo, pads: Pads, dilation: [number, number]): TensorInfo {
  return runKernel('Conv2D', backend, { x, filter }, {
    strides: [1, 1],
    pad: [[0, 0], [pads.top, pads.bottom], [pads.left, pads.right], [0, 0]],
    dilations: dilation,
    dataFormat: 'NHWC',
    dimRoundingMode: undefined,
  });
}

/** [kh, kw, Ci, Co] -> [kh, kw, Co, Ci] with both spatial axes reversed. */
function flippedSwappedFilter(backend: BackendWasm, filter: TensorInfo): TensorInfo {
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const out = backend.makeOutput([kh, kw, co, ci], 'float32');
  const src = backend.typedArrayFromHeap(filter) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      const srcBase = ((kh - 1 - y) * kw + (kw - 1 - x)) * ci * co;
      const dstBase = (y * kw + x) * co * ci;
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) dst[dstBase + o * ci + i] = src[srcBase + i * co + o];
      }
    }
  }
  return out;
}

/**
 * dy with (stride-1) zeros between rows/columns, then `top`/`left` rows/columns of padding
 * (negative = cropped) and sized to `rows` x `cols`.
 */
function dilatedPaddedGradient(
  backend: BackendWasm,
  dy: TensorInfo,
  stride: [number, number],
  top: number,
  left: number,
  rows: number,
  cols: number,
): TensorInfo {
  const [n, oh, ow, c] = dy.shape as [number, number, number, number];
  const out = backend.makeOutput([n, rows, cols, c], 'float32');
  const src = backend.typedArrayFromHeap(dy) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  dst.fill(0);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      const r = y * stride[0] + top;
      if (r < 0 || r >= rows) continue;
      for (let x = 0; x < ow; x++) {
        const col = x * stride[1] + left;
        if (col < 0 || col >= cols) continue;
        const s = ((b * oh + y) * ow + x) * c;
        dst.set(src.subarray(s, s + c), ((b * rows + r) * cols + col) * c);
      }
    }
  }
  return out;
}

export function conv2DBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: BackendWasm;
  attrs: { inputShape: [number, number, number, number]; strides: number | [number, number]; pad: unknown; dimRoundingMode?: unknown; dataFormat?: string };
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const g = geometry(attrs.inputShape, inputs.filter.shape as [number, number, number, number], attrs);
  const flipped = flippedSwappedFilter(backend, inputs.filter);
  const top = g.filterHeight - 1 - g.pads.top;
  const left = g.filterWidth - 1 - g.pads.left;
  const zeroInsertedHeight = (g.outHeight - 1) * g.strideHeight + 1;
  const zeroInsertedWidth = (g.outWidth - 1) * g.strideWidth + 1;
  const bottom = g.inHeight + g.filterHeight - 1 - zeroInsertedHeight - top;
  const right = g.inWidth + g.filterWidth - 1 - zeroInsertedWidth - left;
  let dx: TensorInfo;
  if (g.strideHeight === 1 && g.strideWidth === 1 && Math.min(top, left, bottom, right) >= 0) {
    dx = conv(backend, inputs.dy, flipped, { top, bottom, left, right }, [1, 1]);
  } else {
    const padded = dilatedPaddedGradient(
      backend,
      inputs.dy,
      [g.strideHeight, g.strideWidth],
      top,
      left,
      g.inHeight + g.filterHeight - 1,
      g.inWidth + g.filterWidth - 1,
    );
    dx = conv(backend, padded, flipped, { top: 0, bottom: 0, left: 0, right: 0 }, [1, 1]);
    backend.disposeData(padded.dataId);
  }
  backend.disposeData(flipped.dataId);
  return dx;
}

/**
 * A tensor of `shape` over `base`'s wasm memory starting `offset` floats in (no copy). Release it
 * with `releaseAlias`, never with disposeData (which would free memory it does not own). Uses
 * BackendWasm internals of tfjs 4.22 (makeOutput's memoryOffset, dataIdMap, wasm.tfjs), which
 * the leak tests exercise.
 */
function alias(backend: BackendWasm, base: TensorInfo, offset: number, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32', backend.getMemoryOffset(base.dataId) + offset * 4);
}

/** Unregisters an alias (and any XNNPACK operator cached on it) without freeing its memory. */
function releaseAlias(backend: BackendWasm, info: TensorInfo): void {
  const data = backend.dataIdMap.get(info.dataId);
  backend.wasm.tfjs.disposeData(data.id);
  backend.dataIdMap.delete(info.dataId);
}

/** Up to this many input channels the matMul operand is copied out (im2col) instead of aliased. */
const IM2COL_MAX_CHANNELS = 4;

/**
 * Filter gradient of a stride-1 convolution as XNNPACK fully-connected matMuls, one per tap,
 * dW[kh, kw] = A_tap [Ci, K] x dy' [K, Co], with no transposed operands (those take tfjs-wasm's
 * scalar path) and no im2col copy (except for few input channels, see IM2COL_MAX_CHANNELS).
 *
 * In the frame of `sharedFrame` (Hq x Wq values per image, the padding shared between
 * neighbouring rows and images), x' is x transposed to [Ci, N, Hq, Wq] (wasm Transpose + PadV2:
 * `top` zero rows before each image, zero rows/columns after) with a zero channel before and
 * after, and dy' is dy padded with zeros after its last row/column to [N, Hq, Wq, Co]. Flattening
 * (n, y, x) to q (K = N*Hq*Wq values), tap (kh, kw) reads x' at q + kh*Wq + kw - left, so A_tap is
 * x' itself shifted by that many floats (an alias of its memory, no copy). A read left of a row
 * lands in the previous row's trailing zero columns, above an image in the previous image's
 * trailing zero rows, before channel 0 or after the last channel in the zero channels; positions
 * in dy''s zero margin multiply whatever the window holds there by zero. dy' is the weight operand
 * of every tap's matMul, so XNNPACK packs it once (its operator is cached by tensor id and freed
 * with dy'). A 1x1 'valid' kernel is a single matMul of x transposed with dy as it is. K is a
 * little more than N*OH*OW (27% at 8x8, 3x3 'same'), which is why tiny images go to the
 * batch-swapped convolution instead (see `useMatMulFilterGradient`).
 * Finite inputs assumed: an Inf in x could reach other channels' gradients through 0 * Inf
 * (training has diverged by then anyway).
 */
function filterGradientByMatMul(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const { batch: n, filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = g;
  const { hq, wq } = sharedFrame(g);
  const k = n * hq * wq;
  // The wasm 4-D Transpose is fast for this permutation (0.6-0.9 ms at 8x64x64x16; a JS loop
  // with the padding folded in was no faster, and slower where no padding is needed).
  let xPadded = runKernel('Transpose', backend, { x }, { perm: [3, 0, 1, 2] });
  // Offset of channel 0's first value in xPadded (after the leading zero channel, if any).
  let base = 0;
  if (kh * kw > 1 || hq !== g.inHeight || wq !== g.inWidth) {
    const xT = xPadded;
    xPadded = runKernel('PadV2', backend, { x: xT }, {
      paddings: [[1, 1], [0, 0], [g.pads.top, hq - g.inHeight - g.pads.top], [0, wq - g.inWidth]],
      constantValue: 0,
    });
    backend.disposeData(xT.dataId);
    base = k;
  }
  const dyPadded =
    hq === g.outHeight && wq === g.outWidth
      ? dy
      : runKernel('PadV2', backend, { x: dy }, {
          paddings: [[0, 0], [0, hq - g.outHeight], [0, wq - g.outWidth], [0, 0]],
          constantValue: 0,
        });
  const tapOffset = (ty: number, tx: number) => base + ty * wq + tx - g.pads.left;
  const b: TensorInfo = { dataId: dyPadded.dataId, shape: [k, co], dtype: 'float32' };
  if (kh * kw > 1 && ci <= IM2COL_MAX_CHANNELS) {
    // Few input channels (the first layer): per-tap matMuls of Ci rows each would stream the
    // packed dy' KH*KW times for little work; copying the shifted rows into one [KH*KW*Ci, K]
    // operand is cheap here and gives one matMul (3.6 vs 5.0 ms at 8x64x64, 3 -> 16 channels).
    const a = backend.makeOutput([kh * kw * ci, k], 'float32');
    // Views after the last allocation (a growing heap detaches older ones).
    const src = backend.typedArrayFromHeap(xPadded) as Float32Array;
    const dst = backend.typedArrayFromHeap(a) as Float32Array;
    let row = 0;
    for (let ty = 0; ty < kh; ty++) {
      for (let tx = 0; tx < kw; tx++) {
        for (let c = 0; c < ci; c++, row++) {
          const start = c * k + tapOffset(ty, tx);
          dst.set(src.subarray(start, start + k), row * k);
        }
      }
    }
    backend.disposeData(xPadded.dataId);
    const product = runKernel('BatchMatMul', backend, { a, b }, { transposeA: false, transposeB: false });
    backend.disposeData(a.dataId);
    if (dyPadded !== dy) backend.disposeData(dyPadded.dataId);
    return { dataId: product.dataId, shape: [kh, kw, ci, co], dtype: 'float32' };
  }
  const taps: TensorInfo[] = [];
  for (let ty = 0; ty < kh; ty++) {
    for (let tx = 0; tx < kw; tx++) {
      const a = alias(backend, xPadded, tapOffset(ty, tx), [ci, k]);
      taps.push(runKernel('BatchMatMul', backend, { a, b }, { transposeA: false, transposeB: false }));
      releaseAlias(backend, a);
    }
  }
  backend.disposeData(xPadded.dataId);
  if (dyPadded !== dy) backend.disposeData(dyPadded.dataId);
  if (taps.length === 1) return { dataId: taps[0].dataId, shape: [kh, kw, ci, co], dtype: 'float32' };
  const dw = backend.makeOutput([kh, kw, ci, co], 'float32');
  // Views after the last allocation (a growing heap detaches older ones).
  const dst = backend.typedArrayFromHeap(dw) as Float32Array;
  taps.forEach((tap, i) => {
    dst.set(backend.typedArrayFromHeap(tap) as Float32Array, i * ci * co);
    backend.disposeData(tap.dataId);
  });
  return dw;
}

/** Set by tests and benchmarks to force one formulation; undefined = the measured rule. */
export const filterGradientOverride: { mode: 'matmul' | 'conv' | undefined } = { mode: undefined };

/**
 * The frame the matMul formulation lays x and dy out in: each image padded by max(top, bottom)
 * rows and each row by max(left, right) columns, which the neighbouring image/row shares as its
 * padding on the other side (a 3x3 'same' conv at HxW needs (H+1)x(W+1) values per image, not
 * (H+2)x(W+2)).
 */
function sharedFrame(g: ConvGeometry): { hq: number; wq: number } {
  return { hq: g.inHeight + Math.max(g.pads.top, g.pads.bottom), wq: g.inWidth + Math.max(g.pads.left, g.pads.right) };
}

/**
 * Whether the matMul formulation applies (stride 1, non-negative padding, dy within the frame)
 * and beats the batch-swapped convolution. Measured side by side on one core (tfjs-wasm 4.22,
 * SIMD, batch 8, fresh dy per call): matMul/conv time 0.6-0.9 on the U-Net's layers; the frame
 * adds 27% to the matMul's inner dimension at 8x8 and 13% at 16x16. Rule: matMul when the frame
 * adds at most a third.
 */
function useMatMulFilterGradient(g: ConvGeometry): boolean {
  if (g.strideHeight !== 1 || g.strideWidth !== 1) return false;
  if (Math.min(g.pads.top, g.pads.bottom, g.pads.left, g.pads.right) < 0) return false;
  const { hq, wq } = sharedFrame(g);
  if (g.outHeight > hq || g.outWidth > wq) return false;
  if (filterGradientOverride.mode !== undefined) return filterGradientOverride.mode === 'matmul';
  return hq * wq <= (4 / 3) * g.outHeight * g.outWidth;
}

export function conv2DBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: { filterShape: [number, number, number, number]; strides: number | [number, number]; pad: unknown; dimRoundingMode?: unknown; dataFormat?: string };
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const g = geometry(inputs.x.shape as [number, number, number, number], attrs.filterShape, attrs);
  if (useMatMulFilterGradient(g)) return filterGradientByMatMul(backend, inputs.x, inputs.dy, g);
  // Rows/columns of x past the last one any output reads contribute nothing: crop them so the
  // convolution's output is exactly filterHeight x filterWidth.
  const bottom = g.filterHeight + (g.outHeight - 1) * g.strideHeight - g.inHeight - g.pads.top;
  const right = g.filterWidth + (g.outWidth - 1) * g.strideWidth - g.inWidth - g.pads.left;
  let x = inputs.x;
  if (bottom < 0 || right < 0) {
    x = runKernel('Slice', backend, { x }, {
      begin: [0, 0, 0, 0],
      size: [g.batch, g.inHeight + Math.min(0, bottom), g.inWidth + Math.min(0, right), g.inChannels],
    });
  }
  const xSwapped = runKernel('Transpose', backend, { x }, { perm: [3, 1, 2, 0] });
  if (x !== inputs.x) backend.disposeData(x.dataId);
  const dyAsFilter = runKernel('Transpose', backend, { x: inputs.dy }, { perm: [1, 2, 0, 3] });
  const swapped = conv(
    backend,
    xSwapped,
    dyAsFilter,
    { top: g.pads.top, bottom: Math.max(0, bottom), left: g.pads.left, right: Math.max(0, right) },
    [g.strideHeight, g.strideWidth],
  );
  backend.disposeData(xSwapped.dataId);
  backend.disposeData(dyAsFilter.dataId);
  const dw = runKernel('Transpose', backend, { x: swapped }, { perm: [1, 2, 0, 3] });
  backend.disposeData(swapped.dataId);
  return dw;
}

let registered = false;

/** Replaces the wasm backend's Conv2DBackpropInput and adds Conv2DBackpropFilter. Idempotent. */
export function registerWasmConvGradientKernels(): void {
  if (registered) return;
  for (const name of ['Conv2DBackpropInput', 'Conv2DBackpropFilter']) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  }
  tf.registerKernel({ kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2DBackpropInputWasm as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilterWasm as unknown as tf.KernelFunc });
  registered = true;
}
