/**
 * Reads a profile.json written by `segloss profile --out` and checks it is one, before any rule
 * runs: the types of the fields the rules read and their VALUES (a share of -3 or 5 would
 * otherwise drive a recommendation): shares in [0, 1], counts whole and >= 0, confidence
 * intervals ordered, the class list consistent with numClasses. Every problem names the field and
 * the file.
 */
import { UserError } from '../common/errors.js';
import { checkJsonDepth, readBoundedTextFile } from '../common/input-file.js';
import { PROFILE_SCHEMA_VERSION, type DatasetProfile } from '../contracts/profile.js';
import { parseJsonWithPosition } from './validate.js';

/** Aggregates that are shares of pixels or objects: numbers in [0, 1]. */
const SHARES = ['backgroundShare', 'foregroundShare', 'smallestForegroundShare'];
const NULLABLE_SHARES = ['smallObjectShare', 'ambiguousBoundaryShare'];
/** Aggregates that are counts: whole numbers >= 0. */
const COUNTS = ['numClasses', 'imagesProfiled', 'validPixels', 'ignoredPixels', 'rareClassCount', 'objectCount'];
/** Other non-negative measures (null when not measurable). */
const NULLABLE_NON_NEGATIVE = ['scaleSpreadDecades', 'objectAreaP10', 'objectAreaP50', 'objectAreaP90', 'meanBoundaryContrast'];
const INTERVAL_AGGREGATES = ['backgroundShareCI95', 'foregroundShareCI95', 'smallestForegroundShareCI95', 'ambiguousBoundaryShareCI95'];

/** A profile of 65,536 classes is ~50 MB; nothing the profiler writes nests deeper than 5. */
export const PROFILE_FILE_LIMITS = { maxBytes: 128 * 1024 * 1024, maxJsonDepth: 32 } as const;

const FIX = 'pass a profile.json written by `segloss profile DIR --out OUT`, or give the dataset directory instead of --profile';
/** Sums of shares are floating-point: a profile's rounding is far below this. */
const SUM_TOLERANCE = 1e-6;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const show = (value: unknown): string => (value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value)).slice(0, 80));

/** Collects every problem so the user sees them together. */
class Problems {
  readonly list: string[] = [];
  add(field: string, problem: string, value?: unknown): void {
    this.list.push(`${field} ${problem}${arguments.length > 2 ? `, got ${show(value)}` : ''}`);
  }
  share(field: string, value: unknown, nullable = false): void {
    if (nullable && value === null) return;
    if (!isNumber(value) || value < 0 || value > 1) this.add(field, `must be a share in [0, 1]${nullable ? ' or null' : ''}`, value);
  }
  count(field: string, value: unknown, min = 0): void {
    if (!isNumber(value) || !Number.isInteger(value) || value < min) this.add(field, `must be a whole number >= ${min}`, value);
  }
  nonNegative(field: string, value: unknown): void {
    if (value !== null && (!isNumber(value) || value < 0)) this.add(field, 'must be a number >= 0 or null', value);
  }
  interval(field: string, value: unknown): void {
    if (value === null || value === undefined) return;
    if (!Array.isArray(value) || value.length !== 2 || !value.every(isNumber)) this.add(field, 'must be [low, high] or null', value);
    else if (value[0] < 0 || value[1] > 1 || value[0] > value[1]) this.add(field, 'must be [low, high] with 0 <= low <= high <= 1', value);
  }
}

function fail(path: string, problems: string[]): never {
  const shown = problems.slice(0, 8);
  const more = problems.length > shown.length ? `\n  ... and ${problems.length - shown.length} more` : '';
  throw new UserError(`${path} is not a usable DatasetProfile:\n  ${shown.join('\n  ')}${more}`, { fix: FIX });
}

function checkAggregates(a: Json, p: Problems): void {
  for (const name of SHARES) p.share(`aggregates.${name}`, a[name]);
  for (const name of NULLABLE_SHARES) p.share(`aggregates.${name}`, a[name], true);
  for (const name of COUNTS) p.count(`aggregates.${name}`, a[name]);
  for (const name of NULLABLE_NON_NEGATIVE) p.nonNegative(`aggregates.${name}`, a[name]);
  for (const name of INTERVAL_AGGREGATES) p.interval(`aggregates.${name}`, a[name]);
  if (!isNumber(a.imbalanceRatio) || a.imbalanceRatio < 1) p.add('aggregates.imbalanceRatio', 'must be a number >= 1 (largest share / smallest present share)', a.imbalanceRatio);
  if (isNumber(a.backgroundShare) && isNumber(a.foregroundShare) && Math.abs(a.backgroundShare + a.foregroundShare - 1) > SUM_TOLERANCE) {
    p.add('aggregates.foregroundShare', `must be 1 - backgroundShare (${1 - a.backgroundShare})`, a.foregroundShare);
  }
  const numClasses = a.numClasses;
  if (!isNumber(numClasses)) return;
  if (!Number.isInteger(a.smallestForegroundClassId) || (a.smallestForegroundClassId as number) < -1 || (a.smallestForegroundClassId as number) >= numClasses) {
    p.add('aggregates.smallestForegroundClassId', `must be a class id below numClasses (${numClasses}), or -1 when no foreground class is present`, a.smallestForegroundClassId);
  }
  if (isNumber(a.rareClassCount) && a.rareClassCount > numClasses) p.add('aggregates.rareClassCount', `must not exceed numClasses (${numClasses})`, a.rareClassCount);
  if (!Array.isArray(a.absentClassIds)) p.add('aggregates.absentClassIds', 'must be a list of class ids', a.absentClassIds);
  else if (!a.absentClassIds.every((id) => Number.isInteger(id) && id >= 1 && id < numClasses)) {
    p.add('aggregates.absentClassIds', `must list foreground class ids from 1 to ${numClasses - 1}`, a.absentClassIds);
  }
  const percentiles = [a.objectAreaP10, a.objectAreaP50, a.objectAreaP90];
  if (percentiles.every(isNumber) && !(percentiles[0] <= percentiles[1] && percentiles[1] <= percentiles[2])) {
    p.add('aggregates.objectAreaP10/P50/P90', 'must be in increasing order', percentiles);
  }
}

