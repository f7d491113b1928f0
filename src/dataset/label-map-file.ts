/**
 * Reading --label-map FILE: which class id each stored mask value stands for. The shape is one
 * JSON object, stored value -> class id or "ignore", and an optional "default" for values not
 * listed ("keep" them as they are, the default; "ignore" them; or "reject": skip a mask holding
 * one, naming the value). Cityscapes' labelIds -> trainIds, for example:
 *
 *   {"7": 0, "8": 1, "11": 2, ..., "33": 18, "default": "ignore"}
 *
 * Problems are reported with the file, the line and the fix, as rule files are; class ids are
 * checked against the classes later (labels.ts checkLabelConvention), once the count is known.
 */
import { describeProblem, readRegularFile, RegularFileError } from '../common/regular-file.js';
import { UserError } from '../common/errors.js';
import { parseJsonWithPosition } from '../rules/validate.js';
import type { LabelConvention } from './types.js';

export const LABEL_MAP_FORMAT = '{"7": 0, "8": 1, "0": "ignore", "default": "ignore"}: stored value -> class id or "ignore", "default" (optional) = "keep", "ignore" or "reject" for values not listed';

/** A label map lists at most 65536 values: far below this (a link to /dev/zero is refused). */
const MAX_LABEL_MAP_BYTES = 4 * 1024 * 1024;

const OTHERS = ['keep', 'ignore', 'reject'] as const;

/** " (line N)" of the first `"key":` in the text, for messages; empty when not found. */
function lineOfKey(text: string, key: string): string {
  const quoted = JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${quoted}\\s*:`).exec(text);
  return match ? ` (line ${text.slice(0, match.index).split('\n').length})` : '';
}

export async function readLabelMap(file: string): Promise<NonNullable<LabelConvention['labelMap']>> {
  let text: string;
  try {
    text = (await readRegularFile(file, MAX_LABEL_MAP_BYTES)).toString('utf8');
  } catch (error) {
    const reason = error instanceof RegularFileError ? describeProblem(error.problem) : (error as Error).message;
    throw new UserError(`cannot read the label map ${file}: it ${reason}`, { fix: `check the path; the file holds ${LABEL_MAP_FORMAT}` });
  }
  return parseLabelMap(text, file);
}

/** The label map in a file's text; `file` names it in messages. */
export function parseLabelMap(text: string, file: string): NonNullable<LabelConvention['labelMap']> {
  const json = parseJsonWithPosition(text, file, 'label map') as unknown;
  const bad = (problem: string, key?: string): UserError =>
    new UserError(`label map ${file}${key === undefined ? '' : lineOfKey(text, key)}: ${problem}`, { fix: `write it as ${LABEL_MAP_FORMAT}` });
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('expected one JSON object of stored value -> class id');
  const entries: Array<[number, number | 'ignore']> = [];
  let others: (typeof OTHERS)[number] = 'keep';
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if (key === 'default') {
      if (typeof value !== 'string' || !(OTHERS as readonly string[]).includes(value)) throw bad(`"default" is ${JSON.stringify(value)}; it must be "keep", "ignore" or "reject"`, key);
      others = value as (typeof OTHERS)[number];
      continue;
    }
    if (!/^\d+$/.test(key) || Number(key) > 65535) throw bad(`key ${JSON.stringify(key)} is not a stored value (a whole number in 0..65535) or "default"`, key);
    if (value === 'ignore') entries.push([Number(key), 'ignore']);
    else if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535) entries.push([Number(key), value]);
    else throw bad(`value ${key} maps to ${JSON.stringify(value)}; it must be a class id (a whole number in 0..65535) or "ignore"`, key);
  }
  if (entries.length === 0) throw bad('no stored values listed');
  // JSON.parse keeps the last of two equal keys; "7" and "07" are the same value. Either way one was meant.
  const seen = new Set<number>();
  for (const [from] of entries) {
    if (seen.has(from)) throw bad(`stored value ${from} is listed twice`, String(from));
    seen.add(from);
  }
  return { source: file, entries: entries.sort((a, b) => a[0] - b[0]), others };
}
