/**
 * PyTorch snippets for a recipe. Two flavours:
 * - `monai`: MONAI losses (DiceLoss, DiceCELoss, FocalLoss(use_softmax=True), TverskyLoss,
 *   GeneralizedDiceLoss), fed softmax probabilities and a one-hot target zeroed at ignored pixels
 *   so they reproduce segloss's conventions exactly; torch for CE.
 * - `pytorch`: plain torch plus segmentation_models_pytorch (smp) for Dice/Jaccard/Tversky, with a
 *   comment wherever smp's convention differs from segloss's (smp sums over the batch and skips
 *   classes absent from it); plain torch for CE, softmax Focal (smp's is sigmoid one-vs-rest),
 *   Generalized Dice (not in smp), the article's stable log Dice and OHEM.
 */
import type { LossParamValue } from '../../contracts/losses.js';
import type { Recipe } from '../../contracts/recommendation.js';
import { resolvedLossParams } from '../recipe-summary.js';
import type { ExportSource } from './source.js';
import { pyBool, pyComment, pyFloat, pyValue } from './python.js';
import { constantLines, scheduleComment, snippetHeader } from './common.js';
import { torchDistanceLoss } from './boundary-code.js';

export type TorchFlavour = 'monai' | 'pytorch';

interface LossCode {
  imports: string[];
  helpers: string[];
  /** Module-level objects (loss modules). */
  setup: string[];
  /** Lines inside `def base_loss(logits, target):` ending in `return ...`. */
  body: string[];
  /** The loss depends on training progress (dice_boundary): compute_loss takes `progress`. */
  takesProgress?: boolean;
}

const PROBS_AND_ONEHOT = `def probs_and_onehot(logits, target):
    """Softmax probabilities and one-hot target (N, C, H, W), both zero at ignored pixels so those
    pixels drop out of every sum (this is how segloss applies the ignore index to overlap losses)."""
    valid = (target != IGNORE_INDEX).unsqueeze(1)
    safe = target.masked_fill(~valid.squeeze(1), 0)
    onehot = F.one_hot(safe, NUM_CLASSES).permute(0, 3, 1, 2).to(logits.dtype)
    return torch.softmax(logits, dim=1) * valid, onehot * valid`;

const STABLE_LOG_DICE = `def stable_log_dice_loss(probs, onehot, smooth=1e-6, clamp_min=0.01, include_background=True, batch=False):
    """The article's stable Dice: per image and class d = (2*sum(p*t) + smooth) / (sum(p) + sum(t) + smooth),
    loss = mean of -log(max(d, clamp_min)). The log tames the gradient when Dice is small; the clamp bounds it."""
    if not include_background:
        probs, onehot = probs[:, 1:], onehot[:, 1:]
    dims = (0, 2, 3) if batch else (2, 3)
    intersection = (probs * onehot).sum(dims)
    union = probs.sum(dims) + onehot.sum(dims)
    dice = (2 * intersection + smooth) / (union + smooth)
    return -torch.log(dice.clamp_min(max(clamp_min, 1e-12))).mean()`;

const SOFTMAX_FOCAL = `def softmax_focal_loss(logits, target, gamma, alpha=None, class_weights=None, label_smoothing=0.0):
    """segloss Focal (softmax form, MONAI FocalLoss(use_softmax=True) reduction): the sum over valid pixels
    and classes of -a_c * w_c * (1 - p)^gamma * t * log(p), divided by (valid pixels * classes);
    a_c = 1 - alpha for class 0 and alpha for the others. With label smoothing e the target is
    t = (1 - e) * onehot + e / NUM_CLASSES (Keras CategoricalFocalCrossentropy's convention).
    smp.losses.FocalLoss is sigmoid one-vs-rest per class instead, so it is written out here."""
    valid = (target != IGNORE_INDEX).unsqueeze(1)
    onehot = F.one_hot(target.masked_fill(~valid.squeeze(1), 0), NUM_CLASSES).permute(0, 3, 1, 2).to(logits.dtype) * valid
    onehot = onehot * (1 - label_smoothing) + (label_smoothing / NUM_CLASSES) * valid
    log_p = F.log_softmax(logits, dim=1)
    one_minus_p = (-torch.expm1(log_p)).clamp_min(1e-12)
    factors = torch.ones(NUM_CLASSES, device=logits.device, dtype=logits.dtype)
    if alpha is not None:
        factors = factors * torch.tensor([1 - alpha] + [alpha] * (NUM_CLASSES - 1), device=logits.device, dtype=logits.dtype)
    if class_weights is not None:
        factors = factors * class_weights.to(logits.device, logits.dtype)
    terms = -(one_minus_p ** gamma) * log_p * onehot * factors.view(1, -1, 1, 1)
    return terms.sum() / (valid.sum() * NUM_CLASSES).clamp_min(1)`;

