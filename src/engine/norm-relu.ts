/**
 * InstanceNorm (per image and channel over H x W, biased variance, eps 1e-5, affine gamma/beta,
 * as torch.nn.InstanceNorm2d(affine=True)) followed by ReLU.
 *
 * On the pure-JS cpu backend this is one fused kernel forward and one backward (plain loops)
 * instead of ~10 tfjs ops forward and ~20 backward. On wasm the fused kernels were measured no
 * faster than the composite ops (SIMD elementwise kernels vs JS loops), so wasm and tfjs-node run
 * the composite ops forward with a hand-written backward and pooled means
 * (customGradientNormRelu): a whole training step (width 16, 64x64, batch 8) went from 539 to
 * 420 CPU-ms against autodiff of the composite ops. The fused kernels are registered for wasm too, so every path can
 * be compared there (tests do).
 */
import * as tf from '@tensorflow/tfjs';
import { kernelMemory } from './kernel-memory.js';

export const NORM_EPSILON = 1e-5;
const FORWARD = 'SeglossInstanceNormRelu';
const BACKWARD = 'SeglossInstanceNormReluGrad';
/** Backends that have the fused kernels; `normRelu` uses them only on FUSED_BY_DEFAULT. */
const FUSED_BACKENDS = ['wasm', 'cpu'] as const;
const FUSED_BY_DEFAULT = ['cpu'];

let fusedOverride: boolean | null = null;
/** Forces the fused kernels on (true) or off (false) on the backends that have them; null = default. */
export function setFusedNormRelu(enabled: boolean | null): void {
  fusedOverride = enabled;
}

