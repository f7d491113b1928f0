/**
 * The per-image pixel limit (--max-pixels) and the problems it raises.
 *
 * Why: a 69-byte PNG can declare 100000x100000 pixels and a 1.5 MB one can inflate to gigabytes.
 * Every decoder reads the declared size from the header first and refuses an image above the
 * limit before it allocates anything, so one hostile or huge file is a skipped pair with a reason,
 * never an exhausted machine or an aborted run.
 */
import { constants } from 'node:buffer';
import { InvalidArgumentError } from 'commander';
import { formatBytes } from '../common/regular-file.js';
import { PairProblem } from './types.js';

/** Default pixel limit per image: 100 megapixels (10000x10000), about 1 GB while decoding. */
export const DEFAULT_MAX_PIXELS = 100_000_000;
/**
 * The highest --max-pixels accepted: decoders hold up to 8 bytes per pixel (16-bit RGBA) in one
 * typed array, and V8 cannot allocate one above 4 GiB.
 */
export const MAX_PIXELS_CEILING = 500_000_000;

/**
 * Bytes a file may have at the pixel limit: uncompressed float32 RGBA (16 bytes a pixel) plus room
 * for metadata, and never more than one Buffer can hold.
 */
export function maxFileBytes(maxPixels: number): number {
  return Math.min(maxPixels * 16 + 64 * 1024 * 1024, constants.MAX_LENGTH);
}

export function formatPixels(n: number): string {
  return n.toLocaleString('en-US');
}

/** "150000000", "150M", "150MP" or "1.5e8" -> pixels; commander parser (usage error, exit 2). */
export function parseMaxPixels(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*(m|mp)?\s*$/i.exec(value);
  // Megapixels may have a fraction (1.5M); a plain pixel count must be whole.
  const n = !match ? NaN : match[2] ? Math.round(Number(match[1]) * 1e6) : Number(match[1]);
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_PIXELS_CEILING) {
    throw new InvalidArgumentError(`expected a pixel count in 1..${formatPixels(MAX_PIXELS_CEILING)} (e.g. 150000000 or 150M), got "${value}"`);
  }
  return n;
}

/** Throws the pair's problem when a declared width x height is above the limit. */
export function checkPixelLimit(path: string, role: 'mask' | 'image', width: number, height: number, maxPixels: number): void {
  const pixels = width * height;
  if (pixels <= maxPixels) return;
  const raise =
    pixels <= MAX_PIXELS_CEILING
      ? `raise the limit with --max-pixels ${pixels} (decoding takes about ${formatBytes(pixels * 10)} of memory per worker), or cut the image and its mask into tiles`
      : `cut the image and its mask into tiles of at most ${formatPixels(maxPixels)} px (--max-pixels can go up to ${formatPixels(MAX_PIXELS_CEILING)}); if the file is not really that large, its header is corrupt: re-export it`;
  throw new PairProblem(
    path,
    `the ${role} is ${width}x${height} (${formatPixels(pixels)} px, as its header declares), over the pixel limit of ${formatPixels(maxPixels)} px per image (--max-pixels)`,
    raise,
  );
}