const GENERALIZED_DICE = `def generalized_dice_loss(probs, onehot, w_type="square", include_background=True, batch=False, smooth_nr=1e-5, smooth_dr=1e-5):
    """Generalized Dice (Sudre et al. 2017, MONAI GeneralizedDiceLoss conventions): class weights
    w = 1/T^2 (square), 1/T (simple) or 1 (uniform) from the target sums T; a class absent from the
    image takes the image's largest finite weight."""
    if not include_background:
        probs, onehot = probs[:, 1:], onehot[:, 1:]
    dims = (0, 2, 3) if batch else (2, 3)
    intersection = (probs * onehot).sum(dims)
    pred, truth = probs.sum(dims), onehot.sum(dims)
    w = torch.ones_like(truth) if w_type == "uniform" else 1.0 / (truth * truth if w_type == "square" else truth)
    finite = torch.isfinite(w)
    w = torch.where(finite, w, torch.zeros_like(w))
    w = torch.where(finite, w, w.max(dim=-1, keepdim=True).values)
    f = 1 - (2 * (w * intersection).sum(-1) + smooth_nr) / ((w * (pred + truth)).sum(-1) + smooth_dr)
    return f.mean()`;

const OHEM = `def ohem_cross_entropy(logits, target, keep_ratio, label_smoothing=0.0, class_weights=None):
    """OHEM: cross-entropy over the ceil(keep_ratio * valid pixels) hardest valid pixels (ranked by
    unweighted per-pixel CE, outside the gradient), class-weighted mean over the kept pixels."""
    with torch.no_grad():
        hardness = F.cross_entropy(logits, target, ignore_index=IGNORE_INDEX, label_smoothing=label_smoothing, reduction="none")
        valid = target != IGNORE_INDEX
        k = max(1, math.ceil(keep_ratio * int(valid.sum()) - 1e-9))
        ranked = hardness.masked_fill(~valid, -1.0).flatten()
        keep = torch.zeros_like(ranked, dtype=torch.bool)
        keep[ranked.topk(min(k, ranked.numel())).indices] = True
        keep = keep.view_as(target) & valid
    weight = None if class_weights is None else class_weights.to(logits.device, logits.dtype)
    return F.cross_entropy(logits, target.masked_fill(~keep, IGNORE_INDEX), weight=weight, ignore_index=IGNORE_INDEX, label_smoothing=label_smoothing)`;

const FOCAL_TVERSKY_PLAIN = `def focal_tversky_loss(probs, onehot, alpha, beta, gamma, include_background=True, batch=False, smooth_nr=1e-5, smooth_dr=1e-5):
    """Focal Tversky (Abraham & Khan 2019): per image and class TI = (TP + smooth_nr) / (TP + alpha*FP + beta*FN + smooth_dr),
    loss = mean of (1 - TI)^gamma (gamma is the exponent itself)."""
    if not include_background:
        probs, onehot = probs[:, 1:], onehot[:, 1:]
    dims = (0, 2, 3) if batch else (2, 3)
    tp = (probs * onehot).sum(dims)
    fp = probs.sum(dims) - tp
    fn = onehot.sum(dims) - tp
    ti = (tp + smooth_nr) / (tp + alpha * fp + beta * fn + smooth_dr)
    return (1 - ti).clamp_min(1e-12).pow(gamma).mean()`;

