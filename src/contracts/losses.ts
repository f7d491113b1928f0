/**
 * The loss names and parameters a recipe may use. rules/ validates rule files against this
 * catalogue and losses/ implements exactly these; neither reaches into the other.
 * Defaults follow MONAI (`monai/losses`) unless the note says otherwise.
 */
export type LossName =
  | 'ce'
  | 'focal'
  | 'dice'
  | 'stable_log_dice'
  | 'combo'
  | 'generalized_dice'
  | 'tversky'
  | 'focal_tversky'
  | 'ohem_ce'
  | 'boundary'
  | 'dice_boundary'
  | 'hausdorff_dt';

export type LossParamValue = number | boolean | string | null;

export interface LossParamSpec {
  type: 'number' | 'boolean' | 'enum';
  default: LossParamValue;
  /** Inclusive range for numbers. */
  min?: number;
  max?: number;
  /** When true, `min` itself is not allowed (the range is (min, max]). */
  exclusiveMin?: boolean;
  /** Allowed values for enums. */
  values?: string[];
  nullable?: boolean;
  description: string;
}

const diceConventions = {
  includeBackground: { type: 'boolean', default: true, description: 'Count class 0 in the mean (MONAI include_background).' },
  squaredPred: { type: 'boolean', default: false, description: 'Square p and t in the denominator (MONAI squared_pred).' },
  jaccard: { type: 'boolean', default: false, description: 'Soft Jaccard denominator 2*(sum p + sum t - I) (MONAI jaccard).' },
  batch: { type: 'boolean', default: false, description: 'Sum over the whole batch per class before the ratio (MONAI batch).' },
  smoothNr: { type: 'number', default: 1e-5, min: 0, description: 'Added to the numerator (MONAI smooth_nr).' },
  smoothDr: { type: 'number', default: 1e-5, min: 0, description: 'Added to the denominator (MONAI smooth_dr).' },
} satisfies Record<string, LossParamSpec>;

