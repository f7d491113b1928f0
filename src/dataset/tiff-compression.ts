/**
 * The compression of a TIFF's first image, read from its header (tag 259, Compression), so that a
 * mask stored as a JPEG-compressed TIFF (sharp's and GDAL's JPEG option, common for aerial tiles)
 * is named as lossy the way a .jpg mask is, instead of its invented edge values being reported as
 * unknown class ids. Classic TIFF and BigTIFF, either byte order; null when the header cannot say.
 */

/** TIFF Compression values that are lossy JPEG: 6 (old-style JPEG), 7 (JPEG), 34892 (lossy JPEG, DNG). */
const LOSSY_JPEG = new Set([6, 7, 34892]);

export function tiffCompression(bytes: Uint8Array): number | null {
  if (bytes.length < 16) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = bytes[0] === 0x49 && bytes[1] === 0x49;
  if (!little && !(bytes[0] === 0x4d && bytes[1] === 0x4d)) return null;
  const magic = view.getUint16(2, little);
  const big = magic === 43;
  if (magic !== 42 && !big) return null;
  const ifd = big ? Number(view.getBigUint64(8, little)) : view.getUint32(4, little);
  const countSize = big ? 8 : 2;
  const entrySize = big ? 20 : 12;
  if (!Number.isSafeInteger(ifd) || ifd + countSize > bytes.length) return null;
  const count = big ? Number(view.getBigUint64(ifd, little)) : view.getUint16(ifd, little);
  for (let i = 0; i < count; i++) {
    const at = ifd + countSize + i * entrySize;
    if (at + entrySize > bytes.length) return null;
    if (view.getUint16(at, little) !== 259) continue;
    const type = view.getUint16(at + 2, little);
    const valueAt = at + (big ? 12 : 8);
    // SHORT (3) is what the specification says; LONG (4) is tolerated.
    if (type === 3) return view.getUint16(valueAt, little);
    if (type === 4) return view.getUint32(valueAt, little);
    return null;
  }
  return 1; // no Compression tag: the default, none
}

export function isLossyTiff(bytes: Uint8Array): boolean {
  const compression = tiffCompression(bytes);
  return compression !== null && LOSSY_JPEG.has(compression);
}