function num(params: Record<string, LossParamValue>, name: string): string {
  return pyValue(params[name]);
}

function ceCall(labelSmoothing: LossParamValue, weighted: boolean): string {
  return `F.cross_entropy(logits, target, weight=${weighted ? 'CLASS_WEIGHTS.to(logits.device, logits.dtype)' : 'None'}, ignore_index=IGNORE_INDEX, label_smoothing=${pyValue(labelSmoothing)})`;
}

/** MONAI Dice-family keyword arguments shared by DiceLoss, TverskyLoss and GeneralizedDiceLoss. */
function monaiOverlapArgs(p: Record<string, LossParamValue>, extra: string[] = []): string {
  return [
    `include_background=${pyBool(Boolean(p.includeBackground))}`,
    'to_onehot_y=False',
    'softmax=False',
    ...extra,
    `batch=${pyBool(Boolean(p.batch))}`,
    `smooth_nr=${num(p, 'smoothNr')}`,
    `smooth_dr=${num(p, 'smoothDr')}`,
  ].join(', ');
}

function smpArgs(p: Record<string, LossParamValue>, extra: string[] = []): string {
  const classes = p.includeBackground ? 'None' : 'list(range(1, NUM_CLASSES))';
  return ['mode="multiclass"', `classes=${classes}`, 'from_logits=True', `smooth=${num(p, 'smoothNr')}`, 'ignore_index=IGNORE_INDEX', ...extra].join(', ');
}

function smpDiceNotes(p: Record<string, LossParamValue>): string[] {
  const notes = ['smp convention: Dice sums over the whole batch per class (segloss batch=True) and leaves out classes absent from the batch'];
  if (!p.batch) notes.push('segloss trained per-image Dice (batch=False): use --to monai for that exact form');
  if (p.squaredPred) notes.push('squaredPred=true has no smp equivalent (smp uses plain sums): use --to monai');
  if (p.smoothNr !== undefined && p.smoothNr !== p.smoothDr) notes.push(`smp has one smooth for both terms; segloss used smoothNr ${pyValue(p.smoothNr)}, smoothDr ${pyValue(p.smoothDr)}`);
  return notes.flatMap((text) => pyComment(text));
}

function diceTerm(p: Record<string, LossParamValue>, flavour: TorchFlavour, name: string): LossCode {
  if (flavour === 'monai') {
    return {
      imports: ['from monai.losses import DiceLoss'],
      helpers: [PROBS_AND_ONEHOT],
      setup: [`${name} = DiceLoss(${monaiOverlapArgs(p, [`squared_pred=${pyBool(Boolean(p.squaredPred))}`, `jaccard=${pyBool(Boolean(p.jaccard))}`])})`],
      body: [],
    };
  }
  const cls = p.jaccard ? 'JaccardLoss' : 'DiceLoss';
  return {
    imports: ['import segmentation_models_pytorch as smp'],
    helpers: [],
    setup: [...smpDiceNotes(p), `${name} = smp.losses.${cls}(${smpArgs(p)})`],
    body: [],
  };
}

