/**
 * A killed run leaves nothing behind: `kill -9` of segloss during a torch verify ends its runners
 * (their input closes) and they remove the data cache, since its owner is gone; a cache that
 * still outlived its run is swept when the next torch engine starts. The sweep never touches a
 * live run's cache, another host's, or a folder without an owner file. Skipped, saying why, when
 * no Python with torch is found.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSampleDataset } from '../../src/dataset/index.js';
import { createCacheFolder, removeCacheFolder, sweepOrphanedCaches } from '../../src/engine/torch/cache.js';
import { findTorchPython, type FoundPython } from '../../src/engine/torch/python.js';

let found: FoundPython | null = null;
try {
  found = await findTorchPython();
} catch (error) {
  process.stderr.write(`orphan tests skipped: ${(error as Error).message}\n`);
}
const withTorch = found ? describe : describe.skip;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'segloss-orphans-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const caches = (parent: string) => readdirSync(parent).filter((name) => name.startsWith('segloss-torch-'));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return condition();
}

describe('the cache sweep', () => {
  it('removes caches of dead owners only: never a live owner, another host or a folder without an owner', async () => {
    const parent = join(dir, 'sweep');
    mkdirSync(parent);
    const make = (name: string, owner: unknown) => {
      mkdirSync(join(parent, name));
      writeFileSync(join(parent, name, 'data.bin'), 'x');
      if (owner !== undefined) writeFileSync(join(parent, name, 'owner.json'), JSON.stringify(owner));
    };
    // A pid that existed and is gone: a child that has exited (and was reaped).
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((resolve) => gone.on('exit', resolve));
    const dead = gone.pid!;
    make('segloss-torch-dead', { pid: dead, host: hostname() });
    make('segloss-torch-live', { pid: process.ppid, host: hostname() });
    make('segloss-torch-elsewhere', { pid: dead, host: `${hostname()}-other` });
    make('segloss-torch-no-owner', undefined);
    make('segloss-torch-garbled', 'not an owner');
    make('other-folder', { pid: dead, host: hostname() });
    const removed = sweepOrphanedCaches(parent);
    expect(removed).toEqual([join(parent, 'segloss-torch-dead')]);
    expect(caches(parent).sort()).toEqual(['segloss-torch-elsewhere', 'segloss-torch-garbled', 'segloss-torch-live', 'segloss-torch-no-owner']);
    expect(existsSync(join(parent, 'other-folder'))).toBe(true);
  });

  it('a new cache names its owner and sweeps before it is made', () => {
    const parent = join(dir, 'new');
    mkdirSync(parent);
    const folder = createCacheFolder(parent);
    expect(readdirSync(folder)).toEqual(['owner.json']);
    removeCacheFolder(folder);
  });
});

withTorch('kill -9 of segloss during a torch verify', () => {
  it('leaves no runner and no cache folder once the next run has started', async () => {
    const temp = join(dir, 'tmp');
    mkdirSync(temp);
    const data = join(dir, 'data');
    await writeSampleDataset(data, { seed: 2, images: 8, size: 64 });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'verify', data, '--backend', 'torch', '--python', found!.command, '--steps', '2000', '--candidates', 'recommended,ce', '--seeds', '2', '--crop', '32'], {
      env: { ...process.env, TMPDIR: temp, NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // The plan is printed once the runners are up and the data cache is written.
    const training = await until(() => /lockstep plan/.test(stderr), 120_000);
    expect(training, stderr).toBe(true);
    expect(caches(temp)).toHaveLength(1);
    expect(existsSync(join(temp, caches(temp)[0], 'data.bin'))).toBe(true);
    const runners = execFileSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((pid) => pid > 0);
    expect(runners.length).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    // The runners see their input close and stop; with their owner gone they take the cache along.
    expect(await until(() => runners.every((pid) => !alive(pid)), 60_000)).toBe(true);
    expect(await until(() => caches(temp).length === 0, 10_000), `left: ${caches(temp).join(', ')}`).toBe(true);
    // And the next run's start sweeps whatever a runner could not remove.
    const next = createCacheFolder(temp);
    expect(caches(temp)).toEqual([next.split('/').pop()]);
    removeCacheFolder(next);
  }, 240_000);
});
