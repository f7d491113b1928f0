/**
 * Optimisers over one flat Float32Array of weights, with PyTorch's update rules so a recipe
 * behaves as it would in the user's own trainer (`segloss export`):
 * - adam:  torch.optim.Adam (betas 0.9/0.999, eps 1e-8, bias-corrected; weight decay is L2,
 *          added to the gradient).
 * - adamw: torch.optim.AdamW (decoupled weight decay: w -= lr * wd * w before the Adam step).
 * - sgd:   torch.optim.SGD (momentum buffer b = m*b + g, first step b = g; Nesterov uses
 *          g + m*b; weight decay added to the gradient).
 * Weight decay applies to every weight, as torch does by default.
 */
import type { Recipe } from '../contracts/recommendation.js';

export type OptimizerSettings = Recipe['optimizer'];

export interface Optimizer {
  /** Updates `weights` in place from `gradients` (which it may modify). */
  step(weights: Float32Array, gradients: Float32Array, learningRate: number): void;
}

export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

export function createOptimizer(settings: OptimizerSettings, size: number): Optimizer {
  const weightDecay = settings.weightDecay ?? 0;
  if (!(weightDecay >= 0)) throw new RangeError(`weight decay must be >= 0, got ${weightDecay}`);
  switch (settings.name) {
    case 'adam':
    case 'adamw':
      return adam(size, weightDecay, settings.name === 'adamw');
    case 'sgd':
      return sgd(size, weightDecay, settings.momentum ?? 0, settings.nesterov);
    default:
      throw new RangeError(`unknown optimiser "${String((settings as { name: unknown }).name)}" (expected adam, adamw or sgd)`);
  }
}

function adam(size: number, weightDecay: number, decoupled: boolean): Optimizer {
  const m = new Float32Array(size);
  const v = new Float32Array(size);
  const { beta1, beta2, epsilon } = ADAM_DEFAULTS;
  let t = 0;
  return {
    step(w, g, lr) {
      t++;
      const correction1 = 1 - beta1 ** t;
      const correction2 = 1 - beta2 ** t;
      const stepSize = lr / correction1;
      const sqrtCorrection2 = Math.sqrt(correction2);
      const decay = decoupled ? 1 - lr * weightDecay : 1;
      const l2 = decoupled ? 0 : weightDecay;
      for (let i = 0; i < size; i++) {
        const grad = g[i] + l2 * w[i];
        const mi = beta1 * m[i] + (1 - beta1) * grad;
        const vi = beta2 * v[i] + (1 - beta2) * grad * grad;
        m[i] = mi;
        v[i] = vi;
        w[i] = w[i] * decay - (stepSize * mi) / (Math.sqrt(vi) / sqrtCorrection2 + epsilon);
      }
    },
  };
}

function sgd(size: number, weightDecay: number, momentum: number, nesterov: boolean): Optimizer {
  if (!(momentum >= 0 && momentum < 1)) throw new RangeError(`SGD momentum must be in [0, 1), got ${momentum}`);
  if (nesterov && momentum === 0) throw new RangeError('Nesterov SGD needs a momentum > 0');
  const buffer = new Float32Array(size);
  let first = true;
  return {
    step(w, g, lr) {
      for (let i = 0; i < size; i++) {
        let grad = g[i] + weightDecay * w[i];
        if (momentum > 0) {
          const b = first ? grad : momentum * buffer[i] + grad;
          buffer[i] = b;
          grad = nesterov ? grad + momentum * b : b;
        }
        w[i] -= lr * grad;
      }
      first = false;
    },
  };
}

/** Global L2 norm of the gradient. */
export function globalNorm(gradients: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < gradients.length; i++) sum += gradients[i] * gradients[i];
  return Math.sqrt(sum);
}

/**
 * torch.nn.utils.clip_grad_norm_: scales the gradient in place so its global norm is at most
 * `maxNorm` (factor maxNorm / (norm + 1e-6), only when below 1). Returns the norm before clipping.
 */
export function clipGlobalNorm(gradients: Float32Array, maxNorm: number | null): number {
  const norm = globalNorm(gradients);
  if (maxNorm === null) return norm;
  const factor = maxNorm / (norm + 1e-6);
  if (factor < 1) for (let i = 0; i < gradients.length; i++) gradients[i] *= factor;
  return norm;
}
