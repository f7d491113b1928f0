/**
 * One entry per segloss loss: the Python that computes it in a torch snippet, for the `pytorch`
 * flavour (torch only, the blocks of torch-library.ts) and the `monai` flavour (MONAI's loss
 * modules where MONAI has the loss, with reduction="none" so that segloss's ignore-index
 * reductions apply; the same torch blocks for CE, OHEM and the stable log Dice). Each entry writes
 * the body of `def base_loss(logits, target)`; with `perImage` (scale-aware weighting) that body
 * returns one value per image instead of the batch loss, and batch statistics are off (segloss's
 * per-image losses ignore batch=true as well). A new loss is one more entry in LOSS_CODE.
 */
import type { LossName, LossParamValue } from '../../contracts/losses.js';
import { pyBool, pyComment, pyValue } from './python.js';
import {
  CROSS_ENTROPY,
  DICE_CLASS_LOSSES,
  DIVIDE_BY_COUNT,
  FOCAL,
  GENERALIZED_DICE,
  OHEM_CROSS_ENTROPY,
  ONE_HOT_TARGET,
  REDUCE_CLASS_LOSSES,
  STABLE_LOG_DICE_CLASS_LOSSES,
  TVERSKY_INDEX,
  type PyBlock,
} from './torch-library.js';

export type TorchFlavour = 'monai' | 'pytorch';

export interface LossCodeContext {
  flavour: TorchFlavour;
  /** One value per image (scale-aware weighting) instead of the batch loss. */
  perImage: boolean;
  /** `CLASS_WEIGHTS` or `None`. */
  weights: string;
  /** The recipe has an ignore index (MONAI's DiceCELoss can then not be used as it is). */
  hasIgnoreIndex: boolean;
}

export interface LossCode {
  imports: string[];
  blocks: PyBlock[];
  /** Module-level objects (MONAI loss modules), with their comments. */
  setup: string[];
  /** Lines of `def base_loss(logits, target):`, ending in `return ...`. */
  body: string[];
}

type Params = Record<string, LossParamValue>;

const num = (p: Params, name: string): string => pyValue(p[name]);
const flag = (p: Params, name: string): string => pyBool(Boolean(p[name]));

/** `, per_image=True` when the body returns per-image values, else nothing (the default False). */
const perImageArg = (c: LossCodeContext): string => (c.perImage ? ', per_image=True' : '');
/** batch statistics only for a batch loss: segloss's per-image forms always reduce per image. */
const batchOf = (p: Params, c: LossCodeContext): string => pyBool(Boolean(p.batch) && !c.perImage);

const ONE_HOT = 'onehot, valid = one_hot_target(logits, target)';
const PROBS = 'torch.softmax(logits, dim=1) * valid';

function reduceLine(expression: string, p: Params, c: LossCodeContext): string {
  return `reduce_class_losses(${expression}, valid, batch=${batchOf(p, c)}${perImageArg(c)})`;
}

/** MONAI Dice-family keyword arguments shared by DiceLoss, TverskyLoss and GeneralizedDiceLoss. */
function monaiOverlapArgs(p: Params, c: LossCodeContext, extra: string[] = []): string {
  return [
    `include_background=${flag(p, 'includeBackground')}`,
    'to_onehot_y=False',
    'softmax=False',
    ...extra,
    `batch=${batchOf(p, c)}`,
    `smooth_nr=${num(p, 'smoothNr')}`,
    `smooth_dr=${num(p, 'smoothDr')}`,
    'reduction="none"',
  ].join(', ');
}

/** A MONAI module's reduction="none" output as (N, C) per image and class, or (C,) with batch statistics. */
function monaiPerClass(call: string, p: Params, c: LossCodeContext): string {
  return Boolean(p.batch) && !c.perImage ? `${call}.reshape(-1)` : `${call}.reshape(logits.shape[0], -1)`;
}

const MONAI_REDUCTION_NOTE =
  'reduction="none" and reduce_class_losses below: MONAI\'s "mean" would also average images that are entirely IGNORE_INDEX (as 1 - smooth_nr / smooth_dr); segloss leaves them out.';

/** The soft Dice term (dice loss, combo's Dice term): per-class losses in `dice`. */
function diceClassLines(p: Params, c: LossCodeContext): { imports: string[]; blocks: PyBlock[]; setup: string[]; lines: string[] } {
  if (c.flavour === 'monai') {
    return {
      imports: ['from monai.losses import DiceLoss'],
      blocks: [ONE_HOT_TARGET, REDUCE_CLASS_LOSSES],
      setup: [...pyComment(MONAI_REDUCTION_NOTE), `dice_loss = DiceLoss(${monaiOverlapArgs(p, c, [`squared_pred=${flag(p, 'squaredPred')}`, `jaccard=${flag(p, 'jaccard')}`])})`],
      lines: [ONE_HOT, `dice = ${monaiPerClass(`dice_loss(${PROBS}, onehot)`, p, c)}`],
    };
  }
  return {
    imports: [],
    blocks: [ONE_HOT_TARGET, DICE_CLASS_LOSSES, REDUCE_CLASS_LOSSES],
    setup: [],
    lines: [
      ONE_HOT,
      `dice = dice_class_losses(logits, onehot, valid, include_background=${flag(p, 'includeBackground')}, squared_pred=${flag(p, 'squaredPred')}, jaccard=${flag(p, 'jaccard')}, batch=${batchOf(p, c)}, smooth_nr=${num(p, 'smoothNr')}, smooth_dr=${num(p, 'smoothDr')})`,
    ],
  };
}

