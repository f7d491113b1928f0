/**
 * Loads a dataset for verify: indexes it with the dataset reader, takes a seeded subset when it is
 * large, decodes every pair once into memory, and checks it matches the recommendation.
 */
import { UserError } from '../common/errors.js';
import { backgroundOf, classCountOrigin, decodePair, indexDataset, noneReadable, PairProblem, strictError, toSkippedItem, type DatasetIndex, type DatasetOptions } from '../dataset/index.js';
import type { SkippedItem } from '../contracts/profile.js';
import type { Recommendation } from '../contracts/recommendation.js';
import type { VerifyImage } from './data.js';
import { createRng, shuffled } from './random.js';
import { decodeVolumePair, isVolumePair } from '../dataset/volume.js';
import { volumeSlices } from './volume-slices.js';
import type { VerifyData } from './run.js';

/** Verify keeps every image in memory (at most DEFAULT_MAX_IMAGES images, settings.ts) and at most this many pixels in total (about 4 bytes each in memory). */
export const MAX_TOTAL_PIXELS = 64 * 1024 * 1024;

export async function loadVerifyData(dataset: DatasetOptions, recommendation: Recommendation, options: { maxImages: number; seed: number; minSize?: number }): Promise<VerifyData> {
  const minSize = options.minSize ?? 1;
  const index = await indexDataset(dataset);
  const skippedNote = (s: { file: string; problem: string; fix: string }) => `skipped ${s.file}: ${s.problem} (fix: ${s.fix})`;
  const notes: string[] = index.skipped.map(skippedNote);
  if (dataset.strict && index.skipped.length > 0) throw strictError(index.skipped[0], index.skipped.length - 1);
  requireImages(index);
  // The class count the user declared (--num-classes, or a class names / colormap file); when it
  // is only inferred from the masks, the class-id check below is what applies.
  if (index.numClasses !== null && index.numClassesSource && index.numClasses !== recommendation.input.numClasses) {
    throw new UserError(`the recommendation is for ${recommendation.input.numClasses} classes, but the dataset has ${index.numClasses} (${classCountOrigin(index.numClassesSource)})`, {
      fix: 'verify the dataset the recommendation was made for, or make one for this dataset with `segloss recommend DIR --out DIR`',
    });
  }
  let pairs = index.pairs;
  if (pairs.length > options.maxImages) {
    pairs = shuffled(pairs, createRng(options.seed)).slice(0, options.maxImages).sort((a, b) => (a.id < b.id ? -1 : 1));
    notes.push(`using a seeded subset of ${options.maxImages} of ${index.pairs.length} images (--max-images)`);
  }

  const numClasses = recommendation.input.numClasses;
  const decoded: VerifyImage[] = [];
  /** The pairs' own problems, for the error when none could be read. */
  const pairProblems: SkippedItem[] = [];
  let totalPixels = 0;
  let slicedCases = 0;
  /** The first image file seen with each band count, for the message when they differ. */
  const fileByChannels = new Map<number, string>();
  for (const pair of pairs) {
    let result;
    try {
      // A NIfTI case: its slices, each carrying the case as its group (see volume-slices.ts).
      if (isVolumePair(pair)) {
        const volume = await decodeVolumePair(pair, index);
        if (volume.maxLabel >= numClasses) throw classesBeyondRecommendation(pair.maskPath, volume.maxLabel, numClasses);
        const slices = volumeSlices(volume, index.ignoreIndex);
        const pixels = slices.reduce((sum, slice) => sum + slice.width * slice.height, 0);
        if (slices.length > 0 && Math.min(slices[0].width, slices[0].height) < minSize) {
          const item = { file: pair.maskPath, problem: `its ${slices[0].width}x${slices[0].height} slices are smaller than ${minSize} px, the least the U-Net (--model-depth ${Math.log2(minSize)}) can take`, fix: 'leave the case out, or lower --model-depth' };
          if (dataset.strict) throw strictError(item);
          pairProblems.push(item);
          notes.push(skippedNote(item));
          continue;
        }
        if (totalPixels + pixels > MAX_TOTAL_PIXELS) {
          notes.push(`stopped loading at ${slicedCases} volumes (${decoded.length} slices): the in-memory cap of ${MAX_TOTAL_PIXELS / 1024 / 1024} megapixels was reached (lower --max-images to choose a seeded subset of cases)`);
          break;
        }
        totalPixels += pixels;
        slicedCases++;
        if (slices.length > 0 && !fileByChannels.has(slices[0].channels)) fileByChannels.set(slices[0].channels, pair.imagePath ?? pair.maskPath);
        decoded.push(...slices);
        continue;
      } else result = await decodePair(pair, index);
    } catch (error) {
      if (!(error instanceof PairProblem)) throw error;
      if (dataset.strict) throw strictError(toSkippedItem(error));
      pairProblems.push(toSkippedItem(error));
      notes.push(skippedNote(error));
      continue;
    }
    if (!result.image) continue;
    if (Math.min(result.width, result.height) < minSize) {
      const problem = `${result.width}x${result.height} px is smaller than ${minSize} px, the least the U-Net (--model-depth ${Math.log2(minSize)}) can take`;
      const fix = 'leave the pair out, or lower --model-depth';
      const item = { file: pair.imagePath ?? pair.maskPath, problem, fix };
      if (dataset.strict) throw strictError(item);
      pairProblems.push(item);
      notes.push(skippedNote(item));
      continue;
    }
    if (result.maxLabel >= numClasses) throw classesBeyondRecommendation(pair.maskPath, result.maxLabel, numClasses);
    if (totalPixels + result.width * result.height > MAX_TOTAL_PIXELS) {
      notes.push(`stopped loading at ${decoded.length} images: the in-memory cap of ${MAX_TOTAL_PIXELS / 1024 / 1024} megapixels was reached (lower --max-images to choose a seeded subset)`);
      break;
    }
    totalPixels += result.width * result.height;
    if (!fileByChannels.has(result.image.channels)) fileByChannels.set(result.image.channels, pair.imagePath ?? pair.maskPath);
    decoded.push({ id: result.id, width: result.width, height: result.height, channels: result.image.channels, pixels: result.image.data, labels: result.labels, ...groupOf(result.group ?? pair.group) });
  }
  // As profile does: the pairs' own problems first, then the unpaired files found while indexing.
  if (decoded.length === 0 && pairs.length > 0) throw noneReadable(pairs.length, index.masksDir, [...pairProblems, ...index.skipped]);
  if (slicedCases > 0) notes.push(`trained on ${decoded.length} 2D slices of ${slicedCases} volumes (every slice with foreground and half as many without, across the coarsest axis as nnU-Net 2d); each slice carries its case as its group, so a group-aware split keeps a volume on one side`);
  checkSomethingToTellApart(decoded, index.masksDir, index.ignoreIndex);
  return {
    images: sameChannelCount(decoded, fileByChannels),
    numClasses,
    classNames: recommendation.input.classNames.length === numClasses ? recommendation.input.classNames : Array.from({ length: numClasses }, (_, c) => index.classNames?.[c] ?? String(c)),
    ignoreIndex: index.ignoreIndex,
    background: backgroundOf(index.labels) ?? -1,
    bands: index.bands ?? null,
    notes,
    ...(dataset.groupPattern ? { groupPattern: dataset.groupPattern } : {}),
  };
}

