/**
 * Keras (TensorFlow 2) snippet for a recipe. tf.keras has no multi-class Dice/Tversky/Focal with
 * segloss's conventions, class weights and an ignore index together, so every loss is a small
 * function of (y_true, y_pred) with y_pred the logits (N, H, W, C), channels last.
 */
import type { LossParamValue } from '../../contracts/losses.js';
import type { Recipe } from '../../contracts/recommendation.js';
import { resolvedLossParams } from '../recipe-summary.js';
import { constantLines, scheduleComment, snippetHeader } from './common.js';
import type { ExportSource } from './source.js';
import { pyBool, pyComment, pyFloat, pyValue } from './python.js';
import { SCALE_AWARE_WEIGHTS, SMALLEST_OBJECT_AREAS } from './scale-aware-py.js';

const PREPARE = `def prepare(y_true, logits):
    """Softmax probabilities and one-hot target (N, H, W, C), both zero at ignored pixels, and the valid mask (N, H, W)."""
    target = tf.cast(y_true, tf.int32)
    if target.shape.rank == 4:
        target = tf.squeeze(target, -1)
    valid = tf.cast(tf.not_equal(target, IGNORE_INDEX), logits.dtype)
    onehot = tf.one_hot(tf.where(tf.equal(target, IGNORE_INDEX), 0, target), NUM_CLASSES, dtype=logits.dtype) * valid[..., None]
    return tf.nn.softmax(logits, axis=-1) * valid[..., None], onehot, valid`;

const CROSS_ENTROPY = `def cross_entropy(logits, onehot, valid, label_smoothing=0.0, class_weights=None):
    """torch.nn.functional.cross_entropy semantics: target (1-e)*onehot + e/C, class-weighted mean over valid
    pixels (divided by the sum of the true classes' weights). tf.keras's SparseCategoricalCrossentropy has
    ignore_class but neither class weights nor label smoothing, hence this function."""
    log_p = tf.nn.log_softmax(logits, axis=-1)
    w = tf.ones([NUM_CLASSES], logits.dtype) if class_weights is None else tf.cast(class_weights, logits.dtype)
    nll = -tf.reduce_sum(onehot * w * log_p, -1)
    smooth = -tf.reduce_sum(w * log_p, -1) * valid
    loss = (1.0 - label_smoothing) * nll + (label_smoothing / NUM_CLASSES) * smooth
    return tf.math.divide_no_nan(tf.reduce_sum(loss), tf.reduce_sum(onehot * w))`;

const FOCAL = `def focal_loss(logits, onehot, valid, gamma, alpha=None, class_weights=None, label_smoothing=0.0):
    """Softmax focal loss (MONAI FocalLoss(use_softmax=True) reduction): sum of -a_c w_c (1-p)^gamma t log p
    over valid pixels and classes / (valid pixels * C); a_c = 1 - alpha for class 0, alpha for the others.
    Label smoothing e: t = (1-e)*onehot + e/C, as tf.keras.losses.CategoricalFocalCrossentropy(label_smoothing=e)
    smooths y_true (that class has no ignore index, class weights or per-class alpha, hence this function)."""
    onehot = onehot * (1.0 - label_smoothing) + (label_smoothing / NUM_CLASSES) * valid[..., None]
    log_p = tf.nn.log_softmax(logits, axis=-1)
    one_minus_p = tf.maximum(-tf.math.expm1(log_p), 1e-12)
    factors = tf.ones([NUM_CLASSES], logits.dtype)
    if alpha is not None:
        factors = factors * tf.constant([1.0 - alpha] + [alpha] * (NUM_CLASSES - 1), logits.dtype)
    if class_weights is not None:
        factors = factors * tf.cast(class_weights, logits.dtype)
    terms = -tf.pow(one_minus_p, gamma) * log_p * onehot * factors
    return tf.math.divide_no_nan(tf.reduce_sum(terms), tf.reduce_sum(valid) * NUM_CLASSES)`;

