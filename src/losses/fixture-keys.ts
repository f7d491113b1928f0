/**
 * Maps the loss keys of reference cases (e.g. `focal_gamma1.5_alpha0.25`) to loss specs, as data:
 * each pattern names a loss and turns its captured numbers into parameters. A key ending in
 * `_weighted` uses the case's class weights. See ../shared/fixtures/README.md for the conventions.
 */
import type { LossParamValue, LossSpec } from '../contracts/losses.js';

export interface FixtureLoss {
  spec: LossSpec;
  /** True when the case's `class_weights` apply (keys ending in `_weighted`). */
  useClassWeights: boolean;
}

const NUMBER = '(\\d+(?:\\.\\d+)?(?:e-?\\d+)?)';

interface KeyPattern {
  pattern: RegExp;
  /** Builds the spec from the captured groups (numbers as strings). */
  spec: (groups: string[]) => LossSpec;
}

const KEY_PATTERNS: KeyPattern[] = [
  { pattern: /^ce$/, spec: () => loss('ce') },
  { pattern: re(`ce_label_smoothing_${NUMBER}`), spec: ([e]) => loss('ce', { labelSmoothing: Number(e) }) },
  { pattern: re(`focal_gamma${NUMBER}`), spec: ([g]) => loss('focal', { gamma: Number(g) }) },
  { pattern: re(`focal_gamma${NUMBER}_alpha${NUMBER}`), spec: ([g, a]) => loss('focal', { gamma: Number(g), alpha: Number(a) }) },
  { pattern: /^dice$/, spec: () => loss('dice') },
  { pattern: /^dice_no_background$/, spec: () => loss('dice', { includeBackground: false }) },
  { pattern: /^dice_batch$/, spec: () => loss('dice', { batch: true }) },
  { pattern: /^dice_squared$/, spec: () => loss('dice', { squaredPred: true }) },
  { pattern: /^jaccard$/, spec: () => loss('dice', { jaccard: true }) },
  { pattern: /^dice_ce$/, spec: () => loss('combo') },
  { pattern: re(`combo_${NUMBER}dice_${NUMBER}ce`), spec: ([d, c]) => loss('combo', { diceWeight: Number(d), ceWeight: Number(c) }) },
  { pattern: re(`combo_${NUMBER}stable_log_dice_${NUMBER}ce`), spec: ([d, c]) => loss('combo', { diceWeight: Number(d), ceWeight: Number(c), diceForm: 'stable_log_dice' }) },
  { pattern: /^stable_log_dice$/, spec: () => loss('stable_log_dice') },
  { pattern: /^generalized_dice$/, spec: () => loss('generalized_dice') },
  { pattern: /^generalized_dice_(simple|uniform)$/, spec: ([w]) => loss('generalized_dice', { weightType: w }) },
  { pattern: re(`tversky_a${NUMBER}_b${NUMBER}`), spec: ([a, b]) => loss('tversky', { alpha: Number(a), beta: Number(b) }) },
  { pattern: re(`focal_tversky_a${NUMBER}_b${NUMBER}_g${NUMBER}`), spec: ([a, b, g]) => loss('focal_tversky', { alpha: Number(a), beta: Number(b), gamma: Number(g) }) },
  { pattern: re(`ohem_ce_keep${NUMBER}`), spec: ([r]) => loss('ohem_ce', { keepRatio: Number(r) }) },
];

function re(body: string): RegExp {
  return new RegExp(`^${body}$`);
}

function loss(name: LossSpec['name'], params: Record<string, LossParamValue> = {}): LossSpec {
  return { name, params };
}

/** The loss a fixture key names, or null when no pattern matches. */
export function fixtureLossForKey(key: string): FixtureLoss | null {
  const useClassWeights = key.endsWith('_weighted');
  const base = useClassWeights ? key.slice(0, -'_weighted'.length) : key;
  for (const { pattern, spec } of KEY_PATTERNS) {
    const match = pattern.exec(base);
    if (!match) continue;
    return { spec: spec(match.slice(1)), useClassWeights };
  }
  return null;
}
