/**
 * The Python (torch only) building blocks of the `pytorch` and `monai` snippets, one function each,
 * written to mirror src/losses line for line: the same ignore-index convention (ignored pixels count
 * in no sum), the same reductions (a per-image mean runs over the images that have a valid pixel;
 * a batch with no valid pixel gives 0 with zero gradient, never NaN) and the same guarded
 * divisions (targets.ts divideByCount / divideSafely). A snippet carries only the blocks its loss
 * needs (`needs` lists each block's own dependencies). Every loss function takes
 * `per_image=False`; with True it returns one value per image (N,), 0 for an image with no valid
 * pixel, which is what the scale-aware weighting multiplies.
 */

export interface PyBlock {
  /** The Python source of one top-level function. */
  code: string;
  /** Blocks this one calls, emitted before it. */
  needs: PyBlock[];
}

const block = (code: string, needs: PyBlock[] = []): PyBlock => ({ code, needs });

export const ONE_HOT_TARGET = block(`def one_hot_target(logits, target):
    """One-hot target (N, C, H, W) and valid-pixel mask (N, 1, H, W) in the logits' dtype, both 0 at
    pixels labelled IGNORE_INDEX, so those pixels count in no sum (segloss's ignore-index convention)."""
    valid = target != IGNORE_INDEX
    onehot = F.one_hot(target.masked_fill(~valid, 0), NUM_CLASSES).permute(0, 3, 1, 2).to(logits.dtype)
    valid = valid.unsqueeze(1).to(logits.dtype)
    return onehot * valid, valid`);

export const DIVIDE_BY_COUNT = block(`def divide_by_count(total, count):
    """total / count where count depends on the labels only: 0 (and a zero gradient) instead of NaN
    where count is 0, i.e. where no pixel is valid."""
    return total / torch.where(count > 0, count, torch.ones_like(count))`);

export const REDUCE_CLASS_LOSSES = block(
  `def reduce_class_losses(per_class, valid, batch=False, per_image=False):
    """Per-class losses to the loss. (C,) from batch sums: the class mean, 0 when the batch has no valid
    pixel. (N, C): the class mean of each image, then the mean over the images that have a valid pixel
    (an image that is all IGNORE_INDEX counts in no mean; 0 when none has one). per_image: the (N,)
    class means, 0 for an image without a valid pixel."""
    has_valid = (valid.flatten(1).sum(1) > 0).to(per_class.dtype)
    if per_image:
        return per_class.mean(1) * has_valid
    if batch:
        return per_class.mean() * has_valid.max()
    return divide_by_count((per_class.mean(1) * has_valid).sum(), has_valid.sum())`,
  [DIVIDE_BY_COUNT],
);

export const OVERLAP_SUMS = block(`def overlap_sums(logits, onehot, valid, include_background=True, batch=False, squared_pred=False):
    """Softmax probabilities against the one-hot target over valid pixels, per image and class (N, C) or,
    with batch, per class over the whole batch (C,): sum(p * t), sum(p) (sum(p^2) with squared_pred),
    sum(t). Class 0 is dropped unless include_background."""
    probs = torch.softmax(logits, dim=1) * valid
    dims = (0, 2, 3) if batch else (2, 3)
    sums = (probs * onehot).sum(dims), (probs * probs if squared_pred else probs).sum(dims), onehot.sum(dims)
    return sums if include_background else tuple(s[..., 1:] for s in sums)`);

export const CROSS_ENTROPY_TERMS = block(`def cross_entropy_terms(logits, target, label_smoothing=0.0, class_weights=None):
    """Per pixel (N, H, W): torch's cross-entropy term (class weights, label smoothing; 0 at ignored pixels)
    and the weight of the pixel's true class (1 without class weights, 0 at ignored pixels), so that
    sum(terms) / sum(weights) is F.cross_entropy's weighted mean."""
    weight = None if class_weights is None else class_weights.to(logits.device, logits.dtype)
    terms = F.cross_entropy(logits, target, weight=weight, ignore_index=IGNORE_INDEX, label_smoothing=label_smoothing, reduction="none")
    valid = target != IGNORE_INDEX
    true_weight = valid.to(logits.dtype) if weight is None else weight[target.masked_fill(~valid, 0)] * valid
    return terms, true_weight`);

