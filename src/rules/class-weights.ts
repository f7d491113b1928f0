/**
 * Class weights derived from the measured pixel shares, each with its formula in words so the
 * recommendation explains itself.
 */
import { UserError } from '../common/errors.js';
import type { ClassWeights } from '../contracts/recommendation.js';
import type { ClassWeightsSetting } from './rule-types.js';

/** Default clip range: the article's own satellite weights [0.1, 1, 1, 2, 2, 3] span 0.1 to 3. */
export const DEFAULT_WEIGHT_CLIP: [number, number] = [0.1, 3];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function round4(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

/**
 * @param shares pixel share per class id (length = number of classes; 0 for absent classes)
 * @param ruleName the rule asking, for error messages
 */
export function deriveClassWeights(setting: ClassWeightsSetting, shares: number[], ruleName: string): ClassWeights {
  if (setting.method === 'fixed') {
    const values = setting.values ?? [];
    if (values.length !== shares.length) {
      throw new UserError(`rule "${ruleName}" gives ${values.length} fixed class weights but the dataset has ${shares.length} classes`, {
        fix: 'give one weight per class, or use method "median-frequency" so weights follow the measured shares',
      });
    }
    return { values: [...values], method: 'fixed', formula: `w = [${values.join(', ')}] as given by rule "${ruleName}"` };
  }
  const [low, high] = setting.clip ?? DEFAULT_WEIGHT_CLIP;
  const present = shares.filter((share) => share > 0);
  if (present.length === 0) {
    throw new UserError(`rule "${ruleName}" derives class weights, but the profile has no labelled pixels`, {
      fix: 'profile a dataset whose masks contain class ids',
    });
  }
  const reference = median(present);
  const clip = (value: number) => Math.min(high, Math.max(low, value));
  const raw = (share: number) => (setting.method === 'median-frequency' ? reference / share : Math.sqrt(reference / share));
  const values = shares.map((share) => round4(share > 0 ? clip(raw(share)) : high));
  const core = setting.method === 'median-frequency' ? 'w_c = median(f) / f_c' : 'w_c = sqrt(median(f) / f_c)';
  return {
    values,
    method: setting.method,
    formula: `${core}, f_c = pixel share of class c, median over the ${present.length} classes present (median f = ${reference.toPrecision(3)}), clipped to [${low}, ${high}]; classes absent from the profile get ${high}`,
  };
}
