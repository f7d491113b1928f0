/** Test helpers: tiny datasets written into temp folders with the project's PNG encoder. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { encodePng, PNG_SIGNATURE, pngChunk, PngColorType } from '../../src/dataset/png.js';
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

export interface TiffPage {
  width: number;
  height: number;
  /** Samples, one per pixel; the array type sets bits and sample format (Float32Array = float). */
  data: Uint8Array | Uint16Array | Int16Array | Float32Array;
  /** Bits per sample below 8 (1, 2, 4): `data` then holds the rows already packed, MSB first. */
  bits?: 1 | 2 | 4;
}

/**
 * A minimal little-endian, uncompressed, single-channel TIFF with one IFD per page: enough to make
 * float, signed and multi-page masks that sharp (libtiff) reads, without a TIFF library.
 */
export function writeTiff(pages: TiffPage[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 8;
  const header = Buffer.alloc(8);
  header.write('II', 0, 'latin1');
  header.writeUInt16LE(42, 2);
  parts.push(header);
  const ifdOffsets: number[] = [];
  const layouts: Array<{ dataOffset: number; bytes: number; page: TiffPage }> = [];
  for (const page of pages) {
    const bytes = Buffer.from(page.data.buffer, page.data.byteOffset, page.data.byteLength);
    layouts.push({ dataOffset: offset, bytes: bytes.length, page });
    parts.push(Buffer.from(bytes));
    offset += bytes.length + (bytes.length % 2);
    if (bytes.length % 2) parts.push(Buffer.alloc(1));
  }
  const entries = 10;
  const ifdSize = 2 + entries * 12 + 4;
  layouts.forEach(({ dataOffset, bytes, page }, k) => {
    ifdOffsets.push(offset);
    const ifd = Buffer.alloc(ifdSize);
    const bits = page.bits ?? page.data.BYTES_PER_ELEMENT * 8;
    const format = page.data instanceof Float32Array ? 3 : page.data instanceof Int16Array ? 2 : 1;
    const tags: Array<[number, number, number]> = [
      [256, 4, page.width],
      [257, 4, page.height],
      [258, 3, bits],
      [259, 3, 1],
      [262, 3, 1],
      [273, 4, dataOffset],
      [277, 3, 1],
      [278, 4, page.height],
      [279, 4, bytes],
      [339, 3, format],
    ];
    ifd.writeUInt16LE(entries, 0);
    tags.forEach(([tag, type, value], i) => {
      const at = 2 + i * 12;
      ifd.writeUInt16LE(tag, at);
      ifd.writeUInt16LE(type, at + 2);
      ifd.writeUInt32LE(1, at + 4);
      if (type === 3) ifd.writeUInt16LE(value, at + 8);
      else ifd.writeUInt32LE(value, at + 8);
    });
    ifd.writeUInt32LE(k + 1 < layouts.length ? offset + ifdSize : 0, ifdSize - 4);
    parts.push(ifd);
    offset += ifdSize;
  });
  header.writeUInt32LE(ifdOffsets[0], 4);
  return Buffer.concat(parts);
}

/**
 * A PNG whose header declares width x height (8-bit grey) over whatever zlib data is given: a
 * 100000x100000 file in 69 bytes, or a header whose data inflates to far more than it declares.
 */
export function pngDeclaring(width: number, height: number, options: { interlace?: 0 | 1; raw?: Uint8Array } = {}): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = PngColorType.Grey;
  ihdr[12] = options.interlace ?? 0;
  const idat = deflateSync(options.raw ?? new Uint8Array(0), { level: 9 });
  return Buffer.concat([Buffer.from(PNG_SIGNATURE), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', new Uint8Array(0))]);
}