const REDUCE = `def reduce_class_losses(per_class, valid, batch=False):
    """Per-class losses to the loss: (C,) from batch sums: the class mean, 0 when the batch has no valid pixel;
    (N, C): the class mean of each image, then the mean over the images that have a valid pixel (an image
    that is all IGNORE_INDEX counts in no mean), 0 when none has one."""
    if batch:
        return tf.reduce_mean(per_class) * tf.cast(tf.reduce_sum(valid) > 0, per_class.dtype)
    has_valid = tf.cast(tf.reduce_sum(valid, [1, 2]) > 0, per_class.dtype)
    return tf.math.divide_no_nan(tf.reduce_sum(tf.reduce_mean(per_class, -1) * has_valid), tf.reduce_sum(has_valid))`;

const OVERLAP = `def overlap(probs, onehot, include_background, batch):
    """Per image and class (or per class over the batch): intersection, sum of p, sum of t."""
    if not include_background:
        probs, onehot = probs[..., 1:], onehot[..., 1:]
    axes = [0, 1, 2] if batch else [1, 2]
    return tf.reduce_sum(probs * onehot, axes), tf.reduce_sum(probs, axes), tf.reduce_sum(onehot, axes), probs, axes`;

const DICE = `def dice_loss(probs, onehot, valid, include_background=True, squared_pred=False, jaccard=False, batch=False, smooth_nr=1e-5, smooth_dr=1e-5):
    """Soft Dice with MONAI DiceLoss conventions: 1 - (2I + smooth_nr) / (den + smooth_dr) per image and class, averaged."""
    inter, pred, truth, kept_probs, axes = overlap(probs, onehot, include_background, batch)
    if squared_pred:
        pred = tf.reduce_sum(tf.square(kept_probs), axes)
    den = 2.0 * (pred + truth - inter) if jaccard else pred + truth
    return reduce_class_losses(1.0 - (2.0 * inter + smooth_nr) / tf.maximum(den + smooth_dr, 1e-12), valid, batch)`;

const STABLE_LOG_DICE = `def stable_log_dice_loss(probs, onehot, valid, smooth=1e-6, clamp_min=0.01, include_background=True, batch=False):
    """The article's stable Dice: mean of -log(max(d, clamp_min)), d = (2I + smooth) / (sum p + sum t + smooth) per image and class."""
    inter, pred, truth, _, _ = overlap(probs, onehot, include_background, batch)
    dice = (2.0 * inter + smooth) / tf.maximum(pred + truth + smooth, 1e-12)
    return reduce_class_losses(-tf.math.log(tf.maximum(dice, max(clamp_min, 1e-12))), valid, batch)`;

const TVERSKY = `def tversky_index(probs, onehot, alpha, beta, include_background=True, batch=False, smooth_nr=1e-5, smooth_dr=1e-5):
    """TI = (TP + smooth_nr) / (TP + alpha*FP + beta*FN + smooth_dr) per image and class (MONAI TverskyLoss)."""
    tp, pred, truth, _, _ = overlap(probs, onehot, include_background, batch)
    return (tp + smooth_nr) / tf.maximum(tp + alpha * (pred - tp) + beta * (truth - tp) + smooth_dr, 1e-12)`;

const GENERALIZED_DICE = `def generalized_dice_loss(probs, onehot, valid, w_type="square", include_background=True, batch=False, smooth_nr=1e-5, smooth_dr=1e-5):
    """Generalized Dice (MONAI conventions): w = 1/T^2, 1/T or 1; a class absent from an image takes that image's largest finite weight."""
    inter, pred, truth, _, _ = overlap(probs, onehot, include_background, batch)
    if w_type == "uniform":
        w = tf.ones_like(truth)
    else:
        w = tf.math.reciprocal(tf.square(truth) if w_type == "square" else truth)
    finite = tf.math.is_finite(w)
    w = tf.where(finite, w, tf.zeros_like(w))
    w = tf.where(finite, w, tf.reduce_max(w, axis=-1, keepdims=True))
    f = 1.0 - (2.0 * tf.reduce_sum(w * inter, -1) + smooth_nr) / tf.maximum(tf.reduce_sum(w * (pred + truth), -1) + smooth_dr, 1e-12)
    return reduce_class_losses(f[..., None], valid, batch)`;

