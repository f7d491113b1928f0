/**
 * What a finished profile says about itself before anyone acts on it: whether there is anything to
 * recommend (at least two classes with pixels), and warnings about class ids that do not look like
 * class ids. Pure functions of the DatasetProfile, so profile text, the Ink view and `recommend`
 * (also on a profile.json read back) say the same thing.
 */
import { UserError } from '../common/errors.js';
import { backgroundIdOf, type DatasetProfile } from '../contracts/profile.js';

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
    'if 255 marks your objects (0/255 black-and-white masks), pass --binarize to read values above 127 as class 1 (and leave out --ignore-index 255); otherwise pass the value that marks unlabelled pixels as --ignore-index';
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

/**
 * Warnings about the class ids themselves, for the headline: masks skipped for their ids, ids that
 * look like compression noise, sparse ids, and ids that look like instance ids.
 */
export function classIdWarnings(profile: DatasetProfile): string[] {
  const warnings: string[] = [];
  const skippedForIds = skippedForClassIds(profile);
  if (skippedForIds) warnings.push(skippedForIds);
  const noise = compressionNoiseWarning(profile);
  if (noise) warnings.push(noise);
  const a = profile.aggregates;
  const background = backgroundIdOf(profile);
  const foreground = profile.classes.filter((c) => c.id !== background && c.pixelCount > 0);
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

export { backgroundIdOf };

/** How the masks' values were read (0/255 as binary, label maps, ...): notes for the headline. */
export function labelNotes(profile: DatasetProfile): string[] {
  return [...(profile.dataset.labelNotes ?? [])];
}

/** "N of M masks were skipped for their class ids" with the first reason; null when none was. */
export function skippedForClassIds(profile: DatasetProfile): string | null {
  const items = profile.dataset.skipped.filter((item) => item.cause === 'class-ids');
  if (items.length === 0) return null;
  const first = items[0];
  return (
    `${formatCount(items.length)} mask${items.length === 1 ? ' was' : 's were'} skipped for their class ids and ${items.length === 1 ? 'is' : 'are'} not in this profile ` +
    `(${formatCount(profile.dataset.pairsProfiled)} profiled); first: ${first.file}: ${first.problem}; fix: ${first.fix}`
  );
}

/** Ids between 0 and 255 look like compression noise from this many on (with the tests below). */
export const NOISE_MIN_IDS = 3;
/** ...when each of them holds less than this share of all pixels (0 and 255 hold the rest)... */
export const NOISE_MAX_ID_SHARE = 0.01;
/** ...and at least this share of their pieces is small (< 100 px): thin rims along edges. */
export const NOISE_SMALL_OBJECT_SHARE = 0.9;

/**
 * A mask re-saved from a JPEG (Kvasir-SEG's 0/255 masks as PNG) keeps the compression noise along
 * every edge: many rare ids between 0 and 255, in tiny pieces, on both sides of 128 (blends of 0
 * and 255; real class ids run up from 1). Read literally that is a profile of phantom classes; the
 * warning names --binarize. 255 counts whether it is a class or the ignore index (ignored pixels
 * count only when the ignore index is 255).
 */
export function compressionNoiseWarning(profile: DatasetProfile): string | null {
  const { dataset: d, aggregates: a } = profile;
  const zero = profile.classes.find((c) => c.id === 0);
  const top = profile.classes.find((c) => c.id === 255)?.pixelCount ?? (d.ignoreIndex === 255 ? a.ignoredPixels : 0);
  const middle = profile.classes.filter((c) => c.id > 0 && c.id < 255 && c.pixelCount > 0);
  const all = a.validPixels + a.ignoredPixels;
  if (!zero || zero.pixelCount === 0 || top === 0 || middle.length < NOISE_MIN_IDS || all === 0) return null;
  if (!middle.some((c) => c.id < 128) || !middle.some((c) => c.id >= 128)) return null;
  if (middle.some((c) => c.pixelCount / all >= NOISE_MAX_ID_SHARE)) return null;
  const middlePixels = middle.reduce((sum, c) => sum + c.pixelCount, 0);
  const objects = middle.reduce((sum, c) => sum + c.objects.count, 0);
  const small = middle.reduce((sum, c) => sum + c.objects.areaHistogram[0], 0);
  if (objects === 0 || small / objects < NOISE_SMALL_OBJECT_SHARE) return null;
  return (
    `these ids look like compression noise, not classes: ${formatCount(middle.length)} rare ids between 0 and 255 hold ${((100 * middlePixels) / all).toPrecision(2)}% of the pixels, ` +
    `${((100 * small) / objects).toFixed(0)}% of their ${formatCount(objects)} pieces under 100 px (a JPEG mask re-saved losslessly keeps its noise). ` +
    `If the masks are black-and-white (0 = background, 255 = object), pass --binarize (threshold 127) to read them as two classes`
  );
}