function lossCode(recipe: Recipe, flavour: TorchFlavour, source: ExportSource): LossCode {
  const p = resolvedLossParams(recipe.loss);
  const weighted = recipe.classWeights !== null;
  const weightsArg = weighted ? 'CLASS_WEIGHTS' : 'None';
  switch (recipe.loss.name) {
    case 'ce':
      return { imports: [], helpers: [], setup: [], body: [`return ${ceCall(p.labelSmoothing, weighted)}`] };
    case 'focal': {
      const smoothing = Number(p.labelSmoothing ?? 0);
      if (flavour === 'monai') {
        return {
          imports: ['from monai.losses import FocalLoss'],
          helpers: [PROBS_AND_ONEHOT],
          setup: [
            ...pyComment('MONAI FocalLoss defaults to sigmoid: use_softmax=True gives segloss\'s softmax form. reduction="none" and the division below average over valid pixels only (MONAI\'s "mean" would count ignored pixels).'),
            `focal = FocalLoss(include_background=True, to_onehot_y=False, gamma=${num(p, 'gamma')}, alpha=${num(p, 'alpha')}, weight=${weightsArg}, use_softmax=True, reduction="none")`,
          ],
          body: [
            '_, onehot = probs_and_onehot(logits, target)',
            ...(smoothing > 0
              ? [
                  ...pyComment('MONAI FocalLoss has no label smoothing, but it weighs each class by its target value: a smoothed target (1 - e) * onehot + e / NUM_CLASSES at valid pixels gives segloss\'s (and Keras CategoricalFocalCrossentropy\'s) smoothed focal loss.'),
                  `label_smoothing = ${num(p, 'labelSmoothing')}`,
                  'valid = onehot.sum(dim=1, keepdim=True)',
                  'onehot = onehot * (1 - label_smoothing) + (label_smoothing / NUM_CLASSES) * valid',
                  'valid_pixels = valid.sum().clamp_min(1)',
                ]
              : ['valid_pixels = onehot.sum(dim=1).sum().clamp_min(1)']),
            'return focal(logits, onehot).sum() / (valid_pixels * NUM_CLASSES)',
          ],
        };
      }
      return {
        imports: [],
        helpers: [SOFTMAX_FOCAL],
        setup: [],
        body: [`return softmax_focal_loss(logits, target, gamma=${num(p, 'gamma')}, alpha=${num(p, 'alpha')}, class_weights=${weightsArg}, label_smoothing=${num(p, 'labelSmoothing')})`],
      };
    }
    case 'dice': {
      const dice = diceTerm(p, flavour, 'dice');
      return { ...dice, body: flavour === 'monai' ? ['probs, onehot = probs_and_onehot(logits, target)', 'return dice(probs, onehot)'] : ['return dice(logits, target)'] };
    }
    case 'stable_log_dice':
      return {
        imports: [],
        helpers: [PROBS_AND_ONEHOT, STABLE_LOG_DICE],
        setup: [],
        body: ['probs, onehot = probs_and_onehot(logits, target)', `return stable_log_dice_loss(probs, onehot, smooth=${num(p, 'smooth')}, clamp_min=${num(p, 'clampMin')})`],
      };
    case 'combo': {
      // OHEM on the CE term (ohemKeepRatio < 1): the same ohem_cross_entropy as the ohem_ce loss.
      const ohem = Number(p.ohemKeepRatio ?? 1) < 1;
      const ce = ohem
        ? `ohem_cross_entropy(logits, target, keep_ratio=${num(p, 'ohemKeepRatio')}, label_smoothing=${num(p, 'labelSmoothing')}, class_weights=${weightsArg})`
        : ceCall(p.labelSmoothing, weighted);
      const ceHelpers = ohem ? [OHEM] : [];
      const diceWeight = num(p, 'diceWeight');
      const ceWeight = num(p, 'ceWeight');
      if (p.diceForm === 'stable_log_dice') {
        return {
          imports: [],
          helpers: [PROBS_AND_ONEHOT, STABLE_LOG_DICE, ...ceHelpers],
          setup: [],
          body: [
            'probs, onehot = probs_and_onehot(logits, target)',
            `dice_term = stable_log_dice_loss(probs, onehot, include_background=${pyBool(Boolean(p.includeBackground))}, batch=${pyBool(Boolean(p.batch))})`,
            `return ${diceWeight} * dice_term + ${ceWeight} * ${ce}`,
          ],
        };
      }
      if (flavour === 'monai' && source.ignoreIndex === null && !weighted && !ohem) {
        return {
          imports: ['from monai.losses import DiceCELoss'],
          helpers: [],
          setup: [
            `combo = DiceCELoss(include_background=${pyBool(Boolean(p.includeBackground))}, to_onehot_y=True, softmax=True, squared_pred=${pyBool(Boolean(p.squaredPred))}, jaccard=${pyBool(Boolean(p.jaccard))}, batch=${pyBool(Boolean(p.batch))}, smooth_nr=${num(p, 'smoothNr')}, smooth_dr=${num(p, 'smoothDr')}, lambda_dice=${diceWeight}, lambda_ce=${ceWeight}, label_smoothing=${num(p, 'labelSmoothing')})`,
          ],
          body: ['return combo(logits, target.unsqueeze(1))'],
        };
      }
      const dice = diceTerm(p, flavour, 'dice');
      const why = flavour === 'monai'
        ? pyComment(`MONAI DiceCELoss(lambda_dice=${diceWeight}, lambda_ce=${ceWeight}) written out: DiceCELoss has no ignore_index${ohem ? ' and no OHEM' : ''}, and recent MONAI also applies its \`weight\` to the Dice term, while segloss weights only the CE term.`)
        : [];
      return {
        ...dice,
        helpers: [...dice.helpers, ...ceHelpers],
        setup: [...why, ...dice.setup],
        body: flavour === 'monai'
          ? ['probs, onehot = probs_and_onehot(logits, target)', `return ${diceWeight} * dice(probs, onehot) + ${ceWeight} * ${ce}`]
          : [`return ${diceWeight} * dice(logits, target) + ${ceWeight} * ${ce}`],
      };
    }
    case 'generalized_dice':
      if (flavour === 'monai') {
        return {
          imports: ['from monai.losses import GeneralizedDiceLoss'],
          helpers: [PROBS_AND_ONEHOT],
          setup: [`gdl = GeneralizedDiceLoss(${monaiOverlapArgs(p, [`w_type=${num(p, 'weightType')}`])})`],
          body: ['probs, onehot = probs_and_onehot(logits, target)', 'return gdl(probs, onehot)'],
        };
      }
      return {
        imports: [],
        helpers: [PROBS_AND_ONEHOT, GENERALIZED_DICE],
        setup: [],
        body: ['probs, onehot = probs_and_onehot(logits, target)', `return generalized_dice_loss(probs, onehot, w_type=${num(p, 'weightType')}, include_background=${pyBool(Boolean(p.includeBackground))}, batch=${pyBool(Boolean(p.batch))}, smooth_nr=${num(p, 'smoothNr')}, smooth_dr=${num(p, 'smoothDr')})`],
      };
    case 'tversky':
    case 'focal_tversky': {
      const focal = recipe.loss.name === 'focal_tversky';
      if (flavour === 'monai') {
        return {
          imports: ['from monai.losses import TverskyLoss'],
          helpers: [PROBS_AND_ONEHOT],
          setup: [
            ...(focal ? pyComment(`MONAI has no Focal Tversky: TverskyLoss(reduction="none") gives 1 - TI per image and class, raised to gamma=${num(p, 'gamma')} and averaged below.`) : []),
            `tversky = TverskyLoss(${monaiOverlapArgs(p, [`alpha=${num(p, 'alpha')}`, `beta=${num(p, 'beta')}`])}${focal ? ', reduction="none"' : ''})`,
          ],
          body: ['probs, onehot = probs_and_onehot(logits, target)', focal ? `return tversky(probs, onehot).clamp_min(1e-12).pow(${num(p, 'gamma')}).mean()` : 'return tversky(probs, onehot)'],
        };
      }
      if (focal) {
        return {
          imports: [],
          helpers: [PROBS_AND_ONEHOT, FOCAL_TVERSKY_PLAIN],
          setup: pyComment('smp.losses.TverskyLoss(gamma=...) raises the class-mean loss to gamma; segloss raises each class\'s (1 - TI) to gamma, so it is written out here.'),
          body: ['probs, onehot = probs_and_onehot(logits, target)', `return focal_tversky_loss(probs, onehot, alpha=${num(p, 'alpha')}, beta=${num(p, 'beta')}, gamma=${num(p, 'gamma')}, include_background=${pyBool(Boolean(p.includeBackground))}, batch=${pyBool(Boolean(p.batch))}, smooth_nr=${num(p, 'smoothNr')}, smooth_dr=${num(p, 'smoothDr')})`],
        };
      }
      return {
        imports: ['import segmentation_models_pytorch as smp'],
        helpers: [],
        setup: [...smpDiceNotes(p), `tversky = smp.losses.TverskyLoss(${smpArgs(p, [`alpha=${num(p, 'alpha')}`, `beta=${num(p, 'beta')}`, 'gamma=1.0'])})`],
        body: ['return tversky(logits, target)'],
      };
    }
    case 'ohem_ce':
      return { imports: [], helpers: [OHEM], setup: [], body: [`return ohem_cross_entropy(logits, target, keep_ratio=${num(p, 'keepRatio')}, label_smoothing=${num(p, 'labelSmoothing')}, class_weights=${weightsArg})`] };
    case 'boundary':
    case 'dice_boundary':
    case 'hausdorff_dt': {
      const monaiDice = diceTerm(p, 'monai', 'dice');
      return torchDistanceLoss(recipe.loss.name, p, flavour, { ...monaiDice, helpers: [...monaiDice.helpers, PROBS_AND_ONEHOT] });
    }
  }
}