function checkClasses(classes: unknown[], numClasses: number, validPixels: unknown, p: Problems): void {
  if (classes.length !== numClasses) p.add('classes', `must list numClasses (${numClasses}) classes, one per id; it lists ${classes.length}`);
  const seen = new Set<number>();
  let shareSum = 0;
  classes.forEach((cls, i) => {
    const at = `classes[${i}]`;
    if (!isObject(cls)) return p.add(at, 'must be an object with id, pixelCount and pixelShare');
    if (!Number.isInteger(cls.id) || (cls.id as number) < 0 || (cls.id as number) >= numClasses) p.add(`${at}.id`, `must be a class id from 0 to ${numClasses - 1}`, cls.id);
    else if (seen.has(cls.id as number)) p.add(`${at}.id`, 'appears twice', cls.id);
    else seen.add(cls.id as number);
    p.share(`${at}.pixelShare`, cls.pixelShare);
    if (cls.imageShare !== undefined) p.share(`${at}.imageShare`, cls.imageShare);
    if (cls.pixelCount !== undefined) p.count(`${at}.pixelCount`, cls.pixelCount);
    if (cls.imagesWithClass !== undefined) p.count(`${at}.imagesWithClass`, cls.imagesWithClass);
    p.interval(`${at}.pixelShareCI95`, cls.pixelShareCI95);
    p.interval(`${at}.imageShareCI95`, cls.imageShareCI95);
    if (isNumber(cls.pixelShare)) shareSum += cls.pixelShare;
  });
  if (isNumber(validPixels) && validPixels > 0 && classes.length > 0 && Math.abs(shareSum - 1) > 1e-3) {
    p.add('classes[].pixelShare', `must sum to 1 over the classes (they sum to ${shareSum.toPrecision(4)})`);
  }
}

/** Checks the parts of a DatasetProfile the rules read, types and values; returns it typed. */
export function validateProfile(json: unknown, path: string): DatasetProfile {
  if (!isObject(json)) fail(path, ['the file is not a JSON object']);
  if (json.kind !== 'DatasetProfile') fail(path, [`"kind" is ${show(json.kind)}, expected "DatasetProfile"`]);
  if (json.schemaVersion !== PROFILE_SCHEMA_VERSION) {
    fail(path, [`schemaVersion ${show(json.schemaVersion)} is not supported (this segloss reads version ${PROFILE_SCHEMA_VERSION}); re-run \`segloss profile\` with this version`]);
  }
  const p = new Problems();
  const aggregates = json.aggregates;
  const dataset = json.dataset;
  if (!isObject(aggregates)) fail(path, ['"aggregates" is missing']);
  checkAggregates(aggregates, p);
  const numClasses = isNumber(aggregates.numClasses) && Number.isInteger(aggregates.numClasses) && aggregates.numClasses >= 0 ? aggregates.numClasses : null;
  if (!isObject(dataset) || typeof dataset.hasImages !== 'boolean' || !Array.isArray(dataset.classNames)) {
    p.add('dataset', 'must say hasImages (true or false) and classNames (a list)');
  } else {
    if (!dataset.classNames.every((name) => typeof name === 'string')) p.add('dataset.classNames', 'must be a list of strings');
    if (numClasses !== null && dataset.classNames.length !== numClasses) p.add('dataset.classNames', `must name numClasses (${numClasses}) classes; it names ${dataset.classNames.length}`);
    const ignore = dataset.ignoreIndex;
    if (ignore !== undefined && ignore !== null && (!Number.isInteger(ignore) || (ignore as number) < 0 || (ignore as number) > 65535)) {
      p.add('dataset.ignoreIndex', 'must be null or a whole number from 0 to 65535', ignore);
    }
    const background = dataset.background;
    if (background !== undefined && background !== null && (!Number.isInteger(background) || (background as number) < 0 || (background as number) > 65535)) {
      p.add('dataset.background', 'must be null (no background class) or a class id from 0 to 65535', background);
    }
    if (dataset.labelNotes !== undefined && !(Array.isArray(dataset.labelNotes) && dataset.labelNotes.every((n) => typeof n === 'string'))) {
      p.add('dataset.labelNotes', 'must be a list of strings', dataset.labelNotes);
    }
  }
  if (!Array.isArray(json.classes)) p.add('classes', 'must be a list');
  else if (numClasses !== null) checkClasses(json.classes, numClasses, aggregates.validPixels, p);
  if (p.list.length > 0) fail(path, p.list);
  // Older or partial profiles may lack CI fields; treat them as "no sampling".
  for (const name of INTERVAL_AGGREGATES) if (aggregates[name] === undefined) aggregates[name] = null;
  return json as unknown as DatasetProfile;
}

export async function readProfileFile(path: string): Promise<DatasetProfile> {
  const text = await readBoundedTextFile(path, { what: 'profile', maxBytes: PROFILE_FILE_LIMITS.maxBytes, fix: FIX });
  checkJsonDepth(text, PROFILE_FILE_LIMITS.maxJsonDepth, path, 'profile', FIX);
  return validateProfile(parseJsonWithPosition(text, path, 'profile'), path);
}
