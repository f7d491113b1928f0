/**
 * Python code of the distance-based losses (boundary, dice_boundary, hausdorff_dt), shared by the
 * torch snippets (PyBlocks that torch-losses.ts's LOSS_CODE entries use next to torch-library.ts's
 * blocks) and the keras snippet (kerasDistanceLoss). The distance maps are numpy-only (no scipy:
 * the plain PyTorch environment has only numpy and torch), exact, and follow
 * src/losses/distance-maps.ts: Kervadec's one_hot2dist (outside d, inside -(d - 1), 0 for a class
 * absent from or filling the image), MONAI's HausdorffDTLoss distance field, ignored pixels in no
 * class and out of every mean. dice_boundary's weights depend on training progress
 * (step / total steps), so its compute_loss takes `progress`.
 */
import type { LossParamValue } from '../../contracts/losses.js';
import { pyBool, pyComment, pyValue } from './python.js';
import { DIVIDE_BY_COUNT, ONE_HOT_TARGET, REDUCE_CLASS_LOSSES, type PyBlock } from './torch-library.js';

type Params = Record<string, LossParamValue>;

/** Exact distance maps in numpy, shared by the torch and keras snippets (layout N, C, H, W). */
const NUMPY_DISTANCES = `def parabola_envelope_rows(f):
    """d[r, x] = min over x' of (x - x')^2 + f[r, x'] for every row r of a 2-D array at once: the 1-D
    transform of Felzenszwalb & Huttenlocher (lower envelope of parabolas), vectorised over the rows;
    inf entries are not sites (a row without sites stays inf)."""
    m, w = f.shape
    rows = np.arange(m)
    v = np.zeros((m, w), dtype=np.int64)
    z = np.full((m, w + 1), np.inf)
    k = np.full(m, -1, dtype=np.int64)
    finite = np.isfinite(f)
    for q in np.flatnonzero(finite.any(axis=0)):
        fq = f[:, q]
        live = finite[:, q]
        todo = rows[live & (k >= 0)]
        start = rows[live & (k < 0)]
        k[start] = 0
        v[start, 0] = q
        z[start, 0] = -np.inf
        while todo.size:
            top = k[todo]
            p = v[todo, top]
            s = (fq[todo] + q * q - f[todo, p] - p * p) / (2.0 * (q - p))
            pop = s <= z[todo, top]
            done, at = todo[~pop], top[~pop] + 1
            k[done] = at
            v[done, at] = q
            z[done, at] = s[~pop]
            z[done, at + 1] = np.inf
            k[todo[pop]] -= 1
            todo = todo[pop]
    out = np.empty((m, w))
    j = np.zeros(m, dtype=np.int64)
    for q in range(w):
        advance = z[rows, j + 1] < q
        while advance.any():
            j[advance] += 1
            advance = z[rows, j + 1] < q
        p = v[rows, j]
        out[:, q] = (q - p) ** 2 + f[rows, p]
    return out


def squared_distance_to_sites(sites):
    """Exact squared Euclidean distance from every pixel to the nearest True pixel of its own 2-D slice,
    for a stack of bool masks (S, H, W); inf in a slice without sites. Separable (Felzenszwalb &
    Huttenlocher): two scans along the columns, then the parabola envelope along every row."""
    s, h, w = sites.shape
    along = np.empty((s, h, w))
    last = np.full((s, w), np.inf)
    for y in range(h):
        last = np.where(sites[:, y], 0.0, last + 1.0)
        along[:, y] = last
    last = np.full((s, w), np.inf)
    for y in range(h - 1, -1, -1):
        last = np.where(sites[:, y], 0.0, last + 1.0)
        along[:, y] = np.minimum(along[:, y], last)
    rows = (along ** 2).reshape(s * h, w)
    # A row that is all sites (all 0) or has none (all inf) is its own transform: only the others need the envelope.
    busy = np.isfinite(rows).any(axis=1) & (rows != 0).any(axis=1)
    out = rows.copy()
    out[busy] = parabola_envelope_rows(rows[busy])
    return out.reshape(s, h, w)


def distances_to_other_side(masks):
    """For a stack of 2-D bool masks (S, H, W): each pixel's distance to the nearest pixel on the other side
    of its mask (scipy's distance_transform_edt(mask) + distance_transform_edt(~mask)), and per mask
    whether it has a boundary; a mask that is empty or full gets 0 (as in MONAI and one_hot2dist)."""
    masks = np.asarray(masks, dtype=bool)
    count = masks.shape[0]
    squared = squared_distance_to_sites(np.concatenate([~masks, masks]))
    has_boundary = masks.any(axis=(1, 2)) & ~masks.all(axis=(1, 2))
    distance = np.sqrt(np.where(masks, squared[:count], squared[count:]))
    return np.where(has_boundary[:, None, None], distance, 0.0), has_boundary


def signed_distance_maps(target):
    """Kervadec et al.'s one_hot2dist per image and class, (N, C, H, W) float64, pixel spacing 1:
    outside class k the distance to the nearest k pixel, inside -(distance to the nearest non-k
    pixel - 1); 0 for a class absent from (or filling) the image. Ignored pixels are in no class and get 0."""
    target = np.asarray(target)
    n, h, w = target.shape
    valid = (target != IGNORE_INDEX)[:, None]
    inside = (target[:, None] == np.arange(NUM_CLASSES)[None, :, None, None]) & valid
    distance, has_boundary = distances_to_other_side(inside.reshape(-1, h, w))
    signed = np.where(inside.reshape(-1, h, w), 1.0 - distance, distance) * has_boundary[:, None, None]
    return signed.reshape(n, NUM_CLASSES, h, w) * valid`;

