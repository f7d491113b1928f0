/**
 * Maps the loss keys of reference cases (e.g. `focal_gamma1.5_alpha0.25`) to loss specs, as data:
 * each pattern names a loss and turns its captured numbers into parameters. A key ending in
 * `_weighted` uses the case's class weights; a key ending in `_progressT` (before `_weighted`) is
 * evaluated at training progress T (scheduled losses), else at the default progress 1. See
 * ../shared/fixtures/README.md and test/fixtures/losses/README.md for the conventions.
 */
import type { LossParamValue, LossSpec } from '../contracts/losses.js';

export interface FixtureLoss {
  spec: LossSpec;
  /** True when the case's `class_weights` apply (keys ending in `_weighted`). */
  useClassWeights: boolean;
  /** Training progress the loss is evaluated at (`_progressT` suffix; default 1). */
  progress: number;
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
  { pattern: /^boundary$/, spec: () => loss('boundary') },
  { pattern: /^boundary_with_background$/, spec: () => loss('boundary', { includeBackground: true }) },
  { pattern: /^dice_boundary$/, spec: () => loss('dice_boundary') },
  { pattern: /^dice_boundary_(rebalance|increase|constant)$/, spec: ([s]) => loss('dice_boundary', { schedule: s }) },
  { pattern: re(`dice_boundary_alpha${NUMBER}_to${NUMBER}`), spec: ([a, b]) => loss('dice_boundary', { alphaStart: Number(a), alphaEnd: Number(b) }) },
  { pattern: /^dice_boundary_no_background$/, spec: () => loss('dice_boundary', { includeBackground: false, boundaryIncludeBackground: false }) },
  { pattern: re(`hausdorff_dt_alpha${NUMBER}`), spec: ([a]) => loss('hausdorff_dt', { alpha: Number(a) }) },
  { pattern: /^hausdorff_dt$/, spec: () => loss('hausdorff_dt') },
  { pattern: /^hausdorff_dt_with_background$/, spec: () => loss('hausdorff_dt', { includeBackground: true }) },
  { pattern: /^hausdorff_dt_batch$/, spec: () => loss('hausdorff_dt', { batch: true }) },
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
  const unweighted = useClassWeights ? key.slice(0, -'_weighted'.length) : key;
  const progressMatch = new RegExp(`_progress${NUMBER}$`).exec(unweighted);
  const progress = progressMatch ? Number(progressMatch[1]) : 1;
  const base = progressMatch ? unweighted.slice(0, progressMatch.index) : unweighted;
  for (const { pattern, spec } of KEY_PATTERNS) {
    const match = pattern.exec(base);
    if (!match) continue;
    return { spec: spec(match.slice(1)), useClassWeights, progress };
  }
  return null;
}