const SCALE_AWARE = `def scale_aware_weights(target):
    """segloss scale-aware weighting: each image weighs BIN_WEIGHTS[bin] for the area bin (edges BIN_EDGES, px)
    of its smallest 8-connected foreground object, 1.0 for an image without foreground objects."""
    weights = []
    for mask in target.cpu().numpy():
        areas = []
        for class_id in range(1, NUM_CLASSES):
            labels, count = ndimage.label(mask == class_id, structure=np.ones((3, 3)))
            if count:
                areas.append(np.bincount(labels.ravel())[1:].min())
        if not areas:
            weights.append(1.0)
            continue
        smallest = min(areas)
        weights.append(BIN_WEIGHTS[next((i for i, edge in enumerate(BIN_EDGES) if smallest < edge), len(BIN_EDGES))])
    return torch.tensor(weights, device=target.device)`;

function optimizerLine(recipe: Recipe): string[] {
  const o = recipe.optimizer;
  if (o.name === 'sgd') {
    return [`return torch.optim.SGD(model.parameters(), lr=${pyFloat(o.lr)}, momentum=${pyFloat(o.momentum ?? 0)}, nesterov=${pyBool(o.nesterov)}, weight_decay=${pyFloat(o.weightDecay)})`];
  }
  const cls = o.name === 'adamw' ? 'AdamW' : 'Adam';
  const note = o.name === 'adam' && o.weightDecay > 0 ? pyComment('torch Adam adds weight_decay * w to the gradient (L2), as segloss did; AdamW would decouple it.') : [];
  return [...note, `return torch.optim.${cls}(model.parameters(), lr=${pyFloat(o.lr)}, weight_decay=${pyFloat(o.weightDecay)})`];
}