const NUMPY_HAUSDORFF_WEIGHTS = `def hausdorff_distance_weights(probs, target, alpha):
    """dp^alpha + dt^alpha per image and class (N, C, H, W), 0 at ignored pixels (MONAI HausdorffDTLoss):
    dp = distance field of the predicted mask probs > 0.5, dt = that of the target mask, each 0 when
    its mask is empty or full."""
    target = np.asarray(target)
    n, c, h, w = probs.shape
    valid = (target != IGNORE_INDEX)[:, None]
    truth = (target[:, None] == np.arange(c)[None, :, None, None]) & valid
    dp, dp_ok = distances_to_other_side((probs > 0.5).reshape(-1, h, w))
    dt, dt_ok = distances_to_other_side(truth.reshape(-1, h, w))
    field = np.where(dp_ok[:, None, None], dp ** alpha, 0.0) + np.where(dt_ok[:, None, None], dt ** alpha, 0.0)
    return field.reshape(n, c, h, w) * valid`;

const SCHEDULE = `def boundary_schedule(progress, schedule="rebalance", alpha_start=0.01, alpha_end=1.0, min_dice_weight=0.1):
    """(Dice weight, boundary weight) at training progress = step / total_steps in [0, 1]
    (Kervadec et al.: alpha starts at 0.01 and rises each epoch; the authors' scheduler moves the
    weight from the regional term and floors it at 0.1). alpha = alpha_start + (alpha_end - alpha_start) * progress;
    rebalance: (max(min_dice_weight, 1 - alpha), alpha); increase: (1, alpha); constant: (1, alpha_start)."""
    if schedule == "constant":
        return 1.0, alpha_start
    alpha = alpha_start + (alpha_end - alpha_start) * progress
    if schedule == "increase":
        return 1.0, alpha
    return max(min_dice_weight, 1.0 - alpha), alpha`;

/** The same schedule for Keras: progress may be a tensor (tf.function), so the floor is tf.maximum. */
const KERAS_SCHEDULE = SCHEDULE.replace('return max(min_dice_weight, 1.0 - alpha), alpha', 'return tf.maximum(min_dice_weight, 1.0 - alpha), alpha');

const NUMPY_DISTANCES_BLOCK: PyBlock = { code: NUMPY_DISTANCES, needs: [] };

