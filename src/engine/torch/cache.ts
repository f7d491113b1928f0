/**
 * The data cache the Python runner memory-maps: the decoded train and val images written once
 * per engine, so no pixel crosses the pipe. data.bin holds, per image, its HWC uint8 pixels then
 * its labels (uint8, or uint16 when any label map is 16-bit), each aligned to 8 bytes;
 * header.json gives shapes, offsets, the normalisation, numClasses and ignoreIndex. Image ids are
 * not written (the runner needs none).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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

/** A fresh private temp folder (removed by removeCacheFolder); a UserError when the temp folder cannot take one. */
export function createCacheFolder(): string {
  const parent = tmpdir();
  try {
    return mkdtempSync(join(parent, 'segloss-torch-'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'it is not writable' : code === 'ENOTDIR' ? 'it is not a folder' : code;
    throw new UserError(`the torch engine cannot create its data cache in the temp folder ${parent}: ${why}`, {
      fix: 'set TMPDIR to a writable folder with room for the decoded images (about 4 bytes a pixel), or use --backend wasm',
    });
  }
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
