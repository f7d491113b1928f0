/**
 * What a file's samples are before they become class ids or 8-bit image samples: the sample type
 * (masks hold whole-number ids, so float and signed masks are refused, never cast), the page
 * layout (a stack of slices is not one 2-D mask). Image samples above 8 bits are stretched to 8
 * band by band in band-stretch.ts.
 */
import sharp from 'sharp';
import { PairProblem } from './types.js';

/**
 * A multi-page file is read as its first page only when the other pages are smaller (a pyramid of
 * overviews, as in cloud-optimised GeoTIFF: page 1 holds every pixel). Equal-size pages are a stack
 * of slices; one pair is one 2-D mask, so a stack is the pair's problem rather than silently cut
 * to its first slice.
 */
export async function checkPages(path: string, bytes: Uint8Array, role: 'mask' | 'image', meta: sharp.Metadata): Promise<void> {
  const pages = meta.pages ?? 1;
  if (pages <= 1) return;
  const second = await sharp(bytes, { limitInputPixels: false, page: 1 }).metadata().catch(() => null);
  if (second && (second.width ?? 0) < (meta.width ?? 0) && (second.height ?? 0) < (meta.height ?? 0)) return; // overviews
  throw new PairProblem(
    path,
    `the ${role} is a multi-page ${(meta.format ?? 'image').toUpperCase()} with ${pages} pages of ${meta.width}x${meta.height} (a stack of slices); segloss reads one 2-D ${role} per file and would see only page 1`,
    `save each page as its own file (slice_000.png, slice_001.png, ... for both image and mask), or keep only the page that belongs to the pair`,
  );
}

/** Masks hold whole-number class ids: 8- or 16-bit unsigned samples. */
const SAMPLE_TYPES: Record<string, string> = {
  char: 'signed 8-bit integers',
  short: 'signed 16-bit integers',
  int: 'signed 32-bit integers',
  uint: 'unsigned 32-bit integers',
  float: '32-bit floating-point values',
  double: '64-bit floating-point values',
  complex: 'complex values',
  dpcomplex: 'complex values',
};

export function checkMaskSampleType(path: string, depth: string | undefined): void {
  if (depth === undefined || depth === 'uchar' || depth === 'ushort') return;
  const what = SAMPLE_TYPES[depth] ?? `${depth} samples`;
  const floating = depth === 'float' || depth === 'double';
  throw new PairProblem(
    path,
    `the mask holds ${what}, not unsigned 8- or 16-bit class ids` +
      (floating ? ': reading it would truncate fractions (0.25 and 0.75 both become 0) and clamp large values' : ': reading it would clamp negative and large values'),
    `save the mask as whole-number class ids in unsigned 8- or 16-bit (numpy: mask.round().astype(np.uint8), or np.uint16 above 255 classes)`,
  );
}
