/**
 * nnU-Net v2's dataset.json: the class names from `labels`, the channels from `channel_names`
 * (v1's `modality`), `file_ending` and `numTraining`. Shared by the nnunet reader and by
 * `--classes dataset.json`, so the same file means the same classes both ways.
 *
 * Region-based labels (a list of ids, e.g. "whole tumour": [1, 2, 3]) describe overlapping regions
 * nnU-Net trains as sigmoid outputs; segloss profiles the label ids stored in the files instead, so
 * a region names an id only when it is a single id, and the others are named "label K" (said in a
 * note). The "ignore" label (nnU-Net: the highest id) becomes the ignore index.
 */
export interface NnunetDatasetJson {
  /** Class names by id 0..N-1 (the ignore label left out). */
  classNames: string[];
  /** The "ignore" label's id, if any. */
  ignoreId: number | null;
  /** Channel names in channel order (empty when the file gives none). */
  channelNames: string[];
  fileEnding: string | null;
  numTraining: number | null;
  /** Things worth printing (region-based labels, gaps). */
  notes: string[];
}

/** Whether a parsed JSON value looks like an nnU-Net dataset.json (labels plus one nnU-Net key). */
export function looksLikeNnunetJson(json: unknown): json is Record<string, unknown> {
  if (!isRecord(json) || !isRecord(json.labels)) return false;
  return 'channel_names' in json || 'modality' in json || 'file_ending' in json || 'numTraining' in json;
}

/** Parses an nnU-Net dataset.json; throws Error(message) naming what is wrong (the caller adds the file and fix). */
export function parseNnunetJson(json: unknown): NnunetDatasetJson {
  if (!isRecord(json)) throw new Error('expected a JSON object');
  if (!isRecord(json.labels)) throw new Error('"labels" is missing or not an object like {"background": 0, "tumour": 1}');
  const notes: string[] = [];
  const single = new Map<number, string>();
  const inRegions = new Set<number>();
  let ignoreId: number | null = null;
  for (const [name, value] of Object.entries(json.labels)) {
    if (name === 'ignore') {
      if (!isId(value)) throw new Error(`label "ignore" is ${JSON.stringify(value)}, not a whole number`);
      ignoreId = value;
      continue;
    }
    if (isId(value)) {
      if (single.has(value)) throw new Error(`labels "${single.get(value)}" and "${name}" both have id ${value}`);
      single.set(value, name);
    } else if (Array.isArray(value) && value.length > 0 && value.every(isId)) {
      for (const id of value) inRegions.add(id);
      if (value.length === 1 && !single.has(value[0])) single.set(value[0], name);
      else notes.push(`region-based label "${name}" (ids ${value.join(', ')}) is not trained as a region: segloss profiles the label ids in the files`);
    } else {
      throw new Error(`label "${name}" is ${JSON.stringify(value)}: expected a whole number id (or a list of ids for a region)`);
    }
  }
  const ids = [...single.keys(), ...inRegions];
  if (ids.length === 0) throw new Error('"labels" names no class');
  const count = Math.max(...ids) + 1;
  const classNames = Array.from({ length: count }, (_, id) => single.get(id) ?? `label ${id}`);
  const unnamed = classNames.map((_, id) => id).filter((id) => !single.has(id));
  if (unnamed.length > 0 && inRegions.size === 0) notes.push(`ids ${unnamed.join(', ')} have no name in "labels" (nnU-Net expects consecutive ids from 0)`);
  if (ignoreId !== null && ignoreId < count) throw new Error(`the "ignore" label (${ignoreId}) must be above every class id (nnU-Net requires it to be the highest)`);

  const channels = isRecord(json.channel_names) ? json.channel_names : isRecord(json.modality) ? json.modality : null;
  const channelNames: string[] = [];
  if (channels) {
    const keys = Object.keys(channels);
    for (let c = 0; c < keys.length; c++) {
      const name = channels[String(c)];
      if (typeof name !== 'string') throw new Error(`"channel_names" must name channels "0".."${keys.length - 1}"; "${c}" is missing`);
      channelNames.push(name);
    }
  }
  const fileEnding = json.file_ending;
  if (fileEnding !== undefined && (typeof fileEnding !== 'string' || !/^\.[A-Za-z0-9.]+$/.test(fileEnding))) {
    throw new Error(`"file_ending" is ${JSON.stringify(fileEnding)}: expected a file ending such as ".nii.gz" or ".png"`);
  }
  const numTraining = json.numTraining;
  if (numTraining !== undefined && !isId(numTraining)) throw new Error(`"numTraining" is ${JSON.stringify(numTraining)}, not a whole number`);
  return { classNames, ignoreId, channelNames, fileEnding: (fileEnding as string | undefined) ?? null, numTraining: (numTraining as number | undefined) ?? null, notes };
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
