/**
 * Sharding a profile over machines (a Slurm job array, a Kubernetes indexed Job): shard K of N
 * takes a contiguous 1/N of the sorted pair list, so concatenating the shards in order gives the
 * one-machine order (skipped items then list in the same order), and the fingerprints let `merge`
 * refuse parts of different datasets or settings.
 */
import { createHash } from 'node:crypto';
import { relative } from 'node:path';
import { UserError } from '../common/errors.js';
import type { DatasetIndex, DatasetPair } from '../dataset/index.js';

export interface Shard {
  index: number;
  count: number;
}

/** Most shards a profile is cut into. */
export const MAX_SHARDS = 100_000;

/** Job-array variables read by `--shard auto/N`, in order. */
export const SHARD_INDEX_VARIABLES = ['SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX'] as const;

const SHARD_FIX = 'for example --shard 0/4 (shards 0..3 of 4), or --shard auto/4 in a Slurm array (SLURM_ARRAY_TASK_ID) or a Kubernetes indexed Job (JOB_COMPLETION_INDEX)';

function wholeNumber(text: string): number | null {
  return /^\d{1,9}$/.test(text) ? Number(text) : null;
}

/** Parses `K/N` or `auto/N` (K from the job-array variable in `env`). */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  const match = /^\s*([^/\s]+)\s*\/\s*(\S+)\s*$/.exec(text);
  if (!match) throw new UserError(`--shard "${text}" is not K/N`, { fix: SHARD_FIX });
  const count = wholeNumber(match[2]);
  if (count === null || count < 1 || count > MAX_SHARDS) throw new UserError(`--shard ${text}: N must be a whole number in 1..${MAX_SHARDS}`, { fix: SHARD_FIX });
  let index: number | null;
  if (match[1].toLowerCase() === 'auto') {
    const variable = SHARD_INDEX_VARIABLES.find((name) => env[name] !== undefined && env[name] !== '');
    if (!variable) throw new UserError(`--shard auto/${count}: neither ${SHARD_INDEX_VARIABLES.join(' nor ')} is set`, { fix: 'run it as a Slurm array task (sbatch --array=0-N) or a Kubernetes indexed Job, or give the shard as --shard K/N' });
    index = wholeNumber(env[variable]!.trim());
    if (index === null) throw new UserError(`--shard auto/${count}: ${variable}="${env[variable]}" is not a whole number`, { fix: SHARD_FIX });
    if (index >= count) throw new UserError(`--shard auto/${count}: ${variable}=${index} is not below ${count}`, { fix: `run the array as 0-${count - 1} (sbatch --array=0-${count - 1}), or raise N` });
  } else {
    index = wholeNumber(match[1]);
    if (index === null || index >= count) throw new UserError(`--shard ${text}: K must be a whole number in 0..${count - 1}`, { fix: SHARD_FIX });
  }
  return { index, count };
}

/** The positions [start, end) of shard K of N over `total` pairs: contiguous, sizes differ by at most one. */
export function shardRange(shard: Shard, total: number): { start: number; end: number } {
  return { start: Math.floor((shard.index * total) / shard.count), end: Math.floor(((shard.index + 1) * total) / shard.count) };
}

function sha256(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** The pair list as every machine sees it: paths relative to the dataset root, so mount points may differ. */
export function datasetFingerprint(index: DatasetIndex, pairs: readonly DatasetPair[]): string {
  const base = index.root ?? index.masksDir;
  const rel = (path: string | null | undefined): string | null => (path ? relative(base, path) : null);
  return sha256(pairs.map((p) => [p.id, rel(p.maskPath), rel(p.imagePath), (p.imagePaths ?? []).map(rel), p.group ?? null, p.source ?? null]));
}

export function settingsFingerprint(settings: Record<string, unknown>): string {
  return sha256(settings);
}