export const WEIGHTED_MEAN = block(
  `def weighted_mean(terms, weights, per_image=False):
    """sum(terms) / sum(weights) over the batch, or per image (N,); 0 where nothing is valid."""
    dims = (1, 2) if per_image else (0, 1, 2)
    return divide_by_count(terms.sum(dims), weights.sum(dims))`,
  [DIVIDE_BY_COUNT],
);

export const CROSS_ENTROPY = block(
  `def cross_entropy_loss(logits, target, label_smoothing=0.0, class_weights=None, per_image=False):
    """F.cross_entropy(logits, target, weight=class_weights, ignore_index=IGNORE_INDEX,
    label_smoothing=label_smoothing), except that a batch (or image) with no valid pixel gives 0 with a
    zero gradient where F.cross_entropy gives NaN."""
    return weighted_mean(*cross_entropy_terms(logits, target, label_smoothing, class_weights), per_image=per_image)`,
  [CROSS_ENTROPY_TERMS, WEIGHTED_MEAN],
);

export const HARD_PIXEL_MASK = block(`def hard_pixel_mask(hardness, valid, keep_ratio, per_image=False):
    """True at the k = ceil(keep_ratio * valid pixels) valid pixels (at least one) with the largest
    hardness, over the whole batch or within each image; among equal values the first in (N, H, W)
    order, so exactly k are kept."""
    rows = hardness.reshape(hardness.shape[0] if per_image else 1, -1)
    ok = valid.reshape(rows.shape)
    order = torch.sort(torch.where(ok, rows, torch.full_like(rows, -1.0)), dim=1, descending=True, stable=True).indices
    keep = torch.zeros_like(ok)
    for row, count in enumerate(ok.sum(1).tolist()):
        k = min(count, max(1, math.ceil(keep_ratio * count - 1e-9))) if count else 0
        keep[row, order[row, :k]] = True
    return keep.reshape(hardness.shape)`);

export const OHEM_CROSS_ENTROPY = block(
  `def ohem_cross_entropy(logits, target, keep_ratio, label_smoothing=0.0, class_weights=None, per_image=False):
    """OHEM: the class-weighted cross-entropy mean over the ceil(keep_ratio * valid) hardest valid pixels
    (of the batch, or of each image with per_image), ranked by unweighted per-pixel CE outside the
    gradient; 0 when no pixel is valid."""
    terms, weights = cross_entropy_terms(logits, target, label_smoothing, class_weights)
    with torch.no_grad():
        hardness = terms if class_weights is None else cross_entropy_terms(logits, target, label_smoothing)[0]
        keep = hard_pixel_mask(hardness, target != IGNORE_INDEX, keep_ratio, per_image).to(terms.dtype)
    return weighted_mean(terms * keep, weights * keep, per_image=per_image)`,
  [CROSS_ENTROPY_TERMS, HARD_PIXEL_MASK, WEIGHTED_MEAN],
);

export const FOCAL = block(
  `def focal_loss(logits, target, gamma=2.0, alpha=None, class_weights=None, label_smoothing=0.0, per_image=False):
    """Softmax focal loss (MONAI FocalLoss(use_softmax=True) with reduction "mean" over valid pixels only):
    the sum over valid pixels and classes of -a_c * w_c * (1 - p_c)^gamma * q_c * log p_c, divided by
    (valid pixels * NUM_CLASSES); a_c = 1 - alpha for class 0 and alpha for the others, w_c the class
    weights, q = (1 - e) * onehot + e / NUM_CLASSES with label smoothing e (Keras
    CategoricalFocalCrossentropy's convention). 0 when no pixel is valid."""
    onehot, valid = one_hot_target(logits, target)
    q = onehot * (1 - label_smoothing) + (label_smoothing / NUM_CLASSES) * valid
    log_p = F.log_softmax(logits, dim=1)
    one_minus_p = (-torch.expm1(log_p)).clamp_min(1e-12)
    terms = -(one_minus_p ** gamma) * log_p * q
    factors = torch.ones(NUM_CLASSES, device=logits.device, dtype=logits.dtype)
    if alpha is not None:
        factors = factors * torch.tensor([1 - alpha] + [alpha] * (NUM_CLASSES - 1), device=logits.device, dtype=logits.dtype)
    if class_weights is not None:
        factors = factors * class_weights.to(logits.device, logits.dtype)
    terms = terms * factors.view(1, -1, 1, 1)
    dims = (1, 2, 3) if per_image else (0, 1, 2, 3)
    return divide_by_count(terms.sum(dims), valid.sum(dims) * NUM_CLASSES)`,
  [ONE_HOT_TARGET, DIVIDE_BY_COUNT],
);

