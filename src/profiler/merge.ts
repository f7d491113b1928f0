/**
 * `segloss merge`: adds up the accumulator states of N profile parts (`profile --shard K/N`) into
 * the DatasetProfile one machine would have written. It refuses parts that do not belong together
 * (another dataset, other settings, another segloss version, a shard missing or given twice),
 * naming the file, because a merged profile of mismatched parts would look right and be wrong.
 */
import { UserError } from '../common/errors.js';
import { listAnd } from '../common/list.js';
import type { DatasetProfile } from '../contracts/profile.js';
import type { ProfilePart } from '../contracts/profile-part.js';
import { ProfileAccumulator } from './aggregate.js';
import { noneReadable } from '../dataset/index.js';

export interface PartFile {
  file: string;
  part: ProfilePart;
}

function differingSettings(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]));
}

/** Checks the parts belong to one run and none is missing or doubled; returns them in shard order. */
function checkParts(parts: readonly PartFile[]): PartFile[] {
  if (parts.length === 0) throw new UserError('no profile parts to merge', { fix: 'pass the profile-part-*.json files that `segloss profile --shard K/N --out DIR` wrote' });
  const [first] = parts;
  const count = first.part.shard.count;
  for (const { file, part } of parts.slice(1)) {
    if (part.tool.version !== first.part.tool.version) {
      throw new UserError(`${file} was written by segloss ${part.tool.version}, ${first.file} by ${first.part.tool.version}`, { fix: 'profile every shard with the same segloss version' });
    }
    if (part.shard.count !== count) {
      throw new UserError(`${file} is shard ${part.shard.index} of ${part.shard.count}, ${first.file} of ${count}`, { fix: 'merge the parts of one sharded run (the same N in --shard K/N)' });
    }
    if (part.datasetFingerprint !== first.part.datasetFingerprint) {
      throw new UserError(`${file} profiled another dataset (or another pair list) than ${first.file}`, { fix: 'profile every shard on the same dataset, with the same folders, --split and --sample' });
    }
    if (part.settingsFingerprint !== first.part.settingsFingerprint) {
      const keys = differingSettings(first.part.settings, part.settings);
      throw new UserError(`${file} was profiled with other settings than ${first.file}${keys.length ? ` (${listAnd(keys)})` : ''}`, { fix: 'profile every shard with the same flags' });
    }
  }
  const byIndex = new Map<number, PartFile>();
  for (const entry of parts) {
    const seen = byIndex.get(entry.part.shard.index);
    if (seen) throw new UserError(`shard ${entry.part.shard.index} of ${count} is given twice: ${seen.file} and ${entry.file}`, { fix: 'pass each shard once' });
    byIndex.set(entry.part.shard.index, entry);
  }
  const missing = Array.from({ length: count }, (_, k) => k).filter((k) => !byIndex.has(k));
  if (missing.length > 0) {
    const listed = missing.slice(0, 10).join(', ') + (missing.length > 10 ? ` and ${missing.length - 10} more` : '');
    throw new UserError(`shard${missing.length > 1 ? 's' : ''} ${listed} of ${count} missing`, { fix: `profile the missing shard${missing.length > 1 ? 's' : ''} (segloss profile DIR --shard K/${count} --out DIR) and merge all ${count} parts` });
  }
  return [...byIndex.keys()].sort((a, b) => a - b).map((k) => byIndex.get(k)!);
}

/** The merged profile; elapsedSeconds is the sum over parts (the compute spent, not the wall time). */
export function mergeProfileParts(parts: readonly PartFile[]): DatasetProfile {
  const ordered = checkParts(parts);
  const accumulator = new ProfileAccumulator();
  for (const { part } of ordered) accumulator.addState(part.accumulator);
  const first = ordered[0].part;
  const pairSkipped = ordered.flatMap(({ part }) => part.pairSkipped);
  if (accumulator.imagesProfiled === 0) {
    const total = ordered.reduce((sum, { part }) => sum + part.shard.end - part.shard.start, 0);
    throw noneReadable(total, first.context.masksDir, [...pairSkipped, ...first.indexSkipped]);
  }
  const elapsed = ordered.reduce((sum, { part }) => sum + part.elapsedSeconds, 0);
  return accumulator.toProfile({ ...first.context, skipped: [...first.indexSkipped, ...pairSkipped] }, elapsed);
}
