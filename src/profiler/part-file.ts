/**
 * Reading a profile part back (`segloss merge`): a bounded regular file, JSON with line/column on
 * a syntax error, and the shape checked field by field before anything is added up, so a part that
 * was cut short, edited by hand or is another kind of file is refused with its name and the field.
 */
import { checkJsonDepth, readBoundedTextFile } from '../common/input-file.js';
import { UserError } from '../common/errors.js';
import { parseJsonWithPosition } from '../rules/validate.js';
import { PROFILE_PART_SCHEMA_VERSION, type ProfilePart } from '../contracts/profile-part.js';
import type { PartFile } from './merge.js';
import { volumeStateProblem } from './volume-aggregate.js';

const LIMITS = { maxBytes: 256 * 1024 * 1024, maxJsonDepth: 32 } as const;
const FIX = 'pass the profile-part-K-of-N.json files that `segloss profile DIR --shard K/N --out DIR` wrote, unchanged';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(path: string, field: string, what: string): never {
  throw new UserError(`${path}: ${field} ${what}`, { fix: FIX });
}

function count(path: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(path, field, 'is not a whole number >= 0');
  return value;
}

function finite(path: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, field, 'is not a finite number');
  return value;
}

function object(path: string, field: string, value: unknown): Json {
  if (!isObject(value)) fail(path, field, 'is not an object');
  return value;
}

function sketchOk(path: string, field: string, value: unknown): void {
  const sketch = object(path, field, value);
  count(path, `${field}.count`, sketch.count);
  if (!Array.isArray(sketch.articleBins) || sketch.articleBins.length !== 4) fail(path, `${field}.articleBins`, 'is not 4 counts');
  sketch.articleBins.forEach((n, i) => count(path, `${field}.articleBins[${i}]`, n));
  if (!Array.isArray(sketch.bins)) fail(path, `${field}.bins`, 'is not a list');
  sketch.bins.forEach((bin, i) => {
    if (!Array.isArray(bin) || bin.length !== 2) fail(path, `${field}.bins[${i}]`, 'is not a [bin, count] pair');
    count(path, `${field}.bins[${i}][0]`, bin[0]);
    count(path, `${field}.bins[${i}][1]`, bin[1]);
  });
  for (const key of ['min', 'max'] as const) if (sketch[key] !== null) finite(path, `${field}.${key}`, sketch[key]);
}

/** Checks a parsed part's shape; returns it typed. */
export function validateProfilePart(json: unknown, path: string): ProfilePart {
  const part = object(path, 'the file', json);
  if (part.kind !== 'DatasetProfilePart') fail(path, 'kind', `is ${JSON.stringify(part.kind)}, not "DatasetProfilePart" (is this a profile part?)`);
  if (part.schemaVersion !== PROFILE_PART_SCHEMA_VERSION) fail(path, 'schemaVersion', `is ${JSON.stringify(part.schemaVersion)}; this segloss reads ${PROFILE_PART_SCHEMA_VERSION}`);
  const tool = object(path, 'tool', part.tool);
  if (typeof tool.version !== 'string') fail(path, 'tool.version', 'is not a string');
  const shard = object(path, 'shard', part.shard);
  const n = count(path, 'shard.count', shard.count);
  const k = count(path, 'shard.index', shard.index);
  if (n < 1 || k >= n) fail(path, 'shard', `${k}/${n} is not a shard K/N with K < N`);
  if (count(path, 'shard.start', shard.start) > count(path, 'shard.end', shard.end)) fail(path, 'shard', 'starts after it ends');
  for (const key of ['datasetFingerprint', 'settingsFingerprint'] as const) if (typeof part[key] !== 'string') fail(path, key, 'is not a string');
  object(path, 'settings', part.settings);
  const context = object(path, 'context', part.context);
  if (typeof context.masksDir !== 'string') fail(path, 'context.masksDir', 'is not a string');
  object(path, 'context.boundary', context.boundary);
  for (const key of ['indexSkipped', 'pairSkipped'] as const) {
    if (!Array.isArray(part[key])) fail(path, key, 'is not a list');
    (part[key] as unknown[]).forEach((item, i) => {
      const it = object(path, `${key}[${i}]`, item);
      for (const f of ['file', 'problem', 'fix']) if (typeof it[f] !== 'string') fail(path, `${key}[${i}].${f}`, 'is not a string');
    });
  }
  const acc = object(path, 'accumulator', part.accumulator);
  for (const key of ['images', 'validPixels', 'ignoredPixels', 'imagesWithBoundary']) count(path, `accumulator.${key}`, acc[key]);
  const valid = object(path, 'accumulator.valid', acc.valid);
  for (const key of ['n', 'sumX', 'sumXX']) finite(path, `accumulator.valid.${key}`, valid[key]);
  const ambiguous = object(path, 'accumulator.ambiguous', acc.ambiguous);
  for (const key of ['n', 'sumY', 'sumX', 'sumYY', 'sumXX', 'sumXY']) finite(path, `accumulator.ambiguous.${key}`, ambiguous[key]);
  if (acc.imageBands !== undefined) {
    // Band count -> images (multi-band images); a part written before them has none.
    const bands = object(path, 'accumulator.imageBands', acc.imageBands);
    for (const [key, value] of Object.entries(bands)) {
      if (!/^[1-9]\d?$/.test(key)) fail(path, 'accumulator.imageBands', `has a key ${JSON.stringify(key).slice(0, 20)} that is not a band count`);
      count(path, `accumulator.imageBands.${key}`, value);
    }
  }
  for (const key of ['minSize', 'maxSize']) {
    const size = acc[key];
    if (size !== null && (!Array.isArray(size) || size.length !== 2)) fail(path, `accumulator.${key}`, 'is not [width, height] or null');
  }
  if (!Array.isArray(acc.classes) || acc.classes.length > 65536) fail(path, 'accumulator.classes', 'is not a list of at most 65536 classes');
  acc.classes.forEach((entry, c) => {
    const t = object(path, `accumulator.classes[${c}]`, entry);
    for (const key of ['pixelCount', 'imagesWithClass', 'boundaryPixels', 'ambiguousPixels']) count(path, `accumulator.classes[${c}].${key}`, t[key]);
    for (const key of ['sumY', 'sumYY', 'sumXY', 'contrastSum']) finite(path, `accumulator.classes[${c}].${key}`, t[key]);
    sketchOk(path, `accumulator.classes[${c}].objects`, t.objects);
  });
  if (acc.volumes !== undefined) {
    const problem = volumeStateProblem(acc.volumes);
    if (problem) fail(path, 'accumulator.volumes', problem);
  }
  finite(path, 'elapsedSeconds', part.elapsedSeconds);
  return part as unknown as ProfilePart;
}

export async function readProfilePart(path: string): Promise<PartFile> {
  const text = await readBoundedTextFile(path, { what: 'profile part', maxBytes: LIMITS.maxBytes, fix: FIX });
  checkJsonDepth(text, LIMITS.maxJsonDepth, path, 'profile part', FIX);
  return { file: path, part: validateProfilePart(parseJsonWithPosition(text, path, 'profile part'), path) };
}