export const LOSS_CATALOGUE: Record<LossName, { title: string; params: Record<string, LossParamSpec> }> = {
  ce: {
    title: 'Cross-entropy',
    params: {
      labelSmoothing: { type: 'number', default: 0, min: 0, max: 1, description: 'Target = (1-e)*onehot + e/C (torch label_smoothing).' },
    },
  },
  focal: {
    title: 'Focal',
    params: {
      gamma: { type: 'number', default: 2, min: 0, description: 'Focusing exponent on (1-p).' },
      alpha: { type: 'number', default: null, min: 0, max: 1, nullable: true, description: 'Weight 1-alpha on class 0 and alpha on the others; null = none.' },
      labelSmoothing: {
        type: 'number',
        default: 0,
        min: 0,
        max: 1,
        description:
          'Target q = (1-e)*onehot + e/C; each class c adds -a_c*w_c*q_c*(1-p_c)^gamma*log p_c (Keras CategoricalFocalCrossentropy label_smoothing). 0 = the plain focal loss.',
      },
    },
  },
  dice: { title: 'Soft Dice', params: { ...diceConventions } },
  stable_log_dice: {
    title: 'Stable log Dice (the article)',
    params: {
      smooth: { type: 'number', default: 1e-6, min: 0, description: 'Added to numerator and denominator.' },
      clampMin: { type: 'number', default: 0.01, min: 0, max: 1, description: 'Dice is clamped below at this before -log.' },
    },
  },
  combo: {
    title: 'Combo (Dice + CE)',
    params: {
      diceWeight: { type: 'number', default: 1, min: 0, description: 'Weight of the Dice term (the article: 0.7; MONAI DiceCE lambda_dice: 1).' },
      ceWeight: { type: 'number', default: 1, min: 0, description: 'Weight of the CE term (the article: 0.3; MONAI DiceCE lambda_ce: 1).' },
      diceForm: { type: 'enum', default: 'dice', values: ['dice', 'stable_log_dice'], description: 'Which Dice term.' },
      labelSmoothing: { type: 'number', default: 0, min: 0, max: 1, description: 'Label smoothing of the CE term.' },
      ohemKeepRatio: {
        type: 'number',
        default: 1,
        min: 0,
        exclusiveMin: true,
        max: 1,
        description: 'OHEM on the CE term: only the ceil(r * valid) hardest valid pixels count, as in ohem_ce (the article: 0.25). 1 = every pixel (off).',
      },
      ...diceConventions,
    },
  },
  generalized_dice: {
    title: 'Generalized Dice',
    params: {
      weightType: { type: 'enum', default: 'square', values: ['square', 'simple', 'uniform'], description: 'w = 1/(sum t)^2, 1/sum t, or 1 (MONAI w_type).' },
      includeBackground: diceConventions.includeBackground,
      batch: diceConventions.batch,
      smoothNr: diceConventions.smoothNr,
      smoothDr: diceConventions.smoothDr,
    },
  },
  tversky: {
    title: 'Tversky',
    params: {
      alpha: { type: 'number', default: 0.5, min: 0, max: 1, description: 'Weight of false positives (MONAI alpha).' },
      beta: { type: 'number', default: 0.5, min: 0, max: 1, description: 'Weight of false negatives (MONAI beta).' },
      includeBackground: diceConventions.includeBackground,
      batch: diceConventions.batch,
      smoothNr: diceConventions.smoothNr,
      smoothDr: diceConventions.smoothDr,
    },
  },
  focal_tversky: {
    title: 'Focal Tversky',
    params: {
      alpha: { type: 'number', default: 0.3, min: 0, max: 1, description: 'Weight of false positives (Abraham & Khan 2019: 0.3).' },
      beta: { type: 'number', default: 0.7, min: 0, max: 1, description: 'Weight of false negatives (Abraham & Khan 2019: 0.7).' },
      gamma: { type: 'number', default: 0.75, min: 0, description: 'Exponent on (1 - TI) (Abraham & Khan 2019: 1/gamma = 0.75).' },
      includeBackground: diceConventions.includeBackground,
      batch: diceConventions.batch,
      smoothNr: diceConventions.smoothNr,
      smoothDr: diceConventions.smoothDr,
    },
  },
  ohem_ce: {
    title: 'OHEM cross-entropy',
    params: {
      keepRatio: { type: 'number', default: 0.25, min: 0, exclusiveMin: true, max: 1, description: 'Share of the hardest valid pixels kept (rounded up, at least 1).' },
      labelSmoothing: { type: 'number', default: 0, min: 0, max: 1, description: 'Label smoothing of the CE term.' },
    },
  },
  boundary: {
    title: 'Boundary loss (Kervadec et al.)',
    params: {
      includeBackground: {
        type: 'boolean',
        default: false,
        description: 'Include class 0 in the classes averaged (the reference idc: [1] in the paper\'s binary tasks, every class for ACDC).',
      },
    },
  },
  dice_boundary: {
    title: 'Dice + boundary loss, scheduled (Kervadec et al.)',
    params: {
      schedule: {
        type: 'enum',
        default: 'rebalance',
        values: ['rebalance', 'increase', 'constant'],
        description:
          'rebalance: max(minDiceWeight, 1 - a) * Dice + a * Boundary (the paper\'s choice); increase: Dice + a * Boundary; constant: Dice + alphaStart * Boundary. a rises linearly with training progress (step / total steps) from alphaStart to alphaEnd.',
      },
      alphaStart: { type: 'number', default: 0.01, min: 0, description: 'Boundary weight at the start of training (the paper: 0.01).' },
      alphaEnd: {
        type: 'number',
        default: 1,
        min: 0,
        description: 'Boundary weight at the end of training (the paper adds 0.01 per epoch: 0.01 -> 1 over its ~100-epoch runs).',
      },
      minDiceWeight: {
        type: 'number',
        default: 0.1,
        min: 0,
        max: 1,
        description: 'Floor of the Dice weight under rebalance (the authors\' StealWeight scheduler: 0.1).',
      },
      boundaryIncludeBackground: { type: 'boolean', default: false, description: 'Include class 0 in the boundary term (the reference idc: [1] in the binary tasks).' },
      ...diceConventions,
    },
  },
  hausdorff_dt: {
    title: 'Hausdorff distance-transform loss (MONAI HausdorffDTLoss)',
    params: {
      alpha: { type: 'number', default: 2, min: 0, description: 'Exponent of the distance fields (MONAI alpha).' },
      includeBackground: { type: 'boolean', default: false, description: 'Include class 0 (MONAI include_background, default False).' },
      batch: { type: 'boolean', default: false, description: 'Average each class over the whole batch before the class mean (MONAI batch).' },
    },
  },
};

export const LOSS_NAMES = Object.keys(LOSS_CATALOGUE) as LossName[];

/** A loss with its parameters, as a recipe states it. Missing params take the catalogue default. */
export interface LossSpec {
  name: LossName;
  params: Record<string, LossParamValue>;
}

/**
 * Per-sample scale-aware weighting (the article's ScaleAwareLoss): each image's base loss is
 * multiplied by the weight of an object-area bin. `binEdges` are the bin upper edges in pixels
 * (strictly increasing, exclusive); `binWeights` has binEdges.length + 1 entries, smallest-area
 * bin first (the last bin holds areas >= the last edge). An image takes the weight of the bin of
 * its smallest foreground object (8-connected, per class); images without objects weigh 1; the
 * batch loss is the weighted mean over images. See src/losses/scale-aware.ts.
 */
export interface ScaleAwareWeighting {
  binEdges: number[];
  binWeights: number[];
}

/** Everything a loss needs besides logits and labels. */
export interface LossContext {
  numClasses: number;
  ignoreIndex: number | null;
  /** Per-class weights for the CE terms (length numClasses), or null for none. */
  classWeights: number[] | null;
  scaleAware: ScaleAwareWeighting | null;
}