function crossEntropyCall(p: Params, c: LossCodeContext, keepRatio: LossParamValue | null): { blocks: PyBlock[]; call: string } {
  if (keepRatio !== null) {
    return { blocks: [OHEM_CROSS_ENTROPY], call: `ohem_cross_entropy(logits, target, keep_ratio=${pyValue(keepRatio)}, label_smoothing=${num(p, 'labelSmoothing')}, class_weights=${c.weights}${perImageArg(c)})` };
  }
  return { blocks: [CROSS_ENTROPY], call: `cross_entropy_loss(logits, target, label_smoothing=${num(p, 'labelSmoothing')}, class_weights=${c.weights}${perImageArg(c)})` };
}

const plain = (blocks: PyBlock[], body: string[]): LossCode => ({ imports: [], blocks, setup: [], body });

function tverskyCode(p: Params, c: LossCodeContext, gamma: LossParamValue | null): LossCode {
  const focal = gamma !== null;
  const toLoss = (ti: string) => (focal ? `(1 - ${ti}).clamp_min(1e-12).pow(${pyValue(gamma)})` : `1 - ${ti}`);
  if (c.flavour === 'monai') {
    // TverskyLoss(reduction="none") gives 1 - TI per image and class.
    const loss = monaiPerClass(`tversky_loss(${PROBS}, onehot)`, p, c);
    return {
      imports: ['from monai.losses import TverskyLoss'],
      blocks: [ONE_HOT_TARGET, REDUCE_CLASS_LOSSES],
      setup: [
        ...pyComment(MONAI_REDUCTION_NOTE),
        ...(focal ? pyComment(`MONAI has no Focal Tversky: TverskyLoss gives 1 - TI per image and class, floored at 1e-12 and raised to gamma=${pyValue(gamma)} below.`) : []),
        `tversky_loss = TverskyLoss(${monaiOverlapArgs(p, c, [`alpha=${num(p, 'alpha')}`, `beta=${num(p, 'beta')}`])})`,
      ],
      body: [ONE_HOT, `per_class = ${focal ? `${loss}.clamp_min(1e-12).pow(${pyValue(gamma)})` : loss}`, `return ${reduceLine('per_class', p, c)}`],
    };
  }
  return plain([ONE_HOT_TARGET, TVERSKY_INDEX, REDUCE_CLASS_LOSSES], [
    ONE_HOT,
    `ti = tversky_index(logits, onehot, valid, alpha=${num(p, 'alpha')}, beta=${num(p, 'beta')}, include_background=${flag(p, 'includeBackground')}, batch=${batchOf(p, c)}, smooth_nr=${num(p, 'smoothNr')}, smooth_dr=${num(p, 'smoothDr')})`,
    ...(focal ? pyComment('Focal Tversky (Abraham & Khan 2019): gamma is the exponent itself.') : []),
    `return ${reduceLine(toLoss('ti'), p, c)}`,
  ]);
}

type LossCodeBuilder = (p: Params, c: LossCodeContext) => LossCode;

