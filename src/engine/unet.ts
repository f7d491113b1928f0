/**
 * The small U-Net segloss trains to verify a loss recipe.
 *
 * Encoder: `depth` levels of [conv3x3 -> InstanceNorm -> ReLU] x 2, each followed by a 2x2
 * stride-2 max-pool (non-overlapping windows: the wasm MaxPoolGrad is only right for those);
 * a bottleneck block; decoder: nearest-neighbour upsampling to the skip's size, then the same
 * block on [upsampled, skip]; a 1x1 head gives logits NHWC. The decoder's first conv over the
 * concatenation is computed as conv(upsampled, W_up) + conv(skip, W_skip) (the same function
 * with W = [W_up; W_skip] along input channels): it avoids Concat and its SplitV gradient,
 * which are slow channel-strided copies on wasm. Widths double per level from
 * `baseWidth`. InstanceNorm (nnU-Net's choice) normalises each image on its own, so a batch
 * split across data-parallel workers gives the same gradients as the whole batch.
 *
 * The weights live outside the model as one flat Float32Array (see `layout`), so optimisers,
 * gradient averaging across workers and resets are plain array operations.
 */
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../verify/random.js';
import { normRelu } from './norm-relu.js';
import { UNET_DEFAULTS } from './unet-defaults.js';

export interface UNetOptions {
  numClasses: number;
  inputChannels: number;
  /** Number of 2x downsamplings (default 3). Crops should be divisible by 2^depth. */
  depth?: number;
  /** Channels of the first level (default 16); doubles per level. */
  baseWidth?: number;
  /** Seed of the initial weights: the same seed gives the same weights. */
  seed: number;
  /**
   * Initial class priors (numClasses shares summing to 1): the head bias starts at log(prior),
   * so the untrained network already predicts the class frequencies instead of a uniform
   * 1/numClasses ("prior probability" initialisation, Lin et al. 2017, Focal Loss for Dense
   * Object Detection, sec. 4.1). Default: none (bias 0).
   */
  classPriors?: number[] | null;
}

export interface ParameterSpec {
  name: string;
  shape: number[];
  /** Offset of this tensor in the flat weight array. */
  offset: number;
  size: number;
  init: { kind: 'normal'; std: number } | { kind: 'constant'; value: number };
}

export interface UNet {
  options: Required<UNetOptions>;
  parameters: ParameterSpec[];
  /** Total number of weights (length of the flat weight array). */
  size: number;
  /** The seeded initial weights (a fresh copy each call). */
  initialWeights(): Float32Array;
  /** Logits [n, h, w, numClasses] for images [n, h, w, inputChannels]; `weights` in `parameters` order. */
  forward(weights: tf.Tensor[], images: tf.Tensor4D): tf.Tensor4D;
}

function validate(options: Required<UNetOptions>): void {
  const positiveInt = (name: string, value: number, min: number) => {
    if (!Number.isInteger(value) || value < min) throw new RangeError(`U-Net ${name} must be an integer >= ${min}, got ${value}`);
  };
  positiveInt('numClasses', options.numClasses, 2);
  positiveInt('inputChannels', options.inputChannels, 1);
  positiveInt('depth', options.depth, 0);
  positiveInt('baseWidth', options.baseWidth, 1);
  const priors = options.classPriors;
  if (priors !== null) {
    if (priors.length !== options.numClasses || !priors.every((p) => Number.isFinite(p) && p > 0)) {
      throw new RangeError(`U-Net classPriors must be ${options.numClasses} positive numbers, got [${priors.join(', ')}]`);
    }
  }
}