/** Kervadec's boundary loss in torch, batch or per image (torch-library.ts conventions). */
export const BOUNDARY_LOSS: PyBlock = {
  code: `def boundary_loss(logits, target, include_background=False, phi=None, per_image=False):
    """Kervadec et al.'s boundary loss (SurfaceLoss): mean over valid pixels of the batch (of each image with
    per_image) and the included classes of softmax(logits)_k * phi_k, phi_k = signed_distance_maps(target)
    (no gradient through it); 0 where no pixel is valid. Negative when the prediction sits inside the
    objects: expected. The maps cost about 0.5 s per batch of eight 256x256 two-class masks on a CPU core;
    to save that, compute signed_distance_maps(mask[None])[0] once per mask in your Dataset, as the
    authors do, and pass the stacked maps as phi (N, C, H, W)."""
    if phi is None:
        phi = signed_distance_maps(target.detach().cpu().numpy())
    phi = torch.as_tensor(phi).to(logits.device, logits.dtype)
    products = torch.softmax(logits, dim=1) * phi
    if not include_background:
        products = products[:, 1:]
    counts = (target != IGNORE_INDEX).flatten(1).sum(1).to(logits.dtype) * products.shape[1]
    if per_image:
        return divide_by_count(products.sum((1, 2, 3)), counts)
    return divide_by_count(products.sum(), counts.sum())`,
  needs: [NUMPY_DISTANCES_BLOCK, DIVIDE_BY_COUNT],
};

/** MONAI HausdorffDTLoss in torch with segloss's ignore index, batch or per image. */
export const HAUSDORFF_DT_LOSS: PyBlock = {
  code: `def hausdorff_dt_loss(logits, target, alpha=2.0, include_background=False, batch=False, per_image=False):
    """MONAI HausdorffDTLoss(alpha, include_background, softmax=True, to_onehot_y=True, batch): per image and
    class (or per class over the batch) the mean over valid pixels of (p - t)^2 * (dp^alpha + dt^alpha), the
    distance weights outside the gradient; then reduce_class_losses (the images that have a valid pixel)."""
    probs = torch.softmax(logits, dim=1)
    onehot, valid = one_hot_target(logits, target)
    with torch.no_grad():
        weights = hausdorff_distance_weights(probs.detach().cpu().numpy(), target.detach().cpu().numpy(), alpha)
    terms = (probs - onehot) ** 2 * torch.as_tensor(weights).to(logits.device, logits.dtype)
    if not include_background:
        terms = terms[:, 1:]
    dims = (0, 2, 3) if batch else (2, 3)
    per_class = divide_by_count(terms.sum(dims), valid.sum(dims))
    return reduce_class_losses(per_class, valid, batch=batch, per_image=per_image)`,
  needs: [NUMPY_DISTANCES_BLOCK, { code: NUMPY_HAUSDORFF_WEIGHTS, needs: [NUMPY_DISTANCES_BLOCK] }, ONE_HOT_TARGET, DIVIDE_BY_COUNT, REDUCE_CLASS_LOSSES],
};

/** dice_boundary's (Dice weight, boundary weight) at a training progress. */
export const BOUNDARY_SCHEDULE: PyBlock = { code: SCHEDULE, needs: [] };

const KERAS_BOUNDARY = `def boundary_loss(y_true, probs, valid, include_background=False):
    """Kervadec et al.'s boundary loss (SurfaceLoss): mean over valid pixels of the batch and the included
    classes of p_k * phi_k, phi_k = signed_distance_maps (numpy, outside the graph)."""
    target = tf.cast(y_true, tf.int32)
    if target.shape.rank == 4:
        target = tf.squeeze(target, -1)
    phi = tf.numpy_function(lambda t: np.transpose(signed_distance_maps(t), (0, 2, 3, 1)).astype(np.float32), [target], tf.float32)
    products = probs * tf.cast(phi, probs.dtype)
    if not include_background:
        products = products[..., 1:]
    return tf.math.divide_no_nan(tf.reduce_sum(products), tf.reduce_sum(valid) * tf.cast(tf.shape(products)[-1], probs.dtype))`;