function schedulerLines(recipe: Recipe): string[] {
  const s = recipe.schedule;
  const decay = s.name === 'constant'
    ? ['        return 1.0']
    : [
        '        t = min(1.0, (step - warmup_steps) / decay_steps)',
        s.name === 'cosine'
          ? '        return MIN_LR_FACTOR + (1 - MIN_LR_FACTOR) * 0.5 * (1 + math.cos(math.pi * t))'
          : `        return MIN_LR_FACTOR + (1 - MIN_LR_FACTOR) * (1 - t) ** ${pyFloat(s.power ?? 0.9)}`,
      ];
  return [
    'def make_scheduler(optimizer, total_steps):',
    `    """${scheduleComment(recipe)} Call scheduler.step() once per optimiser step."""`,
    `    warmup_steps = min(total_steps, int(math.floor(${pyFloat(s.warmupFraction)} * total_steps + 0.5)))`,
    '    decay_steps = max(1, total_steps - warmup_steps)',
    '',
    '    def lr_factor(step):',
    '        if step < warmup_steps:',
    '            return (step + 1) / warmup_steps',
    ...decay,
    '',
    '    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)',
  ];
}

function indent(lines: string[], by = '    '): string[] {
  return lines.map((line) => (line ? `${by}${line}` : line));
}