export const LOSS_CODE: Record<LossName, LossCodeBuilder> = {
  ce: (p, c) => {
    const ce = crossEntropyCall(p, c, null);
    return plain(ce.blocks, [`return ${ce.call}`]);
  },

  ohem_ce: (p, c) => {
    const ce = crossEntropyCall(p, c, p.keepRatio);
    return plain(ce.blocks, [`return ${ce.call}`]);
  },

  focal: (p, c) => {
    if (c.flavour === 'pytorch') {
      return plain([FOCAL], [`return focal_loss(logits, target, gamma=${num(p, 'gamma')}, alpha=${num(p, 'alpha')}, class_weights=${c.weights}, label_smoothing=${num(p, 'labelSmoothing')}${perImageArg(c)})`]);
    }
    const smoothing = Number(p.labelSmoothing ?? 0);
    return {
      imports: ['from monai.losses import FocalLoss'],
      blocks: [ONE_HOT_TARGET, DIVIDE_BY_COUNT],
      setup: [
        ...pyComment('MONAI FocalLoss defaults to sigmoid: use_softmax=True gives segloss\'s softmax form. reduction="none" and the division below average over valid pixels only (MONAI\'s "mean" would count ignored pixels).'),
        `focal_loss = FocalLoss(include_background=True, to_onehot_y=False, gamma=${num(p, 'gamma')}, alpha=${num(p, 'alpha')}, weight=${c.weights}, use_softmax=True, reduction="none")`,
      ],
      body: [
        ONE_HOT,
        ...(smoothing > 0
          ? [
              ...pyComment('MONAI FocalLoss has no label smoothing, but it weighs each class by its target value: a smoothed target (1 - e) * onehot + e / NUM_CLASSES at valid pixels gives segloss\'s (and Keras CategoricalFocalCrossentropy\'s) smoothed focal loss.'),
              `label_smoothing = ${num(p, 'labelSmoothing')}`,
              'onehot = onehot * (1 - label_smoothing) + (label_smoothing / NUM_CLASSES) * valid',
            ]
          : []),
        `dims = ${c.perImage ? '(1, 2, 3)' : '(0, 1, 2, 3)'}`,
        'return divide_by_count(focal_loss(logits, onehot).sum(dims), valid.sum(dims) * NUM_CLASSES)',
      ],
    };
  },

  dice: (p, c) => {
    const dice = diceClassLines(p, c);
    return { imports: dice.imports, blocks: dice.blocks, setup: dice.setup, body: [...dice.lines, `return ${reduceLine('dice', p, c)}`] };
  },

  stable_log_dice: (p, c) =>
    plain([ONE_HOT_TARGET, STABLE_LOG_DICE_CLASS_LOSSES, REDUCE_CLASS_LOSSES], [
      ONE_HOT,
      `per_class = stable_log_dice_class_losses(logits, onehot, valid, smooth=${num(p, 'smooth')}, clamp_min=${num(p, 'clampMin')})`,
      `return ${reduceLine('per_class', { batch: false }, c)}`,
    ]),

  combo: (p, c) => {
    const ohem = Number(p.ohemKeepRatio ?? 1) < 1;
    const ce = crossEntropyCall(p, c, ohem ? p.ohemKeepRatio : null);
    const diceWeight = num(p, 'diceWeight');
    const ceWeight = num(p, 'ceWeight');
    if (p.diceForm === 'stable_log_dice') {
      return plain([ONE_HOT_TARGET, STABLE_LOG_DICE_CLASS_LOSSES, REDUCE_CLASS_LOSSES, ...ce.blocks], [
        ONE_HOT,
        `dice = stable_log_dice_class_losses(logits, onehot, valid, include_background=${flag(p, 'includeBackground')}, batch=${batchOf(p, c)})`,
        `return ${diceWeight} * ${reduceLine('dice', p, c)} + ${ceWeight} * ${ce.call}`,
      ]);
    }
    if (c.flavour === 'monai' && !c.hasIgnoreIndex && c.weights === 'None' && !ohem && !c.perImage) {
      return {
        imports: ['from monai.losses import DiceCELoss'],
        blocks: [],
        setup: [
          `combo_loss = DiceCELoss(include_background=${flag(p, 'includeBackground')}, to_onehot_y=True, softmax=True, squared_pred=${flag(p, 'squaredPred')}, jaccard=${flag(p, 'jaccard')}, batch=${flag(p, 'batch')}, smooth_nr=${num(p, 'smoothNr')}, smooth_dr=${num(p, 'smoothDr')}, lambda_dice=${diceWeight}, lambda_ce=${ceWeight}, label_smoothing=${num(p, 'labelSmoothing')})`,
        ],
        body: ['return combo_loss(logits, target.unsqueeze(1))'],
      };
    }
    const dice = diceClassLines(p, c);
    const why = c.flavour === 'monai'
      ? pyComment(`MONAI DiceCELoss(lambda_dice=${diceWeight}, lambda_ce=${ceWeight}) written out: DiceCELoss has no ignore_index${ohem ? ' and no OHEM' : ''}, and recent MONAI also applies its \`weight\` to the Dice term, while segloss weights only the CE term.`)
      : [];
    return {
      imports: dice.imports,
      blocks: [...dice.blocks, ...ce.blocks],
      setup: [...why, ...dice.setup],
      body: [...dice.lines, `return ${diceWeight} * ${reduceLine('dice', p, c)} + ${ceWeight} * ${ce.call}`],
    };
  },

  generalized_dice: (p, c) => {
    if (c.flavour === 'monai') {
      return {
        imports: ['from monai.losses import GeneralizedDiceLoss'],
        blocks: [ONE_HOT_TARGET, REDUCE_CLASS_LOSSES],
        setup: [...pyComment(MONAI_REDUCTION_NOTE), `generalized_dice_loss = GeneralizedDiceLoss(${monaiOverlapArgs(p, c, [`w_type=${num(p, 'weightType')}`])})`],
        body: [ONE_HOT, `per_image = ${monaiPerClass(`generalized_dice_loss(${PROBS}, onehot)`, p, c)}`, `return ${reduceLine('per_image', p, c)}`],
      };
    }
    return plain([ONE_HOT_TARGET, GENERALIZED_DICE, REDUCE_CLASS_LOSSES], [
      ONE_HOT,
      `values = generalized_dice_values(logits, onehot, valid, w_type=${num(p, 'weightType')}, include_background=${flag(p, 'includeBackground')}, batch=${batchOf(p, c)}, smooth_nr=${num(p, 'smoothNr')}, smooth_dr=${num(p, 'smoothDr')})`,
      `return ${reduceLine('values', p, c)}`,
    ]);
  },

  tversky: (p, c) => tverskyCode(p, c, null),

  focal_tversky: (p, c) => tverskyCode(p, c, p.gamma),
};
