/**
 * Label conventions: how the values stored in a mask become class ids. Datasets publish their
 * labels in conventions a plain "value = class id" reading gets wrong: 0/255 building masks,
 * JPEG masks thresholded at 127 (Kvasir-SEG), Cityscapes' labelIds mapped to 19 trainIds,
 * ADE20K's and LoveDA's "reduce zero label" (0 = ignored, k -> k - 1). A format file carries its
 * dataset's convention and flags override it field by field (mergeLabelConventions).
 *
 * The convention is applied after decoding, in a fixed order: binarize, then the label map, then
 * reduce-zero-label; a pixel ends as a class id or as the ignore index. Every stored value maps
 * the same way in every mask, so the mapping is one lookup table per convention and bit depth
 * (256 or 65536 entries), built once and cached: a mask costs one table read per pixel.
 *
 * Pure apart from that cache; the convention itself is plain data (it crosses to worker threads).
 */
import { UserError } from '../common/errors.js';
import type { LabelConvention } from './types.js';

export const DEFAULT_BINARIZE_THRESHOLD = 127;

/** No mapping; class 0 is the background. */
export const DEFAULT_LABEL_CONVENTION: Readonly<LabelConvention> = Object.freeze({ binarize: null, labelMap: null, reduceZeroLabel: false, background: 0 });

/** The label map's source when segloss itself read 0/255 masks as background/foreground (see binary-masks.ts). */
export const BINARY_MASKS_SOURCE = 'masks holding only 0 and 255';

/**
 * The convention in force: each field from the flags when they set it (null included: `--binarize
 * none` turns a format's binarize off), else from the format, else the default.
 */
export function mergeLabelConventions(formatOnes?: Partial<LabelConvention> | null, flagOnes?: Partial<LabelConvention> | null): LabelConvention {
  const pick = <K extends keyof LabelConvention>(key: K): LabelConvention[K] => {
    if (flagOnes && flagOnes[key] !== undefined) return flagOnes[key] as LabelConvention[K];
    if (formatOnes && formatOnes[key] !== undefined) return formatOnes[key] as LabelConvention[K];
    return DEFAULT_LABEL_CONVENTION[key];
  };
  return { binarize: pick('binarize'), labelMap: pick('labelMap'), reduceZeroLabel: pick('reduceZeroLabel'), background: pick('background') };
}

/** True when the convention changes no stored value (decode can skip the table). */
export function mapsNothing(convention: LabelConvention | null | undefined): boolean {
  return !convention || (convention.binarize === null && convention.labelMap === null && !convention.reduceZeroLabel);
}

/** The background id of a convention (absent convention: class 0). */
export function backgroundOf(convention: LabelConvention | null | undefined): number | null {
  return convention ? convention.background : 0;
}

/** A table entry for values the label map rejects ('reject' for values it does not list). */
const REJECT = -1;

/**
 * Where one stored value ends: a class id, the ignore index, or REJECT. `ignore` is the value
 * ignored pixels carry; checkLabelConvention has made sure it exists when anything maps to it.
 */
export function mapStoredValue(value: number, convention: LabelConvention, ignoreIndex: number | null): number {
  const ignore = ignoreIndex ?? REJECT;
  // Binarize reads every stored value, the ignore index too: on 0/255 masks 255 is the object.
  let id = convention.binarize ? (value > convention.binarize.threshold ? 1 : 0) : value;
  if (convention.labelMap) {
    const target = labelMapLookup(convention.labelMap).get(id);
    if (target !== undefined) id = target === 'ignore' ? ignore : target;
    else if (convention.labelMap.others === 'ignore') id = ignore;
    else if (convention.labelMap.others === 'reject') return REJECT;
  }
  // MMSegmentation's reduce_zero_label: 0 -> ignored, k -> k - 1, ignored stays ignored.
  if (convention.reduceZeroLabel && id !== ignore) id = id === 0 ? ignore : id - 1;
  return id;
}

const mapLookups = new WeakMap<NonNullable<LabelConvention['labelMap']>, Map<number, number | 'ignore'>>();
function labelMapLookup(labelMap: NonNullable<LabelConvention['labelMap']>): Map<number, number | 'ignore'> {
  let lookup = mapLookups.get(labelMap);
  if (!lookup) {
    lookup = new Map(labelMap.entries);
    mapLookups.set(labelMap, lookup);
  }
  return lookup;
}