export const DICE_CLASS_LOSSES = block(
  `def dice_class_losses(logits, onehot, valid, include_background=True, squared_pred=False, jaccard=False, batch=False, smooth_nr=1e-5, smooth_dr=1e-5):
    """Soft Dice per image and class (per class with batch), MONAI DiceLoss conventions:
    1 - (2 * I + smooth_nr) / (P + T + smooth_dr), Jaccard: denominator 2 * (P + T - I)."""
    inter, pred, truth = overlap_sums(logits, onehot, valid, include_background, batch, squared_pred)
    den = 2 * (pred + truth - inter) if jaccard else pred + truth
    return 1 - (2 * inter + smooth_nr) / (den + smooth_dr).clamp_min(1e-12)`,
  [OVERLAP_SUMS],
);

export const STABLE_LOG_DICE_CLASS_LOSSES = block(
  `def stable_log_dice_class_losses(logits, onehot, valid, smooth=1e-6, clamp_min=0.01, include_background=True, batch=False):
    """The article's stable Dice per image and class: -log(max(d, clamp_min)) with
    d = (2 * sum(p * t) + smooth) / (sum(p) + sum(t) + smooth); the log tames the gradient when Dice is
    small, the clamp bounds it."""
    inter, pred, truth = overlap_sums(logits, onehot, valid, include_background, batch)
    dice = (2 * inter + smooth) / (pred + truth + smooth).clamp_min(1e-12)
    return -torch.log(dice.clamp_min(max(clamp_min, 1e-12)))`,
  [OVERLAP_SUMS],
);

export const GENERALIZED_DICE = block(
  `def generalized_dice_values(logits, onehot, valid, w_type="square", include_background=True, batch=False, smooth_nr=1e-5, smooth_dr=1e-5):
    """Generalized Dice (Sudre et al. 2017, MONAI GeneralizedDiceLoss conventions) per image (N, 1), or
    (1,) with batch: class weights w = 1/T^2 (square), 1/T (simple) or 1 (uniform) from the target sums
    T; a class absent from the image takes the image's largest finite weight."""
    inter, pred, truth = overlap_sums(logits, onehot, valid, include_background, batch)
    if w_type == "uniform":
        w = torch.ones_like(truth)
    else:
        present = truth > 0
        safe = torch.where(present, truth, torch.ones_like(truth))
        w = torch.where(present, 1.0 / (safe * safe if w_type == "square" else safe), torch.zeros_like(truth))
        w = torch.where(present, w, w.max(dim=-1, keepdim=True).values)
    f = 1 - (2 * (w * inter).sum(-1) + smooth_nr) / ((w * (pred + truth)).sum(-1) + smooth_dr).clamp_min(1e-12)
    return f.unsqueeze(-1)`,
  [OVERLAP_SUMS],
);

export const TVERSKY_INDEX = block(
  `def tversky_index(logits, onehot, valid, alpha=0.5, beta=0.5, include_background=True, batch=False, smooth_nr=1e-5, smooth_dr=1e-5):
    """Tversky index per image and class (per class with batch), MONAI TverskyLoss conventions:
    (TP + smooth_nr) / (TP + alpha * FP + beta * FN + smooth_dr)."""
    tp, pred, truth = overlap_sums(logits, onehot, valid, include_background, batch)
    return (tp + smooth_nr) / (tp + alpha * (pred - tp) + beta * (truth - tp) + smooth_dr).clamp_min(1e-12)`,
  [OVERLAP_SUMS],
);

/** The blocks in dependency order, each once. */
export function orderedBlocks(roots: PyBlock[]): string[] {
  const seen = new Set<PyBlock>();
  const out: string[] = [];
  const visit = (b: PyBlock) => {
    if (seen.has(b)) return;
    seen.add(b);
    b.needs.forEach(visit);
    out.push(b.code);
  };
  roots.forEach(visit);
  return out;
}
