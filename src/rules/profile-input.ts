/** Reads a profile.json written by `segloss profile --out` and checks it is one, before any rule runs. */
import { readFile } from 'node:fs/promises';
import { UserError } from '../common/errors.js';
import { PROFILE_SCHEMA_VERSION, type DatasetProfile } from '../contracts/profile.js';
import { parseJsonWithPosition } from './validate.js';

const NUMBER_AGGREGATES = ['numClasses', 'imagesProfiled', 'validPixels', 'ignoredPixels', 'backgroundShare', 'foregroundShare', 'smallestForegroundShare', 'smallestForegroundClassId', 'imbalanceRatio', 'rareClassCount', 'objectCount'];
const NULLABLE_NUMBER_AGGREGATES = ['smallObjectShare', 'scaleSpreadDecades', 'objectAreaP10', 'objectAreaP50', 'objectAreaP90', 'ambiguousBoundaryShare', 'meanBoundaryContrast'];
const INTERVAL_AGGREGATES = ['backgroundShareCI95', 'foregroundShareCI95', 'smallestForegroundShareCI95', 'ambiguousBoundaryShareCI95'];

const FIX = 'pass a profile.json written by `segloss profile DIR --out OUT`, or give the dataset directory instead of --profile';

function fail(path: string, problem: string): never {
  throw new UserError(`${path} is not a usable DatasetProfile: ${problem}`, { fix: FIX });
}

/** Checks the parts of a DatasetProfile the rules read; returns it typed. */
export function validateProfile(json: unknown, path: string): DatasetProfile {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(path, 'the file is not a JSON object');
  const obj = json as Record<string, unknown>;
  if (obj.kind !== 'DatasetProfile') fail(path, `"kind" is ${JSON.stringify(obj.kind)}, expected "DatasetProfile"`);
  if (obj.schemaVersion !== PROFILE_SCHEMA_VERSION) {
    fail(path, `schemaVersion ${JSON.stringify(obj.schemaVersion)} is not supported (this segloss reads version ${PROFILE_SCHEMA_VERSION}); re-run \`segloss profile\` with this version`);
  }
  const aggregates = obj.aggregates as Record<string, unknown> | undefined;
  if (typeof aggregates !== 'object' || aggregates === null) fail(path, '"aggregates" is missing');
  for (const name of NUMBER_AGGREGATES) {
    if (typeof aggregates[name] !== 'number' || !Number.isFinite(aggregates[name])) fail(path, `aggregates.${name} must be a number, got ${JSON.stringify(aggregates[name])}`);
  }
  for (const name of NULLABLE_NUMBER_AGGREGATES) {
    const value = aggregates[name];
    if (value !== null && (typeof value !== 'number' || !Number.isFinite(value))) fail(path, `aggregates.${name} must be a number or null, got ${JSON.stringify(value)}`);
  }
  for (const name of INTERVAL_AGGREGATES) {
    const value = aggregates[name];
    const ok = value === null || value === undefined || (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number'));
    if (!ok) fail(path, `aggregates.${name} must be [low, high] or null`);
  }
  if (!Array.isArray(aggregates.absentClassIds)) fail(path, 'aggregates.absentClassIds must be a list');
  const dataset = obj.dataset as Record<string, unknown> | undefined;
  if (typeof dataset !== 'object' || dataset === null || typeof dataset.hasImages !== 'boolean' || !Array.isArray(dataset.classNames)) {
    fail(path, '"dataset" must say hasImages and classNames');
  }
  if (!Array.isArray(obj.classes)) fail(path, '"classes" must be a list');
  for (const cls of obj.classes as Array<Record<string, unknown>>) {
    if (typeof cls?.id !== 'number' || typeof cls?.pixelShare !== 'number') fail(path, 'every entry of "classes" needs a numeric id and pixelShare');
  }
  // Older or partial profiles may lack CI fields; treat them as "no sampling".
  for (const name of INTERVAL_AGGREGATES) if (aggregates[name] === undefined) aggregates[name] = null;
  return json as DatasetProfile;
}

export async function readProfileFile(path: string): Promise<DatasetProfile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read profile ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { fix: FIX });
  }
  return validateProfile(parseJsonWithPosition(text, path, 'profile'), path);
}