/** Tables per convention, keyed by ignore index and input range ("255:256"). */
const tables = new WeakMap<LabelConvention, Map<string, Int32Array>>();

/** The stored value -> class id table for inputs of `values` distinct values (256 or 65536). */
export function labelTable(convention: LabelConvention, ignoreIndex: number | null, values: 256 | 65536): Int32Array {
  let byKey = tables.get(convention);
  if (!byKey) {
    byKey = new Map();
    tables.set(convention, byKey);
  }
  const key = `${ignoreIndex}:${values}`;
  let table = byKey.get(key);
  if (!table) {
    table = new Int32Array(values);
    for (let v = 0; v < values; v++) table[v] = mapStoredValue(v, convention, ignoreIndex);
    byKey.set(key, table);
  }
  return table;
}

export interface AppliedLabels {
  /** Class ids, the ignore index for ignored pixels. */
  labels: Uint8Array | Uint16Array;
  /** Stored values the label map rejects, with pixel counts (empty when none). */
  rejected: Map<number, number>;
}

/**
 * Applies the convention to stored values. The result is 8-bit when every id fits, else 16-bit.
 * Rejected values are counted (their pixels hold the ignore index or 0), for the caller's message.
 */
export function applyLabelConvention(stored: Uint8Array | Uint16Array, convention: LabelConvention, ignoreIndex: number | null): AppliedLabels {
  const table = labelTable(convention, ignoreIndex, stored instanceof Uint8Array ? 256 : 65536);
  let widest = 0;
  let rejects = false;
  for (let v = 0; v < table.length; v++) {
    if (table[v] > widest) widest = table[v];
    else if (table[v] < 0) rejects = true;
  }
  const labels = widest > 255 ? new Uint16Array(stored.length) : new Uint8Array(stored.length);
  // The hot loop reads a table of the output's own type (rejected values hold the fallback), so
  // it stays one typed-array read and write per pixel; rejected values are counted separately.
  const fallback = ignoreIndex ?? 0;
  const typed = widest > 255 ? new Uint16Array(table.length) : new Uint8Array(table.length);
  const rejectFlag = new Uint8Array(table.length);
  for (let v = 0; v < table.length; v++) {
    typed[v] = table[v] >= 0 ? table[v] : fallback;
    rejectFlag[v] = table[v] < 0 ? 1 : 0;
  }
  const rejected = new Map<number, number>();
  const anyRejected = rejects ? mapThroughFlagging(stored, typed, rejectFlag, labels) : (mapThrough(stored, typed, labels), false);
  // Only a mask that holds a rejected value pays for counting them (it is skipped anyway).
  if (anyRejected) for (let i = 0; i < stored.length; i++) if (rejectFlag[stored[i]]) rejected.set(stored[i], (rejected.get(stored[i]) ?? 0) + 1);
  return { labels, rejected };
}

/** out[i] = table[input[i]]. */
function mapThrough(input: Uint8Array | Uint16Array, table: Uint8Array | Uint16Array, out: Uint8Array | Uint16Array): void {
  const n = input.length;
  for (let i = 0; i < n; i++) out[i] = table[input[i]];
}

/** out[i] = table[input[i]]; true when any input value has its flag set. */
function mapThroughFlagging(input: Uint8Array | Uint16Array, table: Uint8Array | Uint16Array, flag: Uint8Array, out: Uint8Array | Uint16Array): boolean {
  const n = input.length;
  let any = 0;
  for (let i = 0; i < n; i++) {
    const v = input[i];
    out[i] = table[v];
    any |= flag[v];
  }
  return any !== 0;
}

/** "3 (120 px), 7 (4 px) and 2 more": the first values with their pixel counts. */
export function describeValues(counts: Map<number, number>, shown = 5): string {
  const listed = [...counts].sort((a, b) => a[0] - b[0]).slice(0, shown).map(([v, n]) => `${v} (${n} px)`);
  const more = counts.size > shown ? ` and ${counts.size - shown} more` : '';
  return `${listed.join(', ')}${more}`;
}

export interface ConventionLimits {
  ignoreIndex: number | null;
  /** Declared class count, when known. */
  numClasses: number | null;
  /** Where it came from ('--num-classes' or a file), for messages. */
  numClassesSource?: string | null;
}

