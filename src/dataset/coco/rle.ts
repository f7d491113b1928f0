/**
 * COCO run-length encoding, as pycocotools stores masks (common/maskApi.c), written anew in
 * TypeScript: the runs go down each column (Fortran order: pixel x*h + y), alternate background
 * and object starting with background, and sum to h*w. Compressed counts are a string of 6-bit
 * characters (ASCII 48-111), LEB128-like with a sign bit, where every count after the third is
 * stored as the difference from the count two before it (rleToString / rleFrString).
 *
 * Why our own: there is no maintained JavaScript pycocotools, and the profile must count exactly
 * the pixels a PyTorch user's pycocotools data loader would train on.
 */

/** A mask as runs down the columns: counts[0] background, counts[1] object, ... summing to h*w. */
export interface Rle {
  height: number;
  width: number;
  counts: Uint32Array;
}

/** Why a counts string cannot be read (the caller adds the file and the JSON path). */
export class RleError extends Error {}

/** pycocotools' rleFrString: the counts of a compressed string, checked (characters, signs, total). */
export function decodeCountsString(text: string, height: number, width: number): Rle {
  const pixels = height * width;
  // At most one count per character, and never more runs than pixels + 1: 4 bytes a count.
  let counts = new Uint32Array(Math.min(text.length, pixels + 1, 1024));
  let m = 0;
  let p = 0;
  while (p < text.length) {
    let value = 0;
    let shift = 1; // 32^k as a number: counts reach 2^32, past JavaScript's 32-bit shifts
    let more = true;
    while (more) {
      if (p >= text.length) throw new RleError(`the compressed counts end in the middle of a number (character ${p})`);
      const code = text.charCodeAt(p) - 48;
      if (code < 0 || code > 63) throw new RleError(`character ${p} ("${text[p]}") is outside the RLE alphabet (ASCII 48-111)`);
      value += (code & 0x1f) * shift;
      more = (code & 0x20) !== 0;
      p++;
      shift *= 32;
      if (!more && (code & 0x10) !== 0) value -= shift; // the sign bit: x |= -1 << 5k
      if (shift > 2 ** 40) throw new RleError(`a number at character ${p} has more than 8 characters: not a count`);
    }
    if (m > 2) value += counts[m - 2];
    if (value < 0) throw new RleError(`count ${m} decodes to ${value}: counts are never negative`);
    if (value > pixels) throw new RleError(`count ${m} decodes to ${value}, more than the ${pixels} pixels of the mask`);
    if (m === counts.length) {
      if (m > pixels) throw new RleError(`more than ${pixels + 1} runs for a mask of ${pixels} pixels`);
      const grown = new Uint32Array(Math.min(Math.max(1024, m * 2), pixels + 1, text.length));
      grown.set(counts);
      counts = grown;
    }
    counts[m++] = value;
  }
  return checkedRle(counts.slice(0, m), height, width, 'compressed');
}

/** pycocotools' rleToString: the compressed string of the counts (used to write and test RLE). */
export function encodeCountsString(counts: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i] - (i > 2 ? counts[i - 2] : 0);
    let more = true;
    while (more) {
      let c = ((x % 32) + 32) % 32; // x & 0x1f, for negative x too
      x = Math.floor(x / 32); // arithmetic shift right by 5
      more = (c & 0x10) !== 0 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  }
  return out;
}

/** Uncompressed RLE ({counts: [...]}), checked the same way as the compressed form. */
export function rleFromCountsList(counts: readonly number[], height: number, width: number): Rle {
  const pixels = height * width;
  const bad = counts.findIndex((c) => !Number.isInteger(c) || c < 0 || c > pixels);
  if (bad >= 0) throw new RleError(`count ${bad} is ${counts[bad]}: counts are whole numbers in 0..${pixels}`);
  return checkedRle(Uint32Array.from(counts), height, width, 'uncompressed');
}

function checkedRle(counts: Uint32Array, height: number, width: number, form: string): Rle {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  const pixels = height * width;
  if (total !== pixels) {
    throw new RleError(`the ${form} RLE counts sum to ${total}, but its size ${height}x${width} (height x width) has ${pixels} pixels`);
  }
  return { height, width, counts };
}

/** pycocotools' rleEncode: the runs of a column-major 0/1 mask. */
export function encodeMask(mask: ArrayLike<number>, height: number, width: number): Rle {
  const counts: number[] = [];
  let previous = 0;
  let run = 0;
  for (let i = 0; i < height * width; i++) {
    const v = mask[i] ? 1 : 0;
    if (v !== previous) {
      counts.push(run);
      run = 0;
      previous = v;
    }
    run++;
  }
  counts.push(run);
  return { height, width, counts: Uint32Array.from(counts) };
}

/** Object pixels of the mask (pycocotools' area). */
export function rleArea(rle: Rle): number {
  let area = 0;
  for (let i = 1; i < rle.counts.length; i += 2) area += rle.counts[i];
  return area;
}

/**
 * The union of masks of one size (pycocotools' merge with intersect = 0), as used for an
 * annotation made of several polygons. Works on the runs, never on a pixel array.
 */
export function unionRle(parts: Rle[], height: number, width: number): Rle {
  if (parts.length === 1) return parts[0];
  // Object intervals [start, end) of every part, sorted by start, then merged.
  const intervals: Array<[number, number]> = [];
  for (const part of parts) {
    let at = 0;
    for (let i = 0; i < part.counts.length; i++) {
      const next = at + part.counts[i];
      if (i % 2 === 1 && next > at) intervals.push([at, next]);
      at = next;
    }
  }
  intervals.sort((a, b) => a[0] - b[0]);
  const counts: number[] = [];
  let cursor = 0;
  let open: [number, number] | null = null;
  const close = (interval: [number, number]): void => {
    counts.push(interval[0] - cursor, interval[1] - interval[0]);
    cursor = interval[1];
  };
  for (const interval of intervals) {
    if (open && interval[0] <= open[1]) open[1] = Math.max(open[1], interval[1]);
    else {
      if (open) close(open);
      open = [interval[0], interval[1]];
    }
  }
  if (open) close(open);
  const pixels = height * width;
  if (cursor < pixels) counts.push(pixels - cursor);
  return { height, width, counts: Uint32Array.from(counts) };
}

/** The 0/1 mask of an RLE in row-major order (the layout the rest of segloss uses). */
export function rleToRowMajor(rle: Rle): Uint8Array {
  const out = new Uint8Array(rle.height * rle.width);
  forEachObjectRun(rle, (x, y0, y1) => {
    for (let y = y0; y < y1; y++) out[y * rle.width + x] = 1;
  });
  return out;
}

/**
 * Calls `paint(x, y0, y1)` for every vertical run of object pixels (column x, rows y0..y1-1),
 * splitting runs that wrap from one column into the next.
 */
export function forEachObjectRun(rle: Rle, paint: (x: number, y0: number, y1: number) => void): void {
  const h = rle.height;
  let at = 0;
  for (let i = 0; i < rle.counts.length; i++) {
    const end = at + rle.counts[i];
    if (i % 2 === 1) {
      let start = at;
      while (start < end) {
        const x = Math.floor(start / h);
        const y0 = start - x * h;
        const y1 = Math.min(h, y0 + (end - start));
        paint(x, y0, y1);
        start += y1 - y0;
      }
    }
    at = end;
  }
}