const OHEM = `def ohem_cross_entropy(logits, onehot, valid, keep_ratio, label_smoothing=0.0, class_weights=None):
    """OHEM: cross-entropy over the ceil(keep_ratio * valid pixels) hardest valid pixels, ranked by unweighted CE outside the gradient."""
    log_p = tf.nn.log_softmax(logits, axis=-1)
    hardness = tf.stop_gradient(-tf.reduce_sum(((1.0 - label_smoothing) * onehot + label_smoothing / NUM_CLASSES) * log_p, -1))
    flat = tf.reshape(tf.where(valid > 0, hardness, -tf.ones_like(hardness)), [-1])
    k = tf.maximum(1, tf.cast(tf.math.ceil(keep_ratio * tf.reduce_sum(valid) - 1e-9), tf.int32))
    _, indices = tf.math.top_k(flat, k=tf.minimum(k, tf.size(flat)))
    keep = tf.reshape(tf.scatter_nd(indices[:, None], tf.ones_like(indices, logits.dtype), tf.shape(flat)), tf.shape(valid)) * valid
    return cross_entropy(logits, onehot * keep[..., None], keep, label_smoothing, class_weights)`;

function num(p: Record<string, LossParamValue>, name: string): string {
  return pyValue(p[name]);
}

function lossCode(recipe: Recipe): { helpers: string[]; body: string[] } {
  const p = resolvedLossParams(recipe.loss);
  const weights = recipe.classWeights ? 'CLASS_WEIGHTS' : 'None';
  const bg = `include_background=${pyBool(Boolean(p.includeBackground))}, batch=${pyBool(Boolean(p.batch))}`;
  const smooth = `smooth_nr=${num(p, 'smoothNr')}, smooth_dr=${num(p, 'smoothDr')}`;
  const ce = `cross_entropy(logits, onehot, valid, label_smoothing=${num(p, 'labelSmoothing')}, class_weights=${weights})`;
  switch (recipe.loss.name) {
    case 'ce':
      return { helpers: [CROSS_ENTROPY], body: [`return ${ce}`] };
    case 'focal':
      return { helpers: [FOCAL], body: [`return focal_loss(logits, onehot, valid, gamma=${num(p, 'gamma')}, alpha=${num(p, 'alpha')}, class_weights=${weights}, label_smoothing=${num(p, 'labelSmoothing')})`] };
    case 'dice':
      return { helpers: [OVERLAP, DICE], body: [`return dice_loss(probs, onehot, valid, ${bg}, squared_pred=${pyBool(Boolean(p.squaredPred))}, jaccard=${pyBool(Boolean(p.jaccard))}, ${smooth})`] };
    case 'stable_log_dice':
      return { helpers: [OVERLAP, STABLE_LOG_DICE], body: [`return stable_log_dice_loss(probs, onehot, valid, smooth=${num(p, 'smooth')}, clamp_min=${num(p, 'clampMin')})`] };
    case 'combo': {
      const dice = p.diceForm === 'stable_log_dice'
        ? { helpers: [OVERLAP, STABLE_LOG_DICE], call: `stable_log_dice_loss(probs, onehot, valid, ${bg})` }
        : { helpers: [OVERLAP, DICE], call: `dice_loss(probs, onehot, valid, ${bg}, squared_pred=${pyBool(Boolean(p.squaredPred))}, jaccard=${pyBool(Boolean(p.jaccard))}, ${smooth})` };
      // OHEM on the CE term (ohemKeepRatio < 1): the same ohem_cross_entropy as the ohem_ce loss.
      const ohem = Number(p.ohemKeepRatio ?? 1) < 1;
      const ceTerm = ohem
        ? `ohem_cross_entropy(logits, onehot, valid, keep_ratio=${num(p, 'ohemKeepRatio')}, label_smoothing=${num(p, 'labelSmoothing')}, class_weights=${weights})`
        : ce;
      return { helpers: [CROSS_ENTROPY, ...(ohem ? [OHEM] : []), ...dice.helpers], body: [`return ${num(p, 'diceWeight')} * ${dice.call} + ${num(p, 'ceWeight')} * ${ceTerm}`] };
    }
    case 'generalized_dice':
      return { helpers: [OVERLAP, GENERALIZED_DICE], body: [`return generalized_dice_loss(probs, onehot, valid, w_type=${num(p, 'weightType')}, ${bg}, ${smooth})`] };
    case 'tversky':
      return { helpers: [OVERLAP, TVERSKY], body: [`return reduce_class_losses(1.0 - tversky_index(probs, onehot, alpha=${num(p, 'alpha')}, beta=${num(p, 'beta')}, ${bg}, ${smooth}), valid, batch=${pyBool(Boolean(p.batch))})`] };
    case 'focal_tversky':
      return { helpers: [OVERLAP, TVERSKY], body: [`ti = tversky_index(probs, onehot, alpha=${num(p, 'alpha')}, beta=${num(p, 'beta')}, ${bg}, ${smooth})`, `return reduce_class_losses(tf.pow(tf.maximum(1.0 - ti, 1e-12), ${num(p, 'gamma')}), valid, batch=${pyBool(Boolean(p.batch))})`] };
    case 'ohem_ce':
      return { helpers: [CROSS_ENTROPY, OHEM], body: [`return ohem_cross_entropy(logits, onehot, valid, keep_ratio=${num(p, 'keepRatio')}, label_smoothing=${num(p, 'labelSmoothing')}, class_weights=${weights})`] };
  }
}