function classesBeyondRecommendation(maskPath: string, maxLabel: number, numClasses: number): UserError {
  return new UserError(`${maskPath} has class id ${maxLabel}, but the recommendation is for ${numClasses} classes`, {
    fix: 'verify the dataset the recommendation was made for, or make a new one with `segloss recommend`',
  });
}

/** Verify trains on images: a masks-only dataset is a usage error (checked before any profiling). */
export function requireImages(index: Pick<DatasetIndex, 'hasImages' | 'masksDir'>): void {
  if (!index.hasImages) {
    throw new UserError(`verify trains on images, but ${index.masksDir} has masks only`, { fix: 'put the images in ROOT/images (or pass --images DIR)' });
  }
}

/**
 * Stops when the masks hold fewer than two classes once the ignore index is left out: nothing to
 * train. The usual cause is binary 0/255 masks read with the default --ignore-index 255.
 */
function checkSomethingToTellApart(images: readonly VerifyImage[], masksDir: string, ignoreIndex: number | null): void {
  if (images.length === 0) return;
  const seen = new Uint8Array(65536);
  let ignored = 0;
  for (const image of images) {
    for (const v of image.labels) {
      if (v === ignoreIndex) ignored++;
      else seen[v] = 1;
    }
  }
  const present = [...seen.keys()].filter((c) => seen[c]);
  if (present.length >= 2) return;
  const message =
    present.length === 0
      ? `every mask pixel in ${masksDir} is the ignore index ${ignoreIndex}: there is nothing to train on`
      : `${masksDir} has only one class (id ${present[0]})${ignored > 0 ? ` once the ignore index ${ignoreIndex} is left out (${ignored} px)` : ''}: there is nothing to tell apart`;
  const fix =
    ignored > 0 && ignoreIndex === 255
      ? 'if 255 marks your objects (0/255 black-and-white masks), pass --binarize to read values above 127 as class 1 (and leave out --ignore-index 255)'
      : ignored > 0
        ? `check --ignore-index ${ignoreIndex}: it is the label of every pixel that is not class ${present[0] ?? 0}`
        : 'verify needs masks with at least two classes (background and at least one object class)';
  throw new UserError(message, { fix });
}

/**
 * One network takes one input channel per band, so every image needs the same band count. Grey
 * images are expanded to RGB when the dataset mixes grey and colour images; any other mix (4-band
 * and 13-band, RGB and RGB+NIR) stops with the files named.
 */
function sameChannelCount(images: VerifyImage[], fileByChannels: ReadonlyMap<number, string>): VerifyImage[] {
  const counts = [...new Set(images.map((im) => im.channels))].sort((a, b) => a - b);
  if (counts.length <= 1) return images;
  if (counts.length > 2 || counts[0] !== 1 || counts[1] !== 3) {
    const listed = counts.map((c) => `${fileByChannels.get(c)} has ${c} band${c === 1 ? '' : 's'}`).join(', ');
    throw new UserError(`the images have different band counts (${listed}): verify trains one network, with one input channel per band`, {
      fix: `choose the same bands from every image with --bands (e.g. --bands ${Array.from({ length: Math.min(3, counts[0]) }, (_, i) => i + 1).join(',')}), or keep images with one band count`,
    });
  }
  return images.map((im) => {
    if (im.channels === 3) return im;
    const rgb = new Uint8Array(im.pixels.length * 3);
    for (let i = 0; i < im.pixels.length; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = im.pixels[i];
    return { ...im, channels: 3, pixels: rgb };
  });
}

/** The group field of a VerifyImage (absent when the pair has none: the split then uses its id). */
function groupOf(group: string | undefined): { group?: string } {
  return group !== undefined ? { group } : {};
}
