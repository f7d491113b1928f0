/**
 * The data cache the Python runner memory-maps: the decoded train and val images written once
 * per engine, so no pixel crosses the pipe. data.bin holds, per image, its HWC uint8 pixels then
 * its labels (uint8, or uint16 when any label map is 16-bit), each aligned to 8 bytes;
 * header.json gives shapes, offsets, the normalisation, numClasses and ignoreIndex. Image ids are
 * not written (the runner needs none).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../common/errors.js';
import type { EngineImage, TrainingData } from '../types.js';

export interface CacheEntry {
  width: number;
  height: number;
  /** Byte offset of the pixels in data.bin. */
  pixels: number;
  /** Byte offset of the labels in data.bin. */
  labels: number;
}

export interface CacheHeader {
  format: 1;
  numClasses: number;
  ignoreIndex: number | null;
  channels: number;
  normalisation: { mean: number[]; std: number[] };
  labelDtype: 'uint8' | 'uint16';
  train: CacheEntry[];
  val: CacheEntry[];
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/**
 * A fresh private folder in `parent` (default the temp folder; --cache-dir for a folder a
 * cluster's workers share), removed by removeCacheFolder; a UserError when it cannot be made.
 */
export function createCacheFolder(parent = tmpdir()): string {
  try {
    sweepOrphanedCaches(parent);
    const folder = mkdtempSync(join(parent, CACHE_PREFIX));
    // Who made it: a runner whose input ends after this process died removes it, and so does the next run's sweep.
    writeFileSync(join(folder, OWNER_FILE), JSON.stringify({ pid: process.pid, host: hostname() }));
    return folder;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'it is not writable' : code === 'ENOTDIR' ? 'it is not a folder' : code;
    throw new UserError(`the torch engine cannot create its data cache in the temp folder ${parent}: ${why}`, {
      fix: 'set TMPDIR to a writable folder with room for the decoded images (about 4 bytes a pixel), or use --backend wasm',
    });
  }
}

const CACHE_PREFIX = 'segloss-torch-';
const OWNER_FILE = 'owner.json';

/** True when the process is gone (kill(pid, 0) fails with ESRCH); a live process of another user counts as alive. */
function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes data caches in `parent` whose owner (owner.json: pid and host) was a segloss process on
 * this host that no longer exists: what a `kill -9` of an earlier run left. Folders without an
 * owner file, of another host, or of a live process are never touched. Returns the folders removed.
 */
export function sweepOrphanedCaches(parent = tmpdir()): string[] {
  let names: string[];
  try {
    names = readdirSync(parent).filter((name) => name.startsWith(CACHE_PREFIX));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const folder = join(parent, name);
    let owner: { pid?: unknown; host?: unknown };
    try {
      owner = JSON.parse(readFileSync(join(folder, OWNER_FILE), 'utf8')) as { pid?: unknown; host?: unknown };
    } catch {
      continue;
    }
    if (owner.host !== hostname() || typeof owner.pid !== 'number' || !Number.isSafeInteger(owner.pid) || owner.pid === process.pid) continue;
    if (!processIsGone(owner.pid)) continue;
    rmSync(folder, { recursive: true, force: true });
    removed.push(folder);
  }
  return removed;
}

export function removeCacheFolder(folder: string): void {
  rmSync(folder, { recursive: true, force: true });
}

/** Writes data.bin and header.json into `folder`; returns the header. */
export async function writeDataCache(folder: string, data: TrainingData): Promise<CacheHeader> {
  const all = [...data.train, ...data.val];
  const channels = all[0]?.channels ?? 1;
  const bad = all.find((image) => image.channels !== channels || image.pixels.length !== image.width * image.height * channels || image.labels.length !== image.width * image.height);
  if (bad) throw new RangeError(`image ${bad.id}: ${bad.width}x${bad.height}x${bad.channels} does not match its pixel or label count (or the other images' ${channels} channels)`);
  const wide = all.some((image) => image.labels instanceof Uint16Array);
  const labelBytes = wide ? 2 : 1;
  const handle = await open(join(folder, 'data.bin'), 'w');
  let offset = 0;
  const put = async (bytes: Uint8Array): Promise<number> => {
    const at = offset;
    await handle.write(bytes, 0, bytes.length, at);
    offset = align8(at + bytes.length);
    return at;
  };
  const entry = async (image: EngineImage): Promise<CacheEntry> => {
    const pixels = await put(image.pixels);
    const labels = wide ? Uint16Array.from(image.labels) : (image.labels as Uint8Array);
    return { width: image.width, height: image.height, pixels, labels: await put(new Uint8Array(labels.buffer, labels.byteOffset, labels.length * labelBytes)) };
  };
  const header: CacheHeader = {
    format: 1,
    numClasses: data.numClasses,
    ignoreIndex: data.ignoreIndex,
    channels,
    normalisation: { mean: [...data.normalisation.mean], std: [...data.normalisation.std] },
    labelDtype: wide ? 'uint16' : 'uint8',
    train: [],
    val: [],
  };
  try {
    for (const image of data.train) header.train.push(await entry(image));
    for (const image of data.val) header.val.push(await entry(image));
    await handle.truncate(offset);
  } finally {
    await handle.close();
  }
  await writeFile(join(folder, 'header.json'), JSON.stringify(header));
  return header;
}