/**
 * Checks a convention against the classes before any mask is read: label-map targets must be
 * class ids (< numClasses, below the ignore index when the count is inferred) or the ignore index,
 * anything mapped to "ignore" needs an ignore index, the background must be a class. Messages name
 * the label map's file.
 */
export function checkLabelConvention(convention: LabelConvention, limits: ConventionLimits): void {
  const { ignoreIndex, numClasses } = limits;
  const counted = limits.numClassesSource ? ` (${limits.numClassesSource === '--num-classes' ? '--num-classes' : `named in ${limits.numClassesSource}`})` : '';
  const { binarize, labelMap, reduceZeroLabel, background } = convention;
  if (binarize && (!Number.isInteger(binarize.threshold) || binarize.threshold < 0 || binarize.threshold > 65534)) {
    throw new UserError(`binarize threshold ${binarize.threshold} is not a whole number in 0..65534`, { fix: `for example --binarize ${DEFAULT_BINARIZE_THRESHOLD} (values above it become class 1)` });
  }
  const ignores = reduceZeroLabel || (labelMap !== null && (labelMap.others === 'ignore' || labelMap.entries.some(([, to]) => to === 'ignore')));
  if (ignores && ignoreIndex === null) {
    const what = reduceZeroLabel ? '--reduce-zero-label maps 0 to ignored pixels' : `the label map ${labelMap!.source} maps values to "ignore"`;
    throw new UserError(`${what}, but --ignore-index is none: ignored pixels need a value`, { fix: 'leave --ignore-index at its default (255), or give a value no class uses' });
  }
  if (labelMap) {
    for (const [from, to] of labelMap.entries) {
      if (to === 'ignore' || to === ignoreIndex) continue;
      if (numClasses !== null && to >= numClasses) {
        throw new UserError(`label map ${labelMap.source}: value ${from} maps to class ${to}, but there are ${numClasses} classes${counted} (ids 0..${numClasses - 1})`, {
          fix: `map it to a class id below ${numClasses} or to "ignore"${limits.numClassesSource === '--num-classes' ? ', or raise --num-classes' : ''}`,
        });
      }
      if (numClasses === null && ignoreIndex !== null && to > ignoreIndex) {
        throw new UserError(`label map ${labelMap.source}: value ${from} maps to class ${to}, above the ignore index ${ignoreIndex}`, {
          fix: `class ids must lie below the ignore index: map it to a smaller id or to "ignore", or set --ignore-index above every class id`,
        });
      }
    }
  }
  if (background !== null) {
    if (!Number.isInteger(background) || background < 0 || background > 65535) {
      throw new UserError(`background class ${background} is not a whole number in 0..65535`, { fix: 'for example --background 0, or --background none when no class is background' });
    }
    if (background === ignoreIndex) {
      throw new UserError(`the background class ${background} is the ignore index`, { fix: 'give the id of the background class (--background ID), or --background none when no class is background' });
    }
    if (numClasses !== null && background >= numClasses) {
      throw new UserError(`the background class ${background} is not a class: there are ${numClasses} classes${counted} (ids 0..${numClasses - 1})`, {
        fix: `give an id below ${numClasses} (--background ID), or --background none when no class is background`,
      });
    }
  }
}

/** The convention in words, one line per step that changes values (empty for the default). */
export function describeLabelReading(convention: LabelConvention, ignoreIndex: number | null): string[] {
  const lines: string[] = [];
  const ignored = ignoreIndex === null ? 'ignored' : `ignored (${ignoreIndex})`;
  if (convention.binarize) lines.push(`binarized: stored values above ${convention.binarize.threshold} are class 1, the rest class 0`);
  const map = convention.labelMap;
  if (map && map.source !== BINARY_MASKS_SOURCE) {
    const others = map.others === 'keep' ? 'other values kept as they are' : map.others === 'ignore' ? `other values ${ignored}` : 'a mask with any other value is skipped';
    lines.push(`label map ${map.source}: ${map.entries.length} stored value${map.entries.length === 1 ? '' : 's'} mapped, ${others}`);
  }
  if (convention.reduceZeroLabel) lines.push(`reduce zero label: stored 0 is ${ignored}, every other id k is class k - 1`);
  if (convention.background === null) lines.push('no background class: every class counts as foreground (--background ID names one)');
  else if (convention.background !== 0) lines.push(`background is class ${convention.background}`);
  return lines;
}
