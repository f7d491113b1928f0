/**
 * What the `smp` export flavour says about segmentation_models_pytorch's losses: each way its
 * DiceLoss / JaccardLoss / TverskyLoss / FocalLoss differ from the loss segloss trained (read from
 * smp 0.3-0.5's source: losses/dice.py, tversky.py, focal.py, _functional.py), so that an smp user
 * knows what changes; `--to pytorch` is segloss's exact loss. Plus the one torch helper the flavour
 * needs for scale-aware weighting (smp's losses reduce over the whole batch).
 */
import type { LossParamValue } from '../../contracts/losses.js';
import { pyComment, pyValue } from './python.js';
import type { PyBlock } from './torch-library.js';

type Params = Record<string, LossParamValue>;

export const SMP_PER_IMAGE: PyBlock = {
  code: `def per_image(loss, logits, target):
    """An smp loss taken on each image alone (N,), 0 for an image that is all IGNORE_INDEX (scale-aware
    weighting weighs one loss per image; smp's losses reduce over the whole batch)."""
    has_valid = (target != IGNORE_INDEX).flatten(1).any(1).tolist()
    return torch.stack([loss(logits[i:i + 1], target[i:i + 1]) if has_valid[i] else logits.sum() * 0 for i in range(logits.shape[0])])`,
  needs: [],
};

const EXACT = 'segmentation_models_pytorch conventions, not exactly what segloss trained (--to pytorch is segloss\'s exact loss):';

/** Batch sums and absent classes: DiceLoss and TverskyLoss share them (TverskyLoss extends DiceLoss). */
function overlapNotes(p: Params): string[] {
  return [
    p.batch
      ? '(1) smp sums p*t, p and t over the whole batch per class, as segloss did (batch=true).'
      : '(1) smp sums p*t, p and t over the whole batch per class (segloss batch=true); segloss trained per image and class, then averaged over the images with a valid pixel (batch=false).',
    '(2) A class without a pixel in the batch (per image in segloss) scores 0 in smp and still counts in its class mean; segloss scores it 1 - smooth_nr / (sum p + smooth_dr), about 1: the values differ by about 1 / classes per absent class, the gradients hardly (both nearly constant).',
  ];
}

export function smpDiceNotes(p: Params): string[] {
  const notes = [
    EXACT,
    ...overlapNotes(p),
    `(3) smooth is half of segloss's smoothNr ${pyValue(p.smoothNr)}: smp adds it to the intersection and to (sum p + sum t) / 2${p.jaccard ? ' (Jaccard: to sum p + sum t - intersection)' : ''}, which gives segloss's ratio; smp also floors the denominator at eps=1e-7.`,
  ];
  if (p.smoothNr !== p.smoothDr) notes.push(`(4) smp has one smooth for both terms; segloss used smoothNr ${pyValue(p.smoothNr)} and smoothDr ${pyValue(p.smoothDr)}.`);
  if (p.squaredPred) notes.push('(5) squaredPred=true (sum of p^2 in the denominator) has no smp equivalent: smp sums p.');
  return notes.flatMap((text) => pyComment(text));
}

export function smpTverskyNotes(p: Params, focal: boolean): string[] {
  const notes = [EXACT, ...overlapNotes(p)];
  if (p.smoothNr !== p.smoothDr) notes.push(`(3) smp has one smooth for both terms; segloss used smoothNr ${pyValue(p.smoothNr)} and smoothDr ${pyValue(p.smoothDr)}.`);
  if (focal) notes.push(`(4) Focal Tversky: smp raises the class mean of (1 - TI) to gamma=${pyValue(p.gamma)}; segloss raised each class's (1 - TI) to gamma, then took the mean.`);
  return notes.flatMap((text) => pyComment(text));
}

export function smpFocalNotes(): string[] {
  return [
    EXACT,
    '(1) smp FocalLoss(mode="multiclass") is a sigmoid focal loss: each class against the rest (binary cross-entropy on that class\'s logit), averaged over the non-ignored pixels, summed over the classes; alpha weighs a class\'s own pixels alpha and the others 1 - alpha.',
    '(2) segloss trained the softmax focal loss: -(1 - p)^gamma log p of the softmax at each valid pixel\'s class, divided by (valid pixels x classes), alpha weighing class 0 by 1 - alpha and the others by alpha (MONAI FocalLoss(use_softmax=True)).',
    '(3) A batch that is all IGNORE_INDEX gives NaN in smp (a mean over no pixel); segloss gives 0.',
  ].flatMap((text) => pyComment(text));
}
