import type { LossContext, LossSpec } from '../../src/contracts/losses.js';

export interface LossCase {
  title: string;
  spec: LossSpec;
  /** Overrides of the test context (class weights, scale-aware bins). */
  context?: Partial<LossContext>;
  /** Training progress passed to the loss (scheduled losses); default: the loss's default, 1. */
  progress?: number;
}

const weights = (c: number) => Array.from({ length: c }, (_, k) => [0.3, 1.2, 2.5, 0.8, 1.7][k % 5]);
/** Bins that split the rectangle objects of the random batches into different weights. */
const scaleAware = { binEdges: [4, 12], binWeights: [3, 2, 1] };

/** Every loss, with its options exercised; `classes` sets the class-weight length. */
export function lossCases(classes: number): LossCase[] {
  return [
    { title: 'ce', spec: { name: 'ce', params: {} } },
    { title: 'ce label smoothing 0.1', spec: { name: 'ce', params: { labelSmoothing: 0.1 } } },
    { title: 'ce weighted', spec: { name: 'ce', params: {} }, context: { classWeights: weights(classes) } },
    { title: 'ce weighted + smoothing', spec: { name: 'ce', params: { labelSmoothing: 0.2 } }, context: { classWeights: weights(classes) } },
    { title: 'focal gamma 2', spec: { name: 'focal', params: {} } },
    { title: 'focal gamma 1.5 alpha 0.25', spec: { name: 'focal', params: { gamma: 1.5, alpha: 0.25 } } },
    { title: 'focal gamma 0.5 weighted', spec: { name: 'focal', params: { gamma: 0.5 } }, context: { classWeights: weights(classes) } },
    { title: 'focal gamma 0', spec: { name: 'focal', params: { gamma: 0 } } },
    { title: 'focal label smoothing 0.1', spec: { name: 'focal', params: { labelSmoothing: 0.1 } } },
    { title: 'focal gamma 1.5 alpha 0.25 weighted + smoothing 0.2', spec: { name: 'focal', params: { gamma: 1.5, alpha: 0.25, labelSmoothing: 0.2 } }, context: { classWeights: weights(classes) } },
    { title: 'focal gamma 0.5 smoothing 0.3', spec: { name: 'focal', params: { gamma: 0.5, labelSmoothing: 0.3 } } },
    { title: 'dice', spec: { name: 'dice', params: {} } },
    { title: 'dice no background', spec: { name: 'dice', params: { includeBackground: false } } },
    { title: 'dice batch', spec: { name: 'dice', params: { batch: true } } },
    { title: 'dice squared', spec: { name: 'dice', params: { squaredPred: true } } },
    { title: 'jaccard', spec: { name: 'dice', params: { jaccard: true } } },
    { title: 'dice smoothNr 0', spec: { name: 'dice', params: { smoothNr: 0 } } },
    { title: 'stable log dice', spec: { name: 'stable_log_dice', params: {} } },
    { title: 'combo (dice + ce)', spec: { name: 'combo', params: {} } },
    {
      title: 'combo 0.7 stable log dice + 0.3 weighted ce',
      spec: { name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3, diceForm: 'stable_log_dice' } },
      context: { classWeights: weights(classes) },
    },
    { title: 'combo no background, batch, smoothing', spec: { name: 'combo', params: { includeBackground: false, batch: true, labelSmoothing: 0.1 } } },
    { title: 'combo 0.7 dice + 0.3 ohem ce 0.25', spec: { name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3, ohemKeepRatio: 0.25 } } },
    {
      title: 'combo stable log dice + weighted ohem ce 0.4 + smoothing',
      spec: { name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3, diceForm: 'stable_log_dice', ohemKeepRatio: 0.4, labelSmoothing: 0.1 } },
      context: { classWeights: weights(classes) },
    },
    { title: 'combo batch dice + ohem ce 0.5', spec: { name: 'combo', params: { batch: true, ohemKeepRatio: 0.5 } } },
    { title: 'generalized dice', spec: { name: 'generalized_dice', params: {} } },
    { title: 'generalized dice simple', spec: { name: 'generalized_dice', params: { weightType: 'simple' } } },
    { title: 'generalized dice uniform batch', spec: { name: 'generalized_dice', params: { weightType: 'uniform', batch: true } } },
    { title: 'generalized dice no background', spec: { name: 'generalized_dice', params: { includeBackground: false } } },
    { title: 'tversky 0.3/0.7', spec: { name: 'tversky', params: { alpha: 0.3, beta: 0.7 } } },
    { title: 'tversky batch', spec: { name: 'tversky', params: { batch: true } } },
    { title: 'focal tversky', spec: { name: 'focal_tversky', params: {} } },
    { title: 'focal tversky gamma 1.5 no background', spec: { name: 'focal_tversky', params: { gamma: 1.5, includeBackground: false } } },
    { title: 'ohem ce 0.25', spec: { name: 'ohem_ce', params: {} } },
    { title: 'ohem ce 0.5 weighted + smoothing', spec: { name: 'ohem_ce', params: { keepRatio: 0.5, labelSmoothing: 0.1 } }, context: { classWeights: weights(classes) } },
    { title: 'scale-aware ce', spec: { name: 'ce', params: {} }, context: { scaleAware } },
    { title: 'scale-aware dice', spec: { name: 'dice', params: {} }, context: { scaleAware } },
    { title: 'scale-aware combo weighted', spec: { name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3 } }, context: { scaleAware, classWeights: weights(classes) } },
    { title: 'scale-aware focal tversky', spec: { name: 'focal_tversky', params: {} }, context: { scaleAware } },
    { title: 'scale-aware ohem', spec: { name: 'ohem_ce', params: { keepRatio: 0.3 } }, context: { scaleAware } },
    { title: 'scale-aware combo ohem 0.25 weighted', spec: { name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3, ohemKeepRatio: 0.25 } }, context: { scaleAware, classWeights: weights(classes) } },
    { title: 'scale-aware focal smoothing 0.1', spec: { name: 'focal', params: { gamma: 1.5, labelSmoothing: 0.1 } }, context: { scaleAware } },
    { title: 'boundary', spec: { name: 'boundary', params: {} } },
    { title: 'boundary with background', spec: { name: 'boundary', params: { includeBackground: true } } },
    { title: 'dice + boundary, rebalance, default progress', spec: { name: 'dice_boundary', params: {} } },
    { title: 'dice + boundary, rebalance, progress 0.3', spec: { name: 'dice_boundary', params: {} }, progress: 0.3 },
    { title: 'dice + boundary, rebalance floor, progress 0.95', spec: { name: 'dice_boundary', params: { alphaStart: 0.05, alphaEnd: 1.2, minDiceWeight: 0.2 } }, progress: 0.95 },
    { title: 'dice + boundary, increase, no background, batch', spec: { name: 'dice_boundary', params: { schedule: 'increase', includeBackground: false, batch: true, boundaryIncludeBackground: true } }, progress: 0.5 },
    { title: 'dice + boundary, constant', spec: { name: 'dice_boundary', params: { schedule: 'constant', alphaStart: 0.1 } }, progress: 0.7 },
    { title: 'scale-aware dice + boundary, progress 0.4', spec: { name: 'dice_boundary', params: {} }, context: { scaleAware }, progress: 0.4 },
    { title: 'hausdorff dt', spec: { name: 'hausdorff_dt', params: {} } },
    { title: 'hausdorff dt alpha 1 with background, batch', spec: { name: 'hausdorff_dt', params: { alpha: 1, includeBackground: true, batch: true } } },
    { title: 'scale-aware boundary', spec: { name: 'boundary', params: {} }, context: { scaleAware } },
    { title: 'scale-aware hausdorff dt', spec: { name: 'hausdorff_dt', params: {} }, context: { scaleAware } },
  ];
}