export function buildUNet(input: UNetOptions): UNet {
  const options: Required<UNetOptions> = {
    depth: input.depth ?? UNET_DEFAULTS.depth,
    baseWidth: input.baseWidth ?? UNET_DEFAULTS.baseWidth,
    numClasses: input.numClasses,
    inputChannels: input.inputChannels,
    seed: input.seed,
    classPriors: input.classPriors ?? null,
  };
  validate(options);
  const parameters: ParameterSpec[] = [];
  let offset = 0;
  const add = (name: string, shape: number[], init: ParameterSpec['init']): number => {
    const size = shape.reduce((a, b) => a * b, 1);
    parameters.push({ name, shape, offset, size, init });
    offset += size;
    return parameters.length - 1;
  };
  /** He-normal init; `fanInChannels` counts every input channel of the (possibly split) conv. */
  const conv3x3 = (name: string, inChannels: number, outChannels: number, fanInChannels = inChannels) =>
    add(name, [3, 3, inChannels, outChannels], { kind: 'normal', std: Math.sqrt(2 / (9 * fanInChannels)) });
  /** `skipChannels` > 0: the first conv also reads a skip connection (its own weight tensor). */
  const block = (name: string, inChannels: number, outChannels: number, skipChannels = 0) => ({
    conv1: conv3x3(`${name}.conv1`, inChannels, outChannels, inChannels + skipChannels),
    conv1Skip: skipChannels > 0 ? conv3x3(`${name}.conv1.skip`, skipChannels, outChannels, inChannels + skipChannels) : -1,
    gamma1: add(`${name}.norm1.gamma`, [outChannels], { kind: 'constant', value: 1 }),
    beta1: add(`${name}.norm1.beta`, [outChannels], { kind: 'constant', value: 0 }),
    conv2: conv3x3(`${name}.conv2`, outChannels, outChannels),
    gamma2: add(`${name}.norm2.gamma`, [outChannels], { kind: 'constant', value: 1 }),
    beta2: add(`${name}.norm2.beta`, [outChannels], { kind: 'constant', value: 0 }),
  });
  const width = (level: number) => options.baseWidth * 2 ** level;

  const encoder = Array.from({ length: options.depth }, (_, level) =>
    block(`encoder${level}`, level === 0 ? options.inputChannels : width(level - 1), width(level)),
  );
  const bottleneck = block('bottleneck', options.depth === 0 ? options.inputChannels : width(options.depth - 1), width(options.depth));
  const decoder = Array.from({ length: options.depth }, (_, level) => block(`decoder${level}`, width(level + 1), width(level), width(level)));
  const headWeight = add('head.weight', [1, 1, width(0), options.numClasses], { kind: 'normal', std: Math.sqrt(1 / width(0)) });
  const headBias = add('head.bias', [options.numClasses], { kind: 'constant', value: 0 });
  const priors = options.classPriors;
  const priorBias = priors ? priors.map((p) => Math.log(p / priors.reduce((a, b) => a + b, 0))) : null;
  const size = offset;

  type Block = ReturnType<typeof block>;
  const runBlock = (w: tf.Tensor[], b: Block, x: tf.Tensor4D, skip?: tf.Tensor4D): tf.Tensor4D => {
    let z = tf.conv2d(x, w[b.conv1] as tf.Tensor4D, 1, 'same');
    if (skip) z = tf.add(z, tf.conv2d(skip, w[b.conv1Skip] as tf.Tensor4D, 1, 'same'));
    const h = normRelu(z, w[b.gamma1] as tf.Tensor1D, w[b.beta1] as tf.Tensor1D);
    return normRelu(tf.conv2d(h, w[b.conv2] as tf.Tensor4D, 1, 'same'), w[b.gamma2] as tf.Tensor1D, w[b.beta2] as tf.Tensor1D);
  };

  return {
    options,
    parameters,
    size,
    initialWeights() {
      const weights = new Float32Array(size);
      const rng = createRng(options.seed);
      for (const p of parameters) {
        const target = weights.subarray(p.offset, p.offset + p.size);
        if (p.init.kind === 'constant') target.fill(p.init.value);
        else for (let i = 0; i < p.size; i++) target[i] = standardNormal(rng) * p.init.std;
      }
      if (priorBias) weights.set(priorBias, parameters[headBias].offset);
      return weights;
    },
    forward(w, images) {
      if (w.length !== parameters.length) throw new Error(`U-Net expects ${parameters.length} weight tensors, got ${w.length}`);
      const skips: tf.Tensor4D[] = [];
      let h = images;
      for (const level of encoder) {
        h = runBlock(w, level, h);
        skips.push(h);
        h = tf.maxPool(h, 2, 2, 'valid');
      }
      h = runBlock(w, bottleneck, h);
      for (let level = options.depth - 1; level >= 0; level--) {
        const skip = skips[level];
        const up = tf.image.resizeNearestNeighbor(h, [skip.shape[1], skip.shape[2]]);
        h = runBlock(w, decoder[level], up, skip);
      }
      const logits = tf.conv2d(h, w[headWeight] as tf.Tensor4D, 1, 'valid');
      return tf.add(logits, w[headBias]) as tf.Tensor4D;
    },
  };
}

/** Trainable weights of a U-Net with these options. */
export function countParameters(options: UNetOptions): number {
  return buildUNet(options).size;
}

/** Box-Muller from the seeded uniform generator. */
function standardNormal(rng: { next(): number }): number {
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
