/**
 * Decode one pair and measure it: the unit of work a profiler worker (or the main thread, for
 * tiny datasets) runs. A bad pair comes back as a skipped item, never as a thrown error.
 */
import { decodePair, PairProblem, toSkippedItem, type DatasetIndex, type DatasetPair, type DecodeContext } from '../dataset/index.js';
import type { SkippedItem } from '../contracts/profile.js';
import { measureMask, type MeasureOptions, type MaskStats } from './mask-stats.js';
import { decodeVolumePair, isVolumePair } from '../dataset/volume.js';
import { measureVolume } from './measure-volume.js';

export type PairResult = { ok: true; stats: MaskStats } | { ok: false; skipped: SkippedItem };

export type { DecodeContext };

/** The parts of the dataset index decodePair reads (never the pair list: that may be huge). */
export function decodeContextOf(index: DatasetIndex): DecodeContext {
  return { numClasses: index.numClasses, ignoreIndex: index.ignoreIndex, colormap: index.colormap, numClassesSource: index.numClassesSource, maxPixels: index.maxPixels, bands: index.bands ?? null };
}

export async function measurePair(pair: DatasetPair, context: DecodeContext, options: MeasureOptions): Promise<PairResult> {
  try {
    // A NIfTI case: one volume at a time, measured slice by slice and in 3D.
    if (isVolumePair(pair)) return { ok: true, stats: measureVolume(await decodeVolumePair(pair, context), options) };
    const decoded = await decodePair(pair, context);
    return { ok: true, stats: measureMask(decoded, options) };
  } catch (error) {
    if (error instanceof PairProblem) return { ok: false, skipped: toSkippedItem(error) };
    throw new Error(`${pair.maskPath}: ${(error as Error).message ?? String(error)}`);
  }
}
