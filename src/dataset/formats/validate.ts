/**
 * Validates a dataset format file before any folder is read, the way rule files are validated:
 * JSON syntax with line and column, unknown fields, wrong types, paths that leave the dataset
 * root, bad regular expressions, unknown readers. Every problem names the file and the field,
 * and all of them are listed at once (exit 2).
 */
import { UserError } from '../../common/errors.js';
import { checkJsonDepth } from '../../common/input-file.js';
import { parseJsonWithPosition } from '../../rules/validate.js';
import type { LabelConvention } from '../types.js';
import { READERS } from './readers.js';
import { FORMAT_FILE_LIMITS, FORMAT_FILE_SCHEMA, type FormatSpec } from './schema.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

const FORMAT_KEYS = [
  '$schema', 'schema', 'name', 'title', 'description', 'source', 'detect', 'images', 'masks', 'ids', 'recursive', 'splits', 'defaultSplit',
  'imageSuffixes', 'maskSuffixes', 'maskSuffixRequired', 'labels', 'suffixLabels', 'ignoreIndex', 'classes', 'group', 'groupMeaning', 'reader', 'options',
];
const LABEL_KEYS = ['binarize', 'labelMap', 'reduceZeroLabel', 'background'];
const NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
const SPLIT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: Json): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

class Problems {
  readonly list: string[] = [];
  constructor(private readonly file: string) {}
  add(field: string, problem: string): void {
    this.list.push(`${this.file}: "${field}" ${problem}`);
  }
}

function text(json: JsonObject, key: string, problems: Problems, required: boolean): string | undefined {
  const value = json[key];
  if (value === undefined) {
    if (required) problems.add(key, 'is required (a non-empty string)');
    return undefined;
  }
  if (typeof value !== 'string' || value.trim() === '') {
    problems.add(key, `must be a non-empty string, got ${show(value)}`);
    return undefined;
  }
  return value;
}

function bool(json: JsonObject, key: string, problems: Problems, fallback: boolean): boolean {
  const value = json[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') problems.add(key, `must be true or false, got ${show(value)}`);
  return value === true;
}

function textList(value: Json, key: string, problems: Problems, max: number): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.add(key, `must be a list of strings, got ${show(value)}`);
    return [];
  }
  if (value.length > max) problems.add(key, `has ${value.length} entries, above the limit of ${max}`);
  const out: string[] = [];
  value.forEach((item, i) => {
    if (typeof item !== 'string' || item === '') problems.add(`${key}[${i}]`, `must be a non-empty string, got ${show(item)}`);
    else out.push(item);
  });
  return out;
}

/**
 * A path inside the dataset root: "/"-separated, relative, no "." or ".." segment, no backslash.
 * `{split}` is allowed where `allowSplit`; a trailing "/" marks a folder in detection markers.
 */
function checkPath(path: string, field: string, problems: Problems, allowSplit: boolean): void {
  const body = path.startsWith('!') ? path.slice(1) : path;
  const segments = body.replace(/\/$/, '').split('/');
  if (body.startsWith('/') || /^[A-Za-z]:/.test(body)) problems.add(field, `must be relative to the dataset root, got ${show(path)}`);
  else if (body.includes('\\')) problems.add(field, `separates folders with "/", not "\\", got ${show(path)}`);
  else if (segments.some((s) => s === '' || s === '.' || s === '..')) problems.add(field, `must stay inside the dataset root (no empty, "." or ".." part), got ${show(path)}`);
  else if (!allowSplit && path.includes('{split}')) problems.add(field, `cannot use {split} (detection looks at the root as it is), got ${show(path)}`);
  else if (/[{}]/.test(body.replaceAll('{split}', ''))) problems.add(field, `only {split} may appear in braces, got ${show(path)}`);
}

