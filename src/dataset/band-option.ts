/**
 * The --bands flag's parser and the band limit, apart from the multi-band reader (bands.ts loads
 * geotiff): every command that takes dataset flags defines --bands, and its --help must not load
 * a TIFF decoder.
 */
import { InvalidArgumentError } from 'commander';

/** Bands a multi-band image may have: a pixel's samples in decoding must stay bounded. */
export const MAX_BANDS = 64;

/** --bands "4,3,2" -> [4, 3, 2]: 1-based band numbers, each at most once (commander parser, usage error). */
export function parseBands(value: string): number[] {
  const parts = value.split(',').map((part) => part.trim());
  const bands = parts.map(Number);
  if (parts.some((part) => !/^\d+$/.test(part)) || bands.some((b) => b < 1 || b > MAX_BANDS)) {
    throw new InvalidArgumentError(`expected band numbers from 1 to ${MAX_BANDS} separated by commas (e.g. 4,3,2), got "${value}"`);
  }
  const repeated = bands.find((b, i) => bands.indexOf(b) !== i);
  if (repeated !== undefined) throw new InvalidArgumentError(`band ${repeated} is listed twice in "${value}"`);
  return bands;
}
