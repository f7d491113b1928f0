/**
 * Loss parameters that name the background by position: MONAI's include_background=False (and this
 * project's losses, which follow it) drops class 0, and Focal's alpha weighs class 0 with
 * 1 - alpha. Both assume class 0 is the background. When the dataset says otherwise (no background
 * class, as Cityscapes and ADE20K; or the background at another id), these parameters would drop or
 * down-weight a real class, so a recipe is adjusted here, at the one place recipes are finalised
 * (and verify's baselines), with a note saying what changed and how to keep the original.
 */
import type { LossSpec } from '../contracts/losses.js';

const INCLUDE_BACKGROUND_PARAMS = ['includeBackground', 'boundaryIncludeBackground'] as const;

/** `background`: the background class id, -1 when the dataset has none. */
export function lossForBackground(loss: LossSpec, background: number): { loss: LossSpec; notes: string[] } {
  if (background === 0) return { loss, notes: [] };
  const params = { ...loss.params };
  const notes: string[] = [];
  const where = background < 0 ? 'the dataset has no background class' : `the background is class ${background}, not 0`;
  const remap = background > 0 ? `; to leave the background out, map it to class 0 with --label-map (e.g. {"${background}": 0, "0": ${background}})` : '';
  const dropped = INCLUDE_BACKGROUND_PARAMS.filter((name) => params[name] === false);
  if (dropped.length > 0) {
    for (const name of dropped) params[name] = true;
    notes.push(`${dropped.join(' and ')} set to true: ${where}, and include_background=False drops class 0, a real class here${remap}.`);
  }
  if (loss.name === 'focal' && params.alpha !== null && params.alpha !== undefined) {
    notes.push(`Focal alpha ${params.alpha} left out: it weighs class 0 as the background (1 - alpha), but ${where}${remap}.`);
    params.alpha = null;
  }
  return { loss: notes.length > 0 ? { ...loss, params } : loss, notes };
}