export function normRelu(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor4D {
  const backend = tf.getBackend();
  const fused = (FUSED_BACKENDS as readonly string[]).includes(backend) && (fusedOverride ?? FUSED_BY_DEFAULT.includes(backend));
  if (fused) {
    registerNormReluKernels();
    const [y] = tf.engine().runKernel(FORWARD, { x, gamma, beta } as unknown as tf.NamedTensorMap, {}) as tf.Tensor[];
    return y as tf.Tensor4D;
  }
  return customGradientNormRelu(x, gamma, beta);
}

/**
 * Stock tfjs ops forward with a hand-written backward (the wasm and tfjs-node path): autodiff of
 * the composite ops replays ~25 broadcasting kernels; this backward is 11, from the saved
 * normalised input, 1/std and output:
 *   dz = dy * [y > 0];  dbeta = sum(dz);  dgamma = sum(dz * xhat);
 *   dx = gamma * invStd * (dz - mean_hw(dz) - xhat * mean_hw(dz * xhat)).
 * Means over H x W are whole-image average pools (spatialMean).
 */
const customGradNormRelu = tf.customGrad(((x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, save: tf.GradSaveFunc) => {
  const centered = tf.sub(x, spatialMean(x));
  const invStd = tf.rsqrt(tf.add(spatialMean(tf.square(centered) as tf.Tensor4D), NORM_EPSILON));
  const xhat = tf.mul(centered, invStd);
  const y = tf.relu(tf.add(tf.mul(xhat, gamma), beta));
  save([xhat, invStd, gamma, y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedXhat, savedInvStd, savedGamma, savedY] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.Tensor4D];
      const [, height, width] = savedXhat.shape;
      const dz = tf.mul(dy, tf.step(savedY)) as tf.Tensor4D;
      const meanDz = spatialMean(dz);
      const meanDzXhat = spatialMean(tf.mul(dz, savedXhat));
      const dx = tf.mul(tf.sub(tf.sub(dz, meanDz), tf.mul(savedXhat, meanDzXhat)), tf.mul(savedInvStd, savedGamma));
      // Sums over the batch and pixels, from the per-image means already at hand.
      const pixels = height * width;
      return [dx, tf.mul(tf.sum(meanDzXhat, [0, 1, 2]), pixels), tf.mul(tf.sum(meanDz, [0, 1, 2]), pixels)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/**
 * Mean over H and W per image and channel, [N,H,W,C] -> [N,1,1,C], as a whole-image average pool:
 * on wasm that is XNNPACK's NHWC pooling, 5-10x faster than tf.mean over axes [1, 2] (which
 * transposes the tensor first).
 */
function spatialMean(x: tf.Tensor4D): tf.Tensor4D {
  return tf.avgPool(x, [x.shape[1], x.shape[2]], 1, 'valid');
}

export function customGradientNormRelu(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor4D {
  return customGradNormRelu(x, gamma, beta) as tf.Tensor4D;
}

/** The same function from stock tfjs ops, differentiated by autodiff (reference for tests). */
export function compositeNormRelu(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => {
    const mean = tf.mean(x, [1, 2], true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), [1, 2], true);
    const normalised = tf.mul(centered, tf.rsqrt(tf.add(variance, NORM_EPSILON)));
    return tf.relu(tf.add(tf.mul(normalised, gamma), beta)) as tf.Tensor4D;
  });
}

/*
 * The loops walk one channel at a time with a stride of C and scalar accumulators: with C only
 * known at run time, V8 runs this 3-5x faster than an inner loop over channels.
 */

/** Forward on plain NHWC arrays: y, and per (image, channel) mean and 1/std. */
export function normReluForward(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  n: number,
  pixels: number,
  c: number,
  y: Float32Array,
  meanOut: Float32Array,
  invStdOut: Float32Array,
): void {
  for (let b = 0; b < n; b++) {
    const end = (b + 1) * pixels * c;
    for (let k = 0; k < c; k++) {
      const start = b * pixels * c + k;
      // One pass for both moments, accumulated in float64 (exact enough for float32 data).
      let sum = 0;
      let sumSquares = 0;
      for (let i = start; i < end; i += c) {
        const v = x[i];
        sum += v;
        sumSquares += v * v;
      }
      const mean = sum / pixels;
      const squares = Math.max(0, sumSquares - sum * mean);
      const invStd = 1 / Math.sqrt(squares / pixels + NORM_EPSILON);
      meanOut[b * c + k] = mean;
      invStdOut[b * c + k] = invStd;
      const scale = gamma[k] * invStd;
      const shift = beta[k] - mean * scale;
      for (let i = start; i < end; i += c) {
        const z = x[i] * scale + shift;
        y[i] = z > 0 ? z : 0;
      }
    }
  }
}

/** Backward on plain NHWC arrays: dx, and dgamma/dbeta summed over the batch. */
export function normReluBackward(
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  meanIn: Float32Array,
  invStdIn: Float32Array,
  n: number,
  pixels: number,
  c: number,
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
): void {
  dgamma.fill(0);
  dbeta.fill(0);
  for (let b = 0; b < n; b++) {
    const end = (b + 1) * pixels * c;
    for (let k = 0; k < c; k++) {
      const start = b * pixels * c + k;
      const mean = meanIn[b * c + k];
      const invStd = invStdIn[b * c + k];
      // z = gamma * xhat + beta = x * scale + shift; ReLU passes dy where z > 0.
      const scale = gamma[k] * invStd;
      const shift = beta[k] - mean * scale;
      let sumDz = 0;
      let sumDzXhat = 0;
      for (let i = start; i < end; i += c) {
        if (x[i] * scale + shift > 0) {
          const dz = dy[i];
          sumDz += dz;
          sumDzXhat += dz * (x[i] - mean) * invStd;
        }
      }
      dbeta[k] += sumDz;
      dgamma[k] += sumDzXhat;
      // dx = gamma * invStd * (dz - mean(dz) - xhat * mean(dz * xhat))
      const meanDz = sumDz / pixels;
      const meanDzXhat = sumDzXhat / pixels;
      for (let i = start; i < end; i += c) {
        const xhat = (x[i] - mean) * invStd;
        const dz = x[i] * scale + shift > 0 ? dy[i] : 0;
        dx[i] = scale * (dz - meanDz - xhat * meanDzXhat);
      }
    }
  }
}

/** Outputs y [N,H,W,C], mean [N,C], inverse std [N,C]. */
function forwardKernel({ inputs, backend }: { inputs: Record<string, tf.TensorInfo>; backend: tf.KernelBackend }): tf.TensorInfo[] {
  const [n, h, w, c] = inputs.x.shape;
  const { inputs: views, outputs, infos } = kernelMemory(backend, [inputs.x, inputs.gamma, inputs.beta], [[n, h, w, c], [n, c], [n, c]]);
  const [x, gamma, beta] = views;
  const [y, meanOut, invStdOut] = outputs;
  normReluForward(x, gamma, beta, n, h * w, c, y, meanOut, invStdOut);
  return infos;
}

/** Inputs dy, x, gamma, beta, mean, invStd; outputs dx, dgamma, dbeta. */
function backwardKernel({ inputs, backend }: { inputs: Record<string, tf.TensorInfo>; backend: tf.KernelBackend }): tf.TensorInfo[] {
  const [n, h, w, c] = inputs.x.shape;
  const { inputs: views, outputs, infos } = kernelMemory(
    backend,
    [inputs.dy, inputs.x, inputs.gamma, inputs.beta, inputs.mean, inputs.invStd],
    [[n, h, w, c], [c], [c]],
  );
  const [dy, x, gamma, beta, mean, invStd] = views;
  const [dx, dgamma, dbeta] = outputs;
  normReluBackward(dy, x, gamma, beta, mean, invStd, n, h * w, c, dx, dgamma, dbeta);
  return infos;
}

let registered = false;

export function registerNormReluKernels(): void {
  if (registered) return;
  registered = true;
  for (const backendName of FUSED_BACKENDS) {
    tf.registerKernel({ kernelName: FORWARD, backendName, kernelFunc: forwardKernel as unknown as tf.KernelFunc });
    tf.registerKernel({ kernelName: BACKWARD, backendName, kernelFunc: backwardKernel as unknown as tf.KernelFunc });
  }
  tf.registerGradient({
    kernelName: FORWARD,
    inputsToSave: ['x', 'gamma', 'beta'],
    outputsToSave: [false, true, true],
    gradFunc: (dy, saved) => {
      const [x, gamma, beta, mean, invStd] = saved;
      const dyMain = Array.isArray(dy) ? dy[0] : dy;
      const [dx, dgamma, dbeta] = tf.engine().runKernel(BACKWARD, { dy: dyMain, x, gamma, beta, mean, invStd } as unknown as tf.NamedTensorMap, {}) as tf.Tensor[];
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
}
