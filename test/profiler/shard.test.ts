/**
 * Sharded profiles: N parts merged equal the one-machine profile (every count, share, CI,
 * histogram and percentile; time and provenance aside), with --sample and with unreadable pairs,
 * and merge refuses parts that do not belong together.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSampleDataset } from '../../src/dataset/index.js';
import { mergeProfileParts, parseShard, profileDataset, profileShard } from '../../src/profiler/index.js';
import { shardRange } from '../../src/profiler/shard.js';
import type { ProfileOptions } from '../../src/profiler/index.js';
import type { ProfilePart } from '../../src/contracts/profile-part.js';
import { UserError } from '../../src/common/errors.js';
import { runCli } from '../helpers/run-cli.js';

let dir: string;
let root: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'segloss-shard-'));
  root = join(dir, 'data');
  await writeSampleDataset(root, { seed: 3, images: 14, size: 96 });
  // One unreadable mask, so skipped items must come out in the one-machine order.
  writeFileSync(join(root, 'masks', 'tile_0005.png'), 'not a png');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Deep comparison to 1e-9 relative, createdAt and elapsedSeconds aside; returns the paths that differ. */
function differences(a: unknown, b: unknown, path = ''): string[] {
  const key = path.split('.').pop();
  if (key === 'createdAt' || key === 'elapsedSeconds') return [];
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)) ? [] : [`${path}: ${a} vs ${b}`];
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`));
  }
  return a === b ? [] : [`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`];
}

async function partsOf(options: ProfileOptions, count: number): Promise<{ file: string; part: ProfilePart }[]> {
  const parts = [];
  for (let index = 0; index < count; index++) parts.push({ file: `part-${index}`, part: await profileShard(options, { index, count }) });
  // Through JSON, as the files travel between machines.
  return parts.map((p) => ({ file: p.file, part: JSON.parse(JSON.stringify(p.part)) as ProfilePart }));
}

describe('sharded profile', () => {
  it('4 shards merged equal the one-machine profile, unreadable pairs included', async () => {
    const options: ProfileOptions = { root, ignoreIndex: 255, strict: false, workers: 0 };
    const whole = await profileDataset(options);
    const parts = await partsOf(options, 4);
    const merged = mergeProfileParts([parts[2], parts[0], parts[3], parts[1]]);
    expect(differences(whole, merged)).toEqual([]);
    expect(merged.dataset.skipped.map((s) => s.file)).toEqual(whole.dataset.skipped.map((s) => s.file));
    expect(merged.dataset.skipped.some((s) => s.file.endsWith('tile_0005.png'))).toBe(true);
  });

  it('composes with --sample (the sample is drawn first, then cut into shards), CIs included', async () => {
    const options: ProfileOptions = { root, ignoreIndex: 255, strict: false, workers: 0, sample: 9, seed: 4 };
    const whole = await profileDataset(options);
    expect(whole.aggregates.backgroundShareCI95).not.toBeNull();
    const merged = mergeProfileParts(await partsOf(options, 3));
    expect(differences(whole, merged)).toEqual([]);
  });

  it('more shards than pairs: the empty shards merge to the same profile', async () => {
    const options: ProfileOptions = { root, ignoreIndex: 255, strict: false, workers: 0, sample: 3, seed: 1 };
    const whole = await profileDataset(options);
    const merged = mergeProfileParts(await partsOf(options, 5));
    expect(differences(whole, merged)).toEqual([]);
  });

  it('refuses a missing shard, a shard given twice, another dataset, other settings and another version', async () => {
    const options: ProfileOptions = { root, ignoreIndex: 255, strict: false, workers: 0, sample: 6, seed: 2 };
    const parts = await partsOf(options, 3);
    const message = (f: () => unknown): string => {
      try {
        f();
      } catch (error) {
        expect(error).toBeInstanceOf(UserError);
        return (error as Error).message;
      }
      throw new Error('no error');
    };
    expect(message(() => mergeProfileParts([parts[0], parts[2]]))).toMatch(/shard 1 of 3 missing/);
    expect(message(() => mergeProfileParts([parts[0], parts[1], parts[1], parts[2]]))).toMatch(/shard 1 of 3 is given twice: part-1 and part-1/);
    const other = (await partsOf({ ...options, seed: 3 }, 3))[1];
    expect(message(() => mergeProfileParts([parts[0], { ...other, file: 'other' }, parts[2]]))).toMatch(/other profiled another dataset/);
    const settings = (await partsOf({ ...options, boundary: { threshold: 2 } }, 3))[1];
    expect(message(() => mergeProfileParts([parts[0], { ...settings, file: 'settings' }, parts[2]]))).toMatch(/other settings .*\(boundary\)/);
    const old = { file: 'old', part: { ...parts[1].part, tool: { name: 'segloss' as const, version: '0.0.1' } } };
    expect(message(() => mergeProfileParts([parts[0], old, parts[2]]))).toMatch(/old was written by segloss 0\.0\.1/);
    const four = (await partsOf(options, 4))[3];
    expect(message(() => mergeProfileParts([parts[0], { ...four, file: 'four' }]))).toMatch(/four is shard 3 of 4/);
  });

  it('shards are contiguous, cover every pair once and differ in size by at most one', () => {
    for (const [total, count] of [[10, 3], [7, 7], [3, 5], [1000, 16]]) {
      const ranges = Array.from({ length: count }, (_, index) => shardRange({ index, count }, total));
      expect(ranges[0].start).toBe(0);
      expect(ranges[count - 1].end).toBe(total);
      ranges.slice(1).forEach((r, i) => expect(r.start).toBe(ranges[i].end));
      const sizes = ranges.map((r) => r.end - r.start);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });
});

describe('--shard K/N and auto/N', () => {
  it('parses K/N and reads the job-array index for auto/N', () => {
    expect(parseShard('2/4', {})).toEqual({ index: 2, count: 4 });
    expect(parseShard('auto/8', { SLURM_ARRAY_TASK_ID: '5' })).toEqual({ index: 5, count: 8 });
    expect(parseShard('auto/3', { JOB_COMPLETION_INDEX: '0' })).toEqual({ index: 0, count: 3 });
    expect(() => parseShard('4/4', {})).toThrow(/K must be a whole number in 0\.\.3/);
    expect(() => parseShard('1-4', {})).toThrow(/is not K\/N/);
    expect(() => parseShard('auto/4', {})).toThrow(/neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set/);
    expect(() => parseShard('auto/4', { SLURM_ARRAY_TASK_ID: '4' })).toThrow(/SLURM_ARRAY_TASK_ID=4 is not below 4/);
    expect(() => parseShard('0/0', {})).toThrow(/N must be a whole number/);
  });

  it('the Slurm array recipe of docs/cluster.md: each task runs --shard auto/N with its SLURM_ARRAY_TASK_ID, then merge', async () => {
    const parts = join(dir, 'array-parts');
    const saved = process.env.SLURM_ARRAY_TASK_ID;
    try {
      for (const task of ['0', '1', '2']) {
        process.env.SLURM_ARRAY_TASK_ID = task;
        const run = await runCli(['profile', root, '--shard', 'auto/3', '--out', parts, '--workers', '0']);
        expect(run.code, run.stderr).toBe(0);
      }
    } finally {
      if (saved === undefined) delete process.env.SLURM_ARRAY_TASK_ID;
      else process.env.SLURM_ARRAY_TASK_ID = saved;
    }
    const files = [0, 1, 2].map((k) => join(parts, `profile-part-${k}-of-3.json`));
    const merged = await runCli(['merge', ...files, '--json']);
    expect(merged.code, merged.stderr).toBe(0);
    const whole = await runCli(['profile', root, '--json', '--workers', '0']);
    expect(differences(JSON.parse(whole.stdout), JSON.parse(merged.stdout))).toEqual([]);
  });

  it('CLI: profile --shard needs --out; each shard writes its part and merge writes profile.json equal to profile --out', async () => {
    const noOut = await runCli(['profile', root, '--shard', '0/2']);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/needs --out DIR/);
    const parts = join(dir, 'parts');
    for (const k of [0, 1]) expect((await runCli(['profile', root, '--shard', `${k}/2`, '--out', parts, '--workers', '0'])).code).toBe(0);
    const merged = join(dir, 'merged');
    const merge = await runCli(['merge', join(parts, 'profile-part-0-of-2.json'), join(parts, 'profile-part-1-of-2.json'), '--out', merged]);
    expect(merge.code).toBe(0);
    const whole = join(dir, 'whole');
    expect((await runCli(['profile', root, '--out', whole, '--workers', '0'])).code).toBe(0);
    const read = (d: string): unknown => JSON.parse(readFileSync(join(d, 'profile.json'), 'utf8'));
    expect(differences(read(whole), read(merged))).toEqual([]);
    const missing = await runCli(['merge', join(parts, 'profile-part-1-of-2.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/shard 0 of 2 missing/);
    const notAPart = await runCli(['merge', join(whole, 'profile.json')]);
    expect(notAPart.code).toBe(2);
    expect(notAPart.stderr).toMatch(/kind is "DatasetProfile", not "DatasetProfilePart"/);
  });
});