function folders(json: JsonObject, key: 'images' | 'masks', problems: Problems, required: boolean): string[] {
  const value = json[key];
  if (value === undefined || value === null) {
    if (required && value === undefined) problems.add(key, key === 'masks' ? 'is required: the folder(s) holding the label masks, e.g. "masks" or "gtFine/{split}"' : 'is required (null for masks only)');
    return [];
  }
  const list = typeof value === 'string' ? [value] : value;
  const paths = textList(list, key, problems, FORMAT_FILE_LIMITS.maxFolders);
  if (Array.isArray(list) && list.length === 0 && key === 'masks') problems.add(key, 'needs at least one folder');
  for (const path of paths) checkPath(path, key, problems, true);
  return paths.map((p) => p.replace(/\/$/, ''));
}

function wholeNumber(value: Json, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** A label convention in JSON -> the LabelConvention fields it sets. */
function labelConvention(value: Json, field: string, file: string, problems: Problems): Partial<LabelConvention> {
  if (value === undefined) return {};
  if (!isObject(value)) {
    problems.add(field, `must be an object with some of ${LABEL_KEYS.join(', ')}, got ${show(value)}`);
    return {};
  }
  const out: Partial<LabelConvention> = {};
  for (const key of Object.keys(value)) if (!LABEL_KEYS.includes(key)) problems.add(`${field}.${key}`, `is not a label convention field (allowed: ${LABEL_KEYS.join(', ')})`);
  if (Object.hasOwn(value, 'binarize')) {
    const b = value.binarize;
    if (b === null) out.binarize = null;
    else if (isObject(b) && Object.keys(b).length === 1 && wholeNumber(b.threshold, 0, 65534)) out.binarize = { threshold: b.threshold };
    else problems.add(`${field}.binarize`, `must be {"threshold": N} (values above N become 1, the rest 0; N in 0..65534) or null, got ${show(b)}`);
  }
  if (Object.hasOwn(value, 'labelMap')) {
    const m = value.labelMap;
    if (m === null) out.labelMap = null;
    else if (!isObject(m) || !isObject(m.entries) || Object.keys(m).some((k) => k !== 'entries' && k !== 'others')) {
      problems.add(`${field}.labelMap`, `must be {"entries": {"7": 0, "8": 1, ...}, "others": "ignore" | "keep"} or null, got ${show(m)}`);
    } else {
      const others = m.others ?? 'keep';
      if (others !== 'keep' && others !== 'ignore') problems.add(`${field}.labelMap.others`, `must be "keep" or "ignore", got ${show(others)}`);
      const keys = Object.keys(m.entries);
      if (keys.length > FORMAT_FILE_LIMITS.maxLabelMapEntries) problems.add(`${field}.labelMap.entries`, `has ${keys.length} entries, above the limit of ${FORMAT_FILE_LIMITS.maxLabelMapEntries}`);
      const entries: Array<[number, number | 'ignore']> = [];
      for (const key of keys) {
        const to = m.entries[key];
        if (!/^(0|[1-9]\d*)$/.test(key) || Number(key) > 65535) problems.add(`${field}.labelMap.entries`, `key ${show(key)} is not a stored value in 0..65535`);
        else if (to !== 'ignore' && !wholeNumber(to, 0, 65535)) problems.add(`${field}.labelMap.entries.${key}`, `must be a class id in 0..65535 or "ignore", got ${show(to)}`);
        else entries.push([Number(key), to as number | 'ignore']);
      }
      entries.sort((a, b) => a[0] - b[0]);
      out.labelMap = { source: file, entries, others: others === 'ignore' ? 'ignore' : 'keep' };
    }
  }
  if (Object.hasOwn(value, 'reduceZeroLabel')) {
    if (typeof value.reduceZeroLabel === 'boolean') out.reduceZeroLabel = value.reduceZeroLabel;
    else problems.add(`${field}.reduceZeroLabel`, `must be true or false, got ${show(value.reduceZeroLabel)}`);
  }
  if (Object.hasOwn(value, 'background')) {
    const bg = value.background;
    if (bg === null || wholeNumber(bg, 0, 65535)) out.background = bg;
    else problems.add(`${field}.background`, `must be a class id or null (no background class), got ${show(bg)}`);
  }
  return out;
}

/** A regular expression from a format file or --group; null when it does not compile. */
export function compileGroupPattern(pattern: string): { regex: RegExp } | { error: string } {
  if (pattern.length > FORMAT_FILE_LIMITS.maxPatternLength) return { error: `is ${pattern.length} characters, above the limit of ${FORMAT_FILE_LIMITS.maxPatternLength}` };
  try {
    return { regex: new RegExp(pattern) };
  } catch (error) {
    return { error: `is not a valid regular expression (${(error as Error).message})` };
  }
}

function check(json: JsonObject, file: string, problems: Problems): FormatSpec {
  for (const key of Object.keys(json)) if (!FORMAT_KEYS.includes(key)) problems.add(key, `is not a format field (allowed: ${FORMAT_KEYS.slice(1).join(', ')})`);
  if (json.schema !== FORMAT_FILE_SCHEMA) problems.add('schema', `must be "${FORMAT_FILE_SCHEMA}", got ${show(json.schema)}`);
  const name = text(json, 'name', problems, true);
  if (name !== undefined && !NAME.test(name)) problems.add('name', `must be lower-case letters, digits and "-" (at most 40), got ${show(name)}`);
  const description = text(json, 'description', problems, true);
  const reader = json.reader === undefined || json.reader === null ? null : text(json, 'reader', problems, false) ?? null;
  if (reader !== null && !Object.hasOwn(READERS, reader)) {
    const known = Object.keys(READERS);
    problems.add('reader', `names no reader segloss has (${known.length ? `known: ${known.join(', ')}` : 'none is installed'}), got ${show(reader)}`);
  }
  const detect = textList(json.detect, 'detect', problems, FORMAT_FILE_LIMITS.maxMarkers);
  if (json.detect === undefined) problems.add('detect', 'is required: the folders or files that show the layout, e.g. ["leftImg8bit/", "gtFine/"] ([] = only with --format)');
  for (const marker of detect) checkPath(marker, 'detect', problems, false);
  const images = folders(json, 'images', problems, reader === null);
  const masks = folders(json, 'masks', problems, reader === null);
  const ids = json.ids === undefined || json.ids === null ? null : text(json, 'ids', problems, false) ?? null;
  if (ids !== null) checkPath(ids, 'ids', problems, true);
  const splits = textList(json.splits, 'splits', problems, FORMAT_FILE_LIMITS.maxSplits);
  for (const split of splits) if (!SPLIT.test(split)) problems.add('splits', `${show(split)} is not a split name (letters, digits, "_", "-", ".")`);
  if (new Set(splits.map((s) => s.toLowerCase())).size !== splits.length) problems.add('splits', 'names a split twice');
  const usesSplit = [...images, ...masks, ids ?? ''].some((p) => p.includes('{split}'));
  if (reader === null && usesSplit && splits.length === 0) problems.add('splits', 'is required when a folder uses {split}: the split names, training split first');
  if (reader === null && !usesSplit && splits.length > 0) problems.add('splits', 'are listed but no folder or ids file uses {split}');
  let defaultSplit = json.defaultSplit === undefined ? (splits[0] ?? null) : (text(json, 'defaultSplit', problems, false) ?? null);
  if (defaultSplit !== null && splits.length > 0 && !splits.includes(defaultSplit)) {
    problems.add('defaultSplit', `must be one of the splits (${splits.join(', ')}), got ${show(defaultSplit)}`);
    defaultSplit = splits[0];
  }
  const imageSuffixes = textList(json.imageSuffixes, 'imageSuffixes', problems, FORMAT_FILE_LIMITS.maxSuffixes);
  const maskSuffixes = textList(json.maskSuffixes, 'maskSuffixes', problems, FORMAT_FILE_LIMITS.maxSuffixes);
  for (const [field, list] of [['imageSuffixes', imageSuffixes], ['maskSuffixes', maskSuffixes]] as const) {
    for (const suffix of list) if (/[/\\]/.test(suffix)) problems.add(field, `${show(suffix)} is part of a file name and cannot hold "/" or "\\"`);
  }
  const maskSuffixRequired = bool(json, 'maskSuffixRequired', problems, false);
  if (maskSuffixRequired && maskSuffixes.length === 0) problems.add('maskSuffixRequired', 'needs "maskSuffixes" (the suffixes that mark label maps)');
  const labels = labelConvention(json.labels, 'labels', file, problems);
  const suffixLabels: Record<string, Partial<LabelConvention>> = {};
  if (json.suffixLabels !== undefined) {
    if (!isObject(json.suffixLabels)) problems.add('suffixLabels', `must be an object {"SUFFIX": {label convention}}, got ${show(json.suffixLabels)}`);
    else {
      for (const [suffix, value] of Object.entries(json.suffixLabels)) {
        if (!maskSuffixes.includes(suffix)) problems.add(`suffixLabels.${suffix}`, `is not one of "maskSuffixes" (${maskSuffixes.join(', ') || 'none'})`);
        suffixLabels[suffix] = labelConvention(value, `suffixLabels.${suffix}`, file, problems);
      }
    }
  }
  let ignoreIndex: number | null | undefined;
  if (json.ignoreIndex === null || wholeNumber(json.ignoreIndex, 0, 65535)) ignoreIndex = json.ignoreIndex;
  else if (json.ignoreIndex !== undefined) problems.add('ignoreIndex', `must be a label value in 0..65535 or null, got ${show(json.ignoreIndex)}`);
  let classes: string[] | null = null;
  if (json.classes !== undefined && json.classes !== null) {
    classes = textList(json.classes, 'classes', problems, FORMAT_FILE_LIMITS.maxClasses);
    if (classes.length === 0) problems.add('classes', 'must name at least one class (or be left out)');
    const twice = classes.filter((c, i) => classes!.indexOf(c) !== i);
    if (twice.length) problems.add('classes', `names ${show(twice[0])} twice; every class needs its own name`);
    if (typeof ignoreIndex === 'number' && ignoreIndex < classes.length) problems.add('ignoreIndex', `${ignoreIndex} is also a class id (there are ${classes.length} classes)`);
  }
  const group = json.group === undefined || json.group === null ? null : text(json, 'group', problems, false) ?? null;
  if (group !== null) {
    const compiled = compileGroupPattern(group);
    if ('error' in compiled) problems.add('group', compiled.error);
  }
  const groupMeaning = json.groupMeaning === undefined ? null : text(json, 'groupMeaning', problems, false) ?? null;
  let options: Record<string, unknown> = {};
  if (json.options !== undefined) {
    if (!isObject(json.options)) problems.add('options', `must be an object (the reader's settings), got ${show(json.options)}`);
    else if (reader === null) problems.add('options', 'only a format with a "reader" takes options');
    else options = json.options;
  }
  return {
    name: name ?? '',
    title: text(json, 'title', problems, false) ?? name ?? '',
    description: description ?? '',
    source: text(json, 'source', problems, false) ?? '',
    file,
    detect,
    images,
    masks,
    ids,
    recursive: bool(json, 'recursive', problems, false),
    splits,
    defaultSplit,
    imageSuffixes,
    maskSuffixes,
    maskSuffixRequired,
    labels,
    suffixLabels,
    ignoreIndex,
    classes,
    group,
    groupMeaning,
    reader,
    options,
  };
}

const LIMITS_FIX = 'a format file is one small JSON object (docs/formats.md, "Writing a format file")';

/** Parses and validates one format file; throws UserError (exit 2) listing every problem. */
export function parseFormatFile(source: string, file: string): FormatSpec {
  checkJsonDepth(source, FORMAT_FILE_LIMITS.maxJsonDepth, file, 'format file', LIMITS_FIX);
  const json = parseJsonWithPosition(source, file, 'format file');
  const problems = new Problems(file);
  if (!isObject(json)) {
    throw new UserError(`invalid format file ${file}: a format file is a JSON object {"schema": "${FORMAT_FILE_SCHEMA}", "name": ..., ...}`, { fix: LIMITS_FIX });
  }
  const spec = check(json, file, problems);
  if (problems.list.length > 0) {
    const shown = problems.list.slice(0, 12);
    const more = problems.list.length > shown.length ? `\n  ... and ${problems.list.length - shown.length} more` : '';
    throw new UserError(`invalid format file ${file}:\n  ${shown.join('\n  ')}${more}`, {
      fix: 'correct the format file (docs/formats.md lists every field; `segloss formats` shows the built-in ones)',
    });
  }
  return spec;
}