const SCALE_AWARE = `def scale_aware_image_weights(y_true):
    """scale_aware_weights of the masks, computed in numpy outside the graph."""
    return tf.cast(tf.numpy_function(scale_aware_weights, [y_true], tf.float64), tf.float32)`;

function scheduleClass(recipe: Recipe): string {
  const s = recipe.schedule;
  const decay = s.name === 'constant'
    ? '        decayed = tf.fill([], self.base_lr)'
    : [
        '        t = tf.clip_by_value((step - warmup) / float(self.decay_steps), 0.0, 1.0)',
        '        min_lr = self.base_lr * MIN_LR_FACTOR',
        s.name === 'cosine'
          ? '        decayed = min_lr + (self.base_lr - min_lr) * 0.5 * (1.0 + tf.cos(math.pi * t))'
          : `        decayed = min_lr + (self.base_lr - min_lr) * tf.pow(1.0 - t, ${pyFloat(s.power ?? 0.9)})`,
      ].join('\n');
  return `class SeglossSchedule(tf.keras.optimizers.schedules.LearningRateSchedule):
    """${scheduleComment(recipe)}"""

    def __init__(self, base_lr, total_steps):
        self.base_lr = base_lr
        self.total_steps = total_steps
        self.warmup_steps = min(total_steps, int(math.floor(${pyFloat(s.warmupFraction)} * total_steps + 0.5)))
        self.decay_steps = max(1, total_steps - self.warmup_steps)

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warmup = float(self.warmup_steps)
${decay}
        warming = self.base_lr * (step + 1.0) / max(1.0, warmup)
        return tf.where(step < warmup, warming, decayed)

    def get_config(self):
        return {"base_lr": self.base_lr, "total_steps": self.total_steps}`;
}