const KERAS_HAUSDORFF = `def hausdorff_dt_loss(y_true, probs, onehot, valid, alpha=2.0, include_background=False, batch=False):
    """MONAI HausdorffDTLoss(alpha, include_background, softmax=True, to_onehot_y=True, batch): per image and
    class (or per class over the batch) the mean over valid pixels of (p - t)^2 * (dp^alpha + dt^alpha), then
    the mean over classes and over the images that have a valid pixel. probs: softmax, not masked."""
    target = tf.cast(y_true, tf.int32)
    if target.shape.rank == 4:
        target = tf.squeeze(target, -1)
    def weights_of(p, t):
        return np.transpose(hausdorff_distance_weights(np.transpose(p, (0, 3, 1, 2)), t, alpha), (0, 2, 3, 1)).astype(np.float32)
    weights = tf.cast(tf.numpy_function(weights_of, [tf.stop_gradient(probs), target], tf.float32), probs.dtype)
    terms = tf.square(probs - onehot) * weights
    if not include_background:
        terms = terms[..., 1:]
    if batch:
        return tf.reduce_mean(tf.math.divide_no_nan(tf.reduce_sum(terms, [0, 1, 2]), tf.reduce_sum(valid)))
    counts = tf.reduce_sum(valid, [1, 2])
    per_image = tf.reduce_mean(tf.math.divide_no_nan(tf.reduce_sum(terms, [1, 2]), counts[:, None]), -1)
    has_valid = tf.cast(counts > 0, probs.dtype)
    return tf.math.divide_no_nan(tf.reduce_sum(per_image * has_valid), tf.reduce_sum(has_valid))`;

const PROGRESS_COMMENT = 'progress = step / total_steps in [0, 1] (0-based optimiser step): the boundary weight follows the schedule segloss trained with; the default 1.0 is the end of the schedule.';

export const PROGRESS_NOTE = pyComment(PROGRESS_COMMENT);

/** `boundary_schedule(progress, ...)` with the recipe's schedule parameters. */
export function scheduleCall(p: Params): string {
  return `boundary_schedule(progress, schedule=${pyValue(p.schedule)}, alpha_start=${pyValue(p.alphaStart)}, alpha_end=${pyValue(p.alphaEnd)}, min_dice_weight=${pyValue(p.minDiceWeight)})`;
}

/**
 * Keras code for a distance-based loss; the body runs inside compute_loss after
 * `probs, onehot, valid = prepare(y_true, logits)`. `dice` is keras.ts's Dice helpers and call.
 */
export function kerasDistanceLoss(name: 'boundary' | 'dice_boundary' | 'hausdorff_dt', p: Params, dice: { helpers: string[]; call: string }): { helpers: string[]; body: string[]; takesProgress: boolean } {
  if (name === 'boundary') {
    return { helpers: [NUMPY_DISTANCES, KERAS_BOUNDARY], body: [`return boundary_loss(y_true, probs, valid, include_background=${pyBool(Boolean(p.includeBackground))})`], takesProgress: false };
  }
  if (name === 'hausdorff_dt') {
    return {
      helpers: [NUMPY_DISTANCES, NUMPY_HAUSDORFF_WEIGHTS, KERAS_HAUSDORFF],
      body: [`return hausdorff_dt_loss(y_true, tf.nn.softmax(logits, axis=-1), onehot, valid, alpha=${pyValue(p.alpha)}, include_background=${pyBool(Boolean(p.includeBackground))}, batch=${pyBool(Boolean(p.batch))})`],
      takesProgress: false,
    };
  }
  return {
    helpers: [...dice.helpers, NUMPY_DISTANCES, KERAS_BOUNDARY, KERAS_SCHEDULE],
    body: [
      ...pyComment(PROGRESS_COMMENT),
      `dice_weight, boundary_weight = ${scheduleCall(p)}`,
      `return dice_weight * ${dice.call} + boundary_weight * boundary_loss(y_true, probs, valid, include_background=${pyBool(Boolean(p.boundaryIncludeBackground))})`,
    ],
    takesProgress: true,
  };
}
