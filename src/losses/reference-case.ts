/**
 * Reading and checking a reference case file (`caseN.json`, format in ../shared/fixtures/README.md).
 * Every problem is a UserError naming the file and the field.
 */
import { UserError } from '../common/errors.js';

export interface ReferenceCase {
  file: string;
  /** [N, H, W, C] */
  shape: [number, number, number, number];
  ignoreIndex: number | null;
  classWeights: number[] | null;
  logits: number[];
  labels: number[];
  /** Fixture loss key -> expected value. */
  expected: Record<string, number>;
  /** Class id (as a string key) -> per-image Boundary IoU (null where both boundaries are empty). */
  boundaryIoU: Record<string, Array<number | null>> | null;
}

export const BOUNDARY_TABLE_KEY = 'boundary_iou_per_image_per_class_of_argmax';

export function parseReferenceCase(text: string, file: string): ReferenceCase {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${file}: not valid JSON (${(error as Error).message})`, { fix: 'regenerate the case file' });
  }
  const bad = (field: string, what: string) => new UserError(`${file}: "${field}" ${what}`, { fix: 'see the fixtures README.md for the case format' });
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad('(top level)', 'must be a JSON object');
  const data = raw as Record<string, unknown>;

  const shape = data.shape_nhwc;
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((v) => Number.isInteger(v) && v > 0)) {
    throw bad('shape_nhwc', 'must be four positive integers [N, H, W, C]');
  }
  const [n, h, w, c] = shape as number[];
  if (c < 2) throw bad('shape_nhwc', 'needs at least 2 classes');
  const ignoreIndex = data.ignore_index ?? null;
  if (ignoreIndex !== null && !Number.isInteger(ignoreIndex)) throw bad('ignore_index', 'must be an integer or null');
  const logits = data.logits;
  if (!Array.isArray(logits) || logits.length !== n * h * w * c || !logits.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw bad('logits', `must be ${n * h * w * c} finite numbers (N*H*W*C)`);
  }
  const labels = data.labels;
  if (!Array.isArray(labels) || labels.length !== n * h * w) throw bad('labels', `must be ${n * h * w} class ids (N*H*W)`);
  const badLabel = labels.findIndex((v) => !Number.isInteger(v) || ((v < 0 || v >= c) && v !== ignoreIndex));
  if (badLabel !== -1) throw bad('labels', `has ${JSON.stringify(labels[badLabel])} at index ${badLabel}: not in 0..${c - 1} nor the ignore index`);
  const classWeights = data.class_weights ?? null;
  if (classWeights !== null && (!Array.isArray(classWeights) || !classWeights.every((v) => typeof v === 'number'))) {
    throw bad('class_weights', 'must be an array of numbers or null');
  }
  const expected = data.expected;
  if (!expected || typeof expected !== 'object' || Array.isArray(expected)) throw bad('expected', 'must be an object of loss key -> number');
  for (const [key, value] of Object.entries(expected)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(`expected.${key}`, 'must be a finite number');
  }
  const table = data[BOUNDARY_TABLE_KEY] ?? null;
  if (table !== null) {
    if (typeof table !== 'object' || Array.isArray(table)) throw bad(BOUNDARY_TABLE_KEY, 'must be an object of class id -> per-image values');
    for (const [key, values] of Object.entries(table)) {
      if (!Array.isArray(values) || values.length !== n || !values.every((v) => v === null || (typeof v === 'number' && Number.isFinite(v)))) {
        throw bad(`${BOUNDARY_TABLE_KEY}.${key}`, `must be ${n} numbers or nulls (one per image)`);
      }
    }
  }
  return {
    file,
    shape: [n, h, w, c],
    ignoreIndex: ignoreIndex as number | null,
    classWeights: classWeights as number[] | null,
    logits: logits as number[],
    labels: labels as number[],
    expected: expected as Record<string, number>,
    boundaryIoU: table as Record<string, Array<number | null>> | null,
  };
}