export function torchSnippet(source: ExportSource, flavour: TorchFlavour): string {
  const { recipe } = source;
  const code = lossCode(recipe, flavour, source);
  const scale = recipe.scaleAware;
  const numpy = 'import numpy as np';
  const imports = ['import math', '', ...(scale || code.imports.includes(numpy) ? [numpy] : []), 'import torch', 'import torch.nn.functional as F', ...(scale ? ['from scipy import ndimage'] : []), ...new Set(code.imports.filter((line) => line !== numpy))];
  const constants = constantLines(source, {
    noIgnoreValue: -100,
    noIgnoreWhy: "no ignore index in the recipe: torch's default -100 ignores nothing",
    weights: (literal) => `torch.tensor(${literal})`,
  });
  const helpers = [...new Set(code.helpers), ...(scale ? [SCALE_AWARE] : [])];
  const lossName = scale ? 'base_loss' : 'compute_loss';
  const progress = code.takesProgress ? ', progress=1.0' : '';
  const lossFn = [`def ${lossName}(logits, target${progress}):`, `    """logits: (N, C, H, W) raw scores (no softmax); target: (N, H, W) int64 class indices."""`, ...indent(code.body)];
  const batchNote = scale && recipe.loss.params.batch === true
    ? pyComment('Each image is its own batch here, so batch=True has no effect: segloss\'s own losses refuse scale-aware weighting with batch=true (it needs a per-image loss).')
    : [];
  const scaled = scale
    ? [
        ...batchNote,
        `def compute_loss(logits, target${progress}):`,
        '    """Scale-aware: the per-image base loss weighted by scale_aware_weights, normalised by their sum."""',
        '    weights = scale_aware_weights(target)',
        `    per_image = torch.stack([base_loss(logits[i:i + 1], target[i:i + 1]${code.takesProgress ? ', progress' : ''}) for i in range(logits.shape[0])])`,
        '    return (weights * per_image).sum() / weights.sum()',
      ]
    : [];
  const clip = recipe.gradientClipNorm;
  const train = [
    `def train_step(model, images, masks, optimizer, scheduler${progress}):`,
    ...(code.takesProgress ? pyComment('progress = step / total_steps for this (0-based) step: the loss weights follow it.', '    ') : []),
    '    optimizer.zero_grad(set_to_none=True)',
    `    loss = compute_loss(model(images), masks${code.takesProgress ? ', progress' : ''})`,
    '    loss.backward()',
    clip === null ? '    # no gradient clipping in this recipe' : `    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=${pyFloat(clip)})`,
    '    optimizer.step()',
    '    scheduler.step()',
    '    return loss.detach()',
  ];
  const blocks = [
    snippetHeader(source, flavour === 'monai' ? 'PyTorch with MONAI losses (monai >= 1.3, torch >= 2.0)' : 'PyTorch with segmentation_models_pytorch (torch >= 2.0, smp >= 0.3)', [
      'Use: optimizer = make_optimizer(model); scheduler = make_scheduler(optimizer, total_steps);',
      code.takesProgress
        ? 'then train_step(model, images, masks, optimizer, scheduler, progress=step / total_steps) for each batch.'
        : 'then train_step(model, images, masks, optimizer, scheduler) for each batch.',
    ]),
    imports.join('\n'),
    constants.join('\n'),
    ...helpers,
    ...(code.setup.length ? [code.setup.join('\n')] : []),
    lossFn.join('\n'),
    ...(scale ? [scaled.join('\n')] : []),
    ['def make_optimizer(model):', ...indent(optimizerLine(recipe))].join('\n'),
    schedulerLines(recipe).join('\n'),
    train.join('\n'),
  ];
  return `${blocks.join('\n\n\n').replace(/\n{4,}/g, '\n\n\n')}\n`;
}
