/**
 * What a finished profile says about itself before anyone acts on it: whether there is anything to
 * recommend (at least two classes with pixels), and warnings about class ids that do not look like
 * class ids. Pure functions of the DatasetProfile, so profile text, the Ink view and `recommend`
 * (also on a profile.json read back) say the same thing.
 */
import { UserError } from '../common/errors.js';
import type { DatasetProfile } from '../contracts/profile.js';

/** Ids in use from which instance-like ids are worth a warning. */
export const INSTANCE_LIKE_MIN_IDS = 32;
/** Share of those ids that are one connected region in every image they occur in. */
export const INSTANCE_LIKE_SINGLE_SHARE = 0.9;

export interface ProfileProblem {
  problem: string;
  fix: string;
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Why nothing can be recommended for this profile (null when something can). */
export function nothingToRecommend(profile: DatasetProfile): ProfileProblem | null {
  const { dataset: d, aggregates: a } = profile;
  const ignore = d.ignoreIndex;
  const binaryFix =
    'if 255 marks your objects (0/255 binary masks), re-save the masks with class ids 0 and 1 (e.g. (mask > 127).astype(np.uint8)), or pass --ignore-index none to count 255 as a class';
  if (a.validPixels === 0) {
    return {
      problem: `every mask pixel is the ignore index ${ignore ?? '-'} (${formatCount(a.ignoredPixels)} px): there are no class pixels to measure, so there is nothing to recommend`,
      fix: ignore === 255 ? binaryFix : `check --ignore-index ${ignore}: it is the label of every pixel; pass the value that marks unlabelled pixels, or --ignore-index none`,
    };
  }
  const present = profile.classes.filter((c) => c.pixelCount > 0);
  if (present.length >= 2) return null;
  const only = present[0];
  const name = only && only.name !== `class ${only.id}` ? ` "${only.name}"` : '';
  return {
    problem:
      `the masks hold one class only (id ${only?.id ?? 0}${name}, 100% of valid pixels)` +
      (a.ignoredPixels > 0 ? ` once the ignore index ${ignore} is left out (${formatCount(a.ignoredPixels)} px)` : '') +
      ': a loss has nothing to tell apart, so there is nothing to recommend',
    fix:
      a.ignoredPixels > 0 && ignore === 255
        ? binaryFix
        : a.ignoredPixels > 0
          ? `check --ignore-index ${ignore}: it is the label of every pixel that is not class ${only?.id ?? 0}`
          : 'profile masks that label at least two classes (background and at least one object class)',
  };
}

/** Throws UserError (exit 2) when nothing can be recommended for the profile. */
export function assertSomethingToRecommend(profile: DatasetProfile, source: string): void {
  const nothing = nothingToRecommend(profile);
  if (nothing) throw new UserError(`${source}: ${nothing.problem}`, { fix: nothing.fix });
}

/** Warnings about the class ids themselves: sparse ids, and ids that look like instance ids. */
export function classIdWarnings(profile: DatasetProfile): string[] {
  const warnings: string[] = [];
  const a = profile.aggregates;
  const foreground = profile.classes.filter((c) => c.id !== 0 && c.pixelCount > 0);
  const listedIds = new Set(profile.classes.map((c) => c.id));
  const unlisted = a.numClasses - listedIds.size;
  if (unlisted > 0) {
    const maxId = profile.classes.reduce((m, c) => Math.max(m, c.id), 0);
    warnings.push(`class ids run up to ${maxId} but only ${profile.classes.length} of them occur; the ${formatCount(unlisted)} ids that never occur are not listed`);
  }
  if (foreground.length >= INSTANCE_LIKE_MIN_IDS) {
    const single = foreground.filter((c) => c.objects.count <= c.imagesWithClass).length;
    if (single >= INSTANCE_LIKE_SINGLE_SHARE * foreground.length) {
      warnings.push(
        `these look like instance ids, not class ids: ${formatCount(foreground.length)} distinct ids, and ${formatCount(single)} of them are a single connected region in every image they occur in. ` +
          'Semantic segmentation needs one id per class: map each instance to its class id (every building -> 1, ...)',
      );
    }
  }
  return warnings;
}
