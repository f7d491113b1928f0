/** Test helpers: tiny datasets written into temp folders with the project's PNG encoder. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng, PngColorType } from '../../src/dataset/png.js';
import { readDataset, type DatasetOptions } from '../../src/dataset/index.js';
import type { SkippedItem } from '../../src/contracts/profile.js';

export function tempDir(prefix = 'segloss-dataset-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An 8-bit grey mask: class 1 in the left half, 0 elsewhere (or `fill` everywhere). */
export function greyMask(width: number, height: number, fill?: number): Buffer {
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = fill ?? (i % width < width / 2 ? 1 : 0);
  return encodePng({ width, height, colorType: PngColorType.Grey, bitDepth: 8, data });
}

export function rgbImage(width: number, height: number, value = 100): Buffer {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (value + i) % 256;
  return encodePng({ width, height, colorType: PngColorType.Rgb, bitDepth: 8, data });
}

export function rgbMask(width: number, height: number, colors: Array<[number, number, number]>): Buffer {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(colors[i % colors.length], 3 * i);
  return encodePng({ width, height, colorType: PngColorType.Rgb, bitDepth: 8, data });
}

/** ROOT/images + ROOT/masks with `good` valid 16x12 pairs named good_1..good_N. */
export function writeGoodPairs(root: string, good = 2, withImages = true): void {
  mkdirSync(join(root, 'masks'), { recursive: true });
  if (withImages) mkdirSync(join(root, 'images'), { recursive: true });
  for (let k = 1; k <= good; k++) {
    writeFileSync(join(root, 'masks', `good_${k}.png`), greyMask(16, 12));
    if (withImages) writeFileSync(join(root, 'images', `good_${k}.png`), rgbImage(16, 12));
  }
}

export function options(root: string, extra: Partial<DatasetOptions> = {}): DatasetOptions {
  return { root, ignoreIndex: 255, strict: false, ...extra };
}

/** Reads the whole dataset; returns the decoded ids and what was skipped. */
export async function readAll(opts: DatasetOptions): Promise<{ ids: string[]; skipped: SkippedItem[] }> {
  const ids: string[] = [];
  const skipped: SkippedItem[] = [];
  for await (const pair of readDataset(opts, { onSkip: (item) => skipped.push(item) })) ids.push(pair.id);
  return { ids, skipped };
}