function optimizerLines(recipe: Recipe): string[] {
  const o = recipe.optimizer;
  const clip = recipe.gradientClipNorm === null ? '' : `, global_clipnorm=${pyFloat(recipe.gradientClipNorm)}`;
  const lr = `learning_rate=SeglossSchedule(${pyFloat(o.lr)}, total_steps)`;
  const coupledNote = o.weightDecay > 0 && o.name !== 'adamw'
    ? pyComment(`segloss (like torch ${o.name === 'sgd' ? 'SGD' : 'Adam'}) adds weight_decay * w to the gradient (L2); Keras's weight_decay is decoupled. For the same effect add kernel_regularizer=tf.keras.regularizers.L2(${pyFloat(o.weightDecay / 2)}) to your layers instead.`)
    : [];
  if (o.name === 'adamw') return [`return tf.keras.optimizers.AdamW(${lr}, weight_decay=${pyFloat(o.weightDecay)}${clip})`];
  if (o.name === 'adam') return [...coupledNote, `return tf.keras.optimizers.Adam(${lr}${clip})`];
  return [...coupledNote, `return tf.keras.optimizers.SGD(${lr}, momentum=${pyFloat(o.momentum ?? 0)}, nesterov=${pyBool(o.nesterov)}${clip})`];
}

export function kerasSnippet(source: ExportSource): string {
  const { recipe } = source;
  const code = lossCode(recipe);
  const scale = recipe.scaleAware;
  const constants = constantLines(source, {
    noIgnoreValue: -1,
    noIgnoreWhy: 'no ignore index in the recipe (-1 matches no label)',
    weights: (literal) => literal,
  });
  const lossFn = scale
    ? [
        ...(recipe.loss.params.batch === true ? pyComment('Each image is its own batch here, so batch=True has no effect: segloss\'s own losses refuse scale-aware weighting with batch=true (it needs a per-image loss).') : []),
        'def compute_loss(y_true, y_pred):',
        '    """Scale-aware: each image\'s loss times its scale_aware_weights weight (normalised to sum 1; 0 for an image that is all IGNORE_INDEX). y_pred: logits (N, H, W, C)."""',
        '    weights = tf.cast(scale_aware_image_weights(y_true), y_pred.dtype)',
        '    per_image = tf.map_fn(lambda pair: image_loss(pair[0][None], pair[1][None]), (y_true, y_pred), fn_output_signature=y_pred.dtype)',
        '    return tf.reduce_sum(weights * per_image)',
        '',
        '',
        'def image_loss(y_true, logits):',
        '    probs, onehot, valid = prepare(y_true, logits)',
        ...code.body.map((line) => `    ${line}`),
      ]
    : [
        'def compute_loss(y_true, y_pred):',
        '    """y_true: (N, H, W) or (N, H, W, 1) int class indices; y_pred: logits (N, H, W, C), no softmax."""',
        '    logits = y_pred',
        '    probs, onehot, valid = prepare(y_true, logits)',
        ...code.body.map((line) => `    ${line}`),
      ];
  const blocks = [
    snippetHeader(source, 'Keras / TensorFlow 2 (tf.keras, TF >= 2.11)', [
      'Use: model.compile(optimizer=make_optimizer(total_steps), loss=compute_loss) with a model that outputs logits,',
      'or call train_step(model, optimizer, images, masks) in your own loop.',
    ]),
    ['import math', '', ...(scale ? ['import numpy as np'] : []), 'import tensorflow as tf'].join('\n'),
    constants.join('\n'),
    PREPARE,
    ...new Set(code.helpers.flatMap((helper) => (helper === OVERLAP ? [REDUCE, OVERLAP] : [helper]))),
    ...(scale ? [SMALLEST_OBJECT_AREAS, SCALE_AWARE_WEIGHTS, SCALE_AWARE] : []),
    lossFn.join('\n'),
    scheduleClass(recipe),
    ['def make_optimizer(total_steps):', ...optimizerLines(recipe).map((line) => `    ${line}`)].join('\n'),
    [
      'def train_step(model, optimizer, images, masks):',
      '    with tf.GradientTape() as tape:',
      '        loss = compute_loss(masks, model(images, training=True))',
      '    grads = tape.gradient(loss, model.trainable_variables)',
      `    optimizer.apply_gradients(zip(grads, model.trainable_variables))${recipe.gradientClipNorm === null ? '  # no gradient clipping in this recipe' : '  # global_clipnorm clips the gradient norm'}`,
      '    return loss',
    ].join('\n'),
  ];
  return `${blocks.join('\n\n\n')}\n`;
}
