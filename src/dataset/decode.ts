/**
 * Decoding one pair into class ids and 8-bit image samples, with every per-pair problem turned
 * into a PairProblem that names the file and the fix.
 *
 * Masks: PNG through the project's own decoder (png.ts: palette indices kept, 16-bit kept, CRCs
 * checked); TIFF and anything else through sharp. RGB(A) masks go through the colormap; an RGB
 * mask whose three channels are equal everywhere is read as grey. Images: sharp, alpha dropped, 1
 * or 3 channels; multi-band, 16-bit and float TIFFs through geotiff with every band kept (bands.ts);
 * anything above 8 bits stretched band by band to 8 (band-stretch.ts); then --bands (bands.ts).
 *
 * Hostile input: only regular files are read (common/regular-file.ts), and every file's declared
 * size is checked against the pixel limit (limits.ts) from its header before anything is decoded;
 * an allocation that still fails is that pair's problem, never the end of the run.
 */
import { isLossyTiff } from './tiff-compression.js';
import sharp from 'sharp';
import { formatBytes, readRegularFile, RegularFileError } from '../common/regular-file.js';
import { formatColor, packRgb } from './class-files.js';
import { checkPixelLimit, DEFAULT_MAX_PIXELS, formatPixels, maxFileBytes } from './limits.js';
import { stretchBands } from './band-stretch.js';
import { readsBandByBand, readTiffBands, selectBands, tiffBandLayout, type BandImage } from './bands.js';
import { checkMaskSampleType, checkPages } from './sample-types.js';
import { decodePng, isPng, PngColorType, PngError, readPngHeader } from './png.js';
import { decodeCocoMask } from './coco/decode-mask.js';
import { applyLabelConvention, BINARY_MASKS_SOURCE, DEFAULT_BINARIZE_THRESHOLD, describeValues, mapsNothing } from './labels.js';
import { PairProblem, type Colormap, type DatasetIndex, type DatasetPair, type DecodedPair, type LabelConvention } from './types.js';

/** What decoding a pair needs from the index; `labels` = the label convention in force (absent: values are class ids). */
export type DecodeContext = Pick<DatasetIndex, 'numClasses' | 'ignoreIndex' | 'colormap' | 'numClassesSource'> & { maxPixels?: number; bands?: number[] | null; labels?: LabelConvention };

export type Role = 'mask' | 'image';
const REEXPORT = (role: Role): string =>
  role === 'mask' ? 'restore or re-export the mask as a PNG of class ids, or remove the pair' : 'restore or re-export the image, or remove the pair';

/** The file's bytes: only a regular file (or a link to one), never more than the pixel limit allows. (Exported for NIfTI volumes: src/dataset/volume.ts.) */
export async function readBytes(path: string, role: Role, maxPixels: number): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(path, maxFileBytes(maxPixels));
  } catch (error) {
    if (!(error instanceof RegularFileError)) throw error;
    const problem = error.problem;
    switch (problem.kind) {
      case 'permission':
        throw new PairProblem(path, `cannot read the ${role}: permission denied`, `make it readable (chmod a+r "${path}")`);
      case 'broken-link':
        throw new PairProblem(path, `the ${role} is a broken link (points to ${problem.target}, which does not exist)`, 'restore the file the link points to, or remove the link');
      case 'not-regular':
        throw new PairProblem(path, `the ${role} is not a regular file: it is ${problem.what}`, `put an image file there, or remove it from the folder`);
      case 'missing':
        throw new PairProblem(path, `the ${role} disappeared while the dataset was read`, 'run again on a dataset that is not being changed');
      case 'too-large':
        throw new PairProblem(
          path,
          `the ${role} file is ${formatBytes(problem.bytes)}, more than any image within the pixel limit of ${formatPixels(maxPixels)} px (--max-pixels) can take`,
          'raise --max-pixels if the image really is that large, or cut it into tiles',
        );
      default:
        throw new PairProblem(path, `cannot read the ${role}: ${problem.message}`, 'check the file and the disk');
    }
  }
  if (bytes.length === 0) throw new PairProblem(path, `the ${role} is an empty file (0 bytes)`, REEXPORT(role));
  return bytes;
}

type Format = 'png' | 'tiff' | 'jpeg' | 'webp' | 'bmp' | 'gif';

/** The format from the first bytes (the extension may lie). */
export function sniffFormat(b: Uint8Array): Format | null {
  if (isPng(b)) return 'png';
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a))) return 'tiff';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 12 && b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return 'webp';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  if (b.length >= 4 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'gif';
  return null;
}

function notAnImage(path: string, bytes: Uint8Array, role: Role): PairProblem {
  const head = Buffer.from(bytes.subarray(0, 16));
  const printable = head.every((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127));
  const start = printable ? `text "${head.toString('latin1').replace(/\s+/g, ' ').trim()}..."` : `bytes ${head.subarray(0, 8).toString('hex')}`;
  return new PairProblem(path, `not an image: the content is not PNG, TIFF, JPEG, WebP or BMP (it starts with ${start})`, REEXPORT(role));
}

function sharpProblem(path: string, error: unknown, role: Role, format: Format): PairProblem {
  const message = (error as Error).message ?? String(error);
  if (/unsupported image format/i.test(message)) {
    return new PairProblem(path, `this build of sharp cannot read ${format.toUpperCase()} files`, `convert the ${role} to PNG (or TIFF)`);
  }
  if (/truncat|premature|end of (file|data)|unexpected end/i.test(message)) {
    return new PairProblem(path, `the ${role} is truncated (${format.toUpperCase()} ends early: ${firstLine(message)})`, REEXPORT(role));
  }
  if (/pixel limit/i.test(message)) {
    // The size was checked against --max-pixels before decoding; this is libvips' own limit.
    return new PairProblem(path, `the ${role} is over the pixel limit of the image decoder (${firstLine(message)})`, 'raise --max-pixels, or cut the image and its mask into tiles');
  }
  return new PairProblem(path, `the ${role} is corrupt (${format.toUpperCase()}: ${firstLine(message)})`, REEXPORT(role));
}

/**
 * A file too large to hold in memory (a typed array or buffer that cannot be allocated) is that
 * pair's problem, not the end of the run.
 */
function outOfMemoryProblem(path: string, role: Role, error: unknown): PairProblem | null {
  if (!(error instanceof RangeError) && !/allocat|buffer larger than|ERR_BUFFER_TOO_LARGE/i.test((error as Error)?.message ?? '')) return null;
  return new PairProblem(path, `the ${role} is too large to decode in memory (${firstLine((error as Error).message)})`, 'lower --max-pixels, or cut the image and its mask into tiles');
}

/** Header facts sharp reads without decoding pixels (with its own pixel limit off: ours applies). */
async function sharpHeader(path: string, bytes: Uint8Array, role: Role, format: Format, maxPixels: number): Promise<sharp.Metadata> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw sharpProblem(path, error, role, format);
  }
  checkPixelLimit(path, role, meta.width ?? 0, meta.height ?? 0, maxPixels);
  await checkPages(path, bytes, role, meta);
  return meta;
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}

interface RawSamples {
  format: Format;
  width: number;
  height: number;
  channels: number;
  data: Uint8Array | Uint16Array;
}

/** Mask samples as stored: from png.ts for PNG, else from sharp at the file's own bit depth. */
const LOSSLESS_MASKS = 'save masks losslessly (PNG or TIFF)';

async function readMaskSamples(path: string, bytes: Uint8Array, maxPixels: number): Promise<RawSamples> {
  const format = sniffFormat(bytes);
  if (format === null) throw notAnImage(path, bytes, 'mask');
  if (format === 'png') {
    try {
      const header = readPngHeader(bytes);
      checkPixelLimit(path, 'mask', header.width, header.height, maxPixels);
      const png = decodePng(bytes);
      return { format, width: png.width, height: png.height, channels: png.channels, data: png.data };
    } catch (error) {
      if (!(error instanceof PngError)) throw error;
      const what = error.kind === 'truncated' ? 'truncated' : 'corrupt';
      throw new PairProblem(path, `the mask is a ${what} PNG: ${error.message}`, REEXPORT('mask'));
    }
  }
  const meta = await sharpHeader(path, bytes, 'mask', format, maxPixels);
  checkMaskSampleType(path, meta.depth);
  try {
    const sixteen = meta.depth === 'ushort';
    const grey = (meta.channels ?? 1) <= 2;
    // Without an explicit colour space sharp converts to 8-bit sRGB, losing 16-bit ids.
    const space = sixteen ? (grey ? 'grey16' : 'rgb16') : grey ? 'b-w' : 'srgb';
    const { data, info } = await sharp(bytes, { failOn: 'truncated', limitInputPixels: maxPixels })
      .toColourspace(space)
      .raw({ depth: sixteen ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const samples = sixteen ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    // libvips scales 1-, 2- and 4-bit grey to 0..255 (a 1-bit mask's class 1 becomes 255, the
    // default ignore index): undo it, so the ids are the stored values, as for PNG.
    const bits = meta.bitsPerSample ?? 8;
    if (!sixteen && grey && bits < 8) {
      const step = 255 / (2 ** bits - 1);
      for (let i = 0; i < samples.length; i++) samples[i] = Math.round(samples[i] / step);
    }
    return { format, width: info.width, height: info.height, channels: info.channels, data: samples };
  } catch (error) {
    if (error instanceof PairProblem) throw error;
    throw sharpProblem(path, error, 'mask', format);
  }
}

/** Lookup tables built once per colormap (the colormap itself stays plain data for workers). */
const colormapLookups = new WeakMap<Colormap, Map<number, number>>();
function colormapLookup(colormap: Colormap): Map<number, number> {
  let lookup = colormapLookups.get(colormap);
  if (!lookup) {
    lookup = new Map(colormap.entries.map((e) => [packRgb(e.color[0], e.color[1], e.color[2]), e.id]));
    colormapLookups.set(colormap, lookup);
  }
  return lookup;
}

/** Class ids from RGB(A) samples, through the colormap; unknown colours are counted and reported. */
function labelsFromColors(path: string, raw: RawSamples, colormap: Colormap | null, lossy: boolean): Uint8Array | Uint16Array {
  const { channels, data } = raw;
  const pixels = raw.width * raw.height;
  const shift = data instanceof Uint16Array ? 8 : 0; // 16-bit colour masks: compare the top byte
  if (!colormap) {
    // Grey masks saved as RGB (all channels equal) are common and unambiguous.
    for (let i = 0, j = 0; i < pixels; i++, j += channels) {
      if (data[j] !== data[j + 1] || data[j] !== data[j + 2]) {
        throw new PairProblem(
          path,
          `RGB colour mask (pixel ${i % raw.width},${Math.floor(i / raw.width)} is ${formatColor([data[j] >> shift, data[j + 1] >> shift, data[j + 2] >> shift])}) but no --colormap was given`,
          'pass --colormap colors.json mapping each colour to a class id, e.g. {"0": "#000000", "1": "#ff0000"}, or save masks as single-channel class ids',
        );
      }
    }
    const grey = data instanceof Uint16Array ? new Uint16Array(pixels) : new Uint8Array(pixels);
    for (let i = 0, j = 0; i < pixels; i++, j += channels) grey[i] = data[j];
    return grey;
  }
  const lookup = colormapLookup(colormap);
  const maxId = colormap.entries.reduce((m, e) => Math.max(m, e.id), 0);
  const labels = maxId > 255 ? new Uint16Array(pixels) : new Uint8Array(pixels);
  const unknown = new Map<number, number>();
  let lastKey = -1;
  let lastId = -1;
  for (let i = 0, j = 0; i < pixels; i++, j += channels) {
    const key = packRgb(data[j] >> shift, data[j + 1] >> shift, data[j + 2] >> shift);
    if (key !== lastKey) {
      lastKey = key;
      lastId = lookup.get(key) ?? -1;
    }
    if (lastId < 0) unknown.set(key, (unknown.get(key) ?? 0) + 1);
    else labels[i] = lastId;
  }
  if (unknown.size > 0) {
    const listed = [...unknown]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([key, count]) => `${formatColor([(key >> 16) & 255, (key >> 8) & 255, key & 255])}: ${count} px`);
    const more = unknown.size > 3 ? ` and ${unknown.size - 3} more` : '';
    throw new PairProblem(
      path,
      `${unknown.size} colour${unknown.size > 1 ? 's' : ''} not in the colormap ${colormap.file} (${listed.join('; ')}${more})`,
      lossy
        ? `${LOSSLESS_MASKS}: lossy JPEG/WebP compression invents colours at every edge (a black-and-white mask can be read with --binarize instead of --colormap)`
        : `add the colour${unknown.size > 1 ? 's' : ''} to ${colormap.file} with a class id (or the ignore index), or fix the mask`,
    );
  }
  return labels;
}

/** Class ids of a mask: stored values through the label convention, checked against numClasses. */
export async function decodeMask(path: string, context: DecodeContext): Promise<{ width: number; height: number; labels: Uint8Array | Uint16Array; maxLabel: number }> {
  try {
    const stored = await readStoredLabels(path, context);
    const labels = classIdsOf(path, stored.labels, context);
    const maxLabel = checkLabels(path, labels, context);
    return { width: stored.width, height: stored.height, labels, maxLabel };
  } catch (error) {
    throw outOfMemoryProblem(path, 'mask', error) ?? error;
  }
}

/**
 * The mask's values as stored, one per pixel (colour masks through the colormap), before any
 * label convention: what binary-masks.ts scans to tell 0/255 masks apart.
 */
export async function readStoredLabels(path: string, context: DecodeContext): Promise<{ width: number; height: number; labels: Uint8Array | Uint16Array }> {
  try {
    return await readStoredLabelsUnguarded(path, context);
  } catch (error) {
    throw outOfMemoryProblem(path, 'mask', error) ?? error;
  }
}

async function readStoredLabelsUnguarded(path: string, context: DecodeContext): Promise<{ width: number; height: number; labels: Uint8Array | Uint16Array }> {
  const maxPixels = context.maxPixels ?? DEFAULT_MAX_PIXELS;
  const bytes = await readBytes(path, 'mask', maxPixels);
  const raw = await readMaskSamples(path, bytes, maxPixels);
  const binarize = context.labels?.binarize ?? null;
  // A JPEG of class ids (grey, or grey saved as RGB) looks valid but is wrong at every edge:
  // compression blends neighbours (0|5 becomes 0,1,3,5). Refuse it rather than count invented
  // classes, unless --binarize thresholds it (Kvasir-SEG's 0/255 JPEG masks: the noise stays far
  // from the threshold). Colour masks with a colormap are checked colour by colour below.
  const lossyTiff = raw.format === 'tiff' && isLossyTiff(bytes);
  if ((raw.format === 'jpeg' || lossyTiff) && !context.colormap && !binarize) {
    throw new PairProblem(
      path,
      `the mask is ${lossyTiff ? 'a TIFF with JPEG compression' : 'a JPEG'}: lossy compression changes class ids along every object edge`,
      `if it is a black-and-white mask (0 = background, 255 = object, as Kvasir-SEG's), pass --binarize (threshold ${DEFAULT_BINARIZE_THRESHOLD}) to read it as background/foreground; otherwise ${lossyTiff ? 'save masks losslessly (PNG, or TIFF with LZW or Deflate compression)' : LOSSLESS_MASKS}`,
    );
  }
  let labels: Uint8Array | Uint16Array;
  if (raw.channels === 1) labels = raw.data;
  else if (raw.channels === 2) labels = takeChannel(raw.data, 2, raw.width * raw.height); // grey + alpha: the grey channel
  else if (binarize && !context.colormap) labels = lumaOf(raw); // a black-and-white mask saved in colour: threshold its brightness
  else labels = labelsFromColors(path, raw, context.colormap ?? null, raw.format === 'jpeg' || raw.format === 'webp' || lossyTiff);
  return { width: raw.width, height: raw.height, labels };
}

/** Stored values -> class ids through the label convention; a value the label map rejects is the pair's problem. */
export function classIdsOf(path: string, stored: Uint8Array | Uint16Array, context: DecodeContext): Uint8Array | Uint16Array {
  const convention = context.labels;
  if (!convention || mapsNothing(convention)) return stored;
  const { labels, rejected } = applyLabelConvention(stored, convention, context.ignoreIndex);
  if (rejected.size > 0) throw rejectedValuesProblem(path, rejected, convention);
  return labels;
}

function rejectedValuesProblem(path: string, rejected: Map<number, number>, convention: LabelConvention): PairProblem {
  const source = convention.labelMap?.source ?? '';
  const values = `value${rejected.size > 1 ? 's' : ''} ${describeValues(rejected)}`;
  if (source === BINARY_MASKS_SOURCE) {
    return new PairProblem(
      path,
      `the dataset's masks were read as 0/255 black-and-white masks (the masks checked hold only 0 and 255), but this mask also holds ${values}`,
      `pass --binarize ${DEFAULT_BINARIZE_THRESHOLD} to threshold every mask, or --binarize none to read the stored values as class ids (255 = the ignore index); or fix the mask`,
      'class-ids',
    );
  }
  return new PairProblem(path, `stored ${values} not in the label map ${source} (its "default" is "reject")`, `add the value${rejected.size > 1 ? 's' : ''} to ${source}, or set "default" to "keep" or "ignore"`, 'class-ids');
}

/** ITU-R 601 brightness of RGB(A) samples (as PIL's convert("L") and OpenCV's IMREAD_GRAYSCALE), at the samples' depth. */
function lumaOf(raw: RawSamples): Uint8Array | Uint16Array {
  const { channels, data } = raw;
  const pixels = raw.width * raw.height;
  const out = data instanceof Uint16Array ? new Uint16Array(pixels) : new Uint8Array(pixels);
  for (let i = 0, j = 0; i < pixels; i++, j += channels) out[i] = Math.round(0.299 * data[j] + 0.587 * data[j + 1] + 0.114 * data[j + 2]);
  return out;
}

function takeChannel(data: Uint8Array | Uint16Array, channels: number, pixels: number): Uint8Array | Uint16Array {
  const out = data instanceof Uint16Array ? new Uint16Array(pixels) : new Uint8Array(pixels);
  for (let i = 0, j = 0; i < pixels; i++, j += channels) out[i] = data[j];
  return out;
}

/** Where a declared class count came from, for messages: "--num-classes" or "named in FILE". */
export function classCountOrigin(source: string): string {
  return source === '--num-classes' ? source : `named in ${source}`;
}

/** Ids above `limit` (other than the ignore index), the first five with pixel counts, for messages. */
function idsAbove(labels: Uint8Array | Uint16Array, limit: number, ignore: number): { listed: string; count: number } {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v > limit && v !== ignore) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const listed = [...counts].sort((a, b) => a[0] - b[0]).slice(0, 5).map(([id, n]) => `${id} (${n} px)`);
  const more = counts.size > 5 ? ` and ${counts.size - 5} more` : '';
  return { listed: `${listed.join(', ')}${more}`, count: counts.size };
}

/**
 * Returns the largest non-ignored label. Throws when an id is >= numClasses, or, when the class
 * count is inferred from the masks, when an id lies above the ignore index: the ignore index would
 * then sit among the class ids (255 between 0 and 300), and the count would be wrong.
 */
export function checkLabels(path: string, labels: Uint8Array | Uint16Array, context: DecodeContext): number {
  const ignore = context.ignoreIndex ?? -1;
  let max = -1;
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v > max && v !== ignore) max = v;
  }
  const numClasses = context.numClasses;
  if (numClasses === null) {
    if (context.ignoreIndex === null || max < context.ignoreIndex) return max;
    const above = idsAbove(labels, context.ignoreIndex, ignore);
    // A value above every id in this mask that unlabelled pixels could take instead: never the
    // ignore index the user gave (that is the value that is wrong).
    const suggest = labels instanceof Uint8Array && max < 255 ? '255' : max < 65535 ? '65535' : 'none';
    throw new PairProblem(
      path,
      `class id${above.count > 1 ? 's' : ''} ${above.listed} above the ignore index ${context.ignoreIndex}: class ids must all be below the ignore index, else it sits among the classes and the class count (${max + 1}) is wrong${mappedNote(context)}`,
      `set --ignore-index to the value that marks unlabelled pixels, above every class id (e.g. --ignore-index ${suggest}), or --ignore-index none if every value is a class; ` +
        `if ${context.ignoreIndex} is itself a class, pass --num-classes N with --ignore-index outside 0..N-1; otherwise fix the mask`,
      'class-ids',
    );
  }
  if (max < numClasses) return max;
  const above = idsAbove(labels, numClasses - 1, ignore);
  // The class count comes from --num-classes or from a class names / colormap file; the fix names
  // the one to change (raising --num-classes against a names file only gives another error).
  const source = context.numClassesSource ?? null;
  const from = source ? ` (${classCountOrigin(source)})` : '';
  const raise = source === '--num-classes' ? 'raise --num-classes' : source ? `add the missing classes to ${source}` : 'raise --num-classes (or name the missing classes in the class names file)';
  throw new PairProblem(
    path,
    `class id${above.count > 1 ? 's' : ''} ${above.listed} out of range: there are ${numClasses} classes${from}, so ids run 0..${numClasses - 1}` +
      (context.ignoreIndex === null ? ' (no ignore index)' : ` (ignore index ${context.ignoreIndex})`) +
      mappedNote(context),
    `${raise}, set --ignore-index to the value used for unlabelled pixels, ${context.labels?.labelMap ? `map the value in ${context.labels.labelMap.source}` : 'map stored values to classes with --label-map FILE'}, or fix the mask`,
    'class-ids',
  );
}

/** ", after the label conventions" when the ids in a message are not the stored values. */
function mappedNote(context: DecodeContext): string {
  return context.labels && !mapsNothing(context.labels) ? '; ids as read through the label conventions (--binarize, --label-map, --reduce-zero-label)' : '';
}

type DecodedImage = BandImage;

/**
 * An image as 8-bit samples, every band kept (alpha dropped): 1 (grey), 3 (RGB) or N bands (a
 * multi-band TIFF, see bands.ts). 8-bit samples are kept as stored; 16-bit, 32-bit, signed and
 * float samples are stretched band by band over their robust range (band-stretch.ts).
 */
export async function decodeImage(path: string, maxPixels = DEFAULT_MAX_PIXELS): Promise<DecodedImage> {
  try {
    return await decodeImageUnguarded(path, maxPixels);
  } catch (error) {
    throw outOfMemoryProblem(path, 'image', error) ?? error;
  }
}

async function decodeImageUnguarded(path: string, maxPixels: number): Promise<DecodedImage> {
  const bytes = await readBytes(path, 'image', maxPixels);
  const format = sniffFormat(bytes);
  if (format === null) throw notAnImage(path, bytes, 'image');
  let grey: boolean;
  let depth: string | undefined;
  if (format === 'png') {
    const header = pngHeader(path, bytes);
    checkPixelLimit(path, 'image', header.width, header.height, maxPixels);
    grey = header.colorType === PngColorType.Grey || header.colorType === PngColorType.GreyAlpha;
    depth = header.bitDepth === 16 ? 'ushort' : 'uchar';
  } else {
    const meta = await sharpHeader(path, bytes, 'image', format, maxPixels);
    if (format === 'tiff') {
      // Multi-band, 16-bit and float grey/RGB TIFFs: every band, read with geotiff (bands.ts).
      const layout = await tiffBandLayout(bytes);
      if (layout && readsBandByBand(layout)) return await readTiffBands(path, bytes, layout, maxPixels);
    }
    grey = (meta.channels ?? 3) <= 2;
    depth = meta.depth;
  }
  try {
    if (depth !== undefined && depth !== 'uchar') return await stretchedImage(bytes, grey, depth === 'ushort', maxPixels);
    // Grey stays one channel; everything else (RGB, palette, CMYK) becomes sRGB.
    const { data, info } = await sharp(bytes, { failOn: 'truncated', limitInputPixels: maxPixels })
      .toColourspace(grey ? 'b-w' : 'srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), rgb: info.channels === 3 };
  } catch (error) {
    if (error instanceof PairProblem) throw error;
    throw sharpProblem(path, error, 'image', format);
  }
}

/** 16-bit, float, signed and 32-bit images through sharp, stretched to 8 bits (band-stretch.ts: RGB over one shared range). */
async function stretchedImage(bytes: Uint8Array, grey: boolean, sixteen: boolean, maxPixels: number): Promise<DecodedImage> {
  // Without an explicit 16-bit colour space sharp converts to 8-bit sRGB first.
  const input = sharp(bytes, { failOn: 'truncated', limitInputPixels: maxPixels });
  const { data, info } = await (sixteen ? input.toColourspace(grey ? 'grey16' : 'rgb16') : input)
    .removeAlpha()
    .raw({ depth: sixteen ? 'ushort' : 'float' })
    .toBuffer({ resolveWithObject: true });
  const samples = sixteen ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2) : new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4);
  const channels = grey || info.channels < 3 ? 1 : 3;
  const pixels = info.width * info.height;
  const kept = channels === info.channels ? samples : firstChannels(samples, pixels, info.channels, channels);
  return { width: info.width, height: info.height, channels, data: stretchBands(kept, pixels, channels, channels === 3), rgb: channels === 3 };
}

function firstChannels<T extends Uint16Array | Float32Array>(samples: T, pixels: number, stride: number, channels: number): T {
  const out = new (samples.constructor as new (n: number) => T)(pixels * channels);
  for (let i = 0; i < pixels; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = samples[i * stride + c];
  return out;
}

function pngHeader(path: string, bytes: Uint8Array): ReturnType<typeof readPngHeader> {
  try {
    return readPngHeader(bytes);
  } catch (error) {
    if (error instanceof PngError) throw new PairProblem(path, `the image is a ${error.kind === 'truncated' ? 'truncated' : 'corrupt'} PNG: ${error.message}`, REEXPORT('image'));
    throw error;
  }
}

/** Decodes a pair; throws PairProblem for anything wrong with it. */
export async function decodePair(pair: DatasetPair, context: DecodeContext): Promise<DecodedPair> {
  // Both decode at once; when both fail, the mask's problem is the one reported (deterministic).
  const [maskResult, imageResult] = await Promise.allSettled([
    // COCO pairs: the labels are the image's annotations in the file maskPath names (coco/).
    pair.source?.kind === 'coco' ? decodeCocoMask(pair, context) : decodeMask(pair.maskPath, context),
    pair.imagePath ? decodeImage(pair.imagePath, context.maxPixels) : Promise.resolve(null),
  ]);
  if (maskResult.status === 'rejected') throw maskResult.reason;
  if (imageResult.status === 'rejected') throw imageResult.reason;
  const mask = maskResult.value;
  const image = imageResult.value && pair.imagePath ? selectBands(imageResult.value, context.bands, pair.imagePath, imageResult.value.width * imageResult.value.height) : imageResult.value;
  if (image && (image.width !== mask.width || image.height !== mask.height)) {
    throw new PairProblem(
      pair.maskPath,
      `mask is ${mask.width}x${mask.height} but its image ${pair.imagePath} is ${image.width}x${image.height}`,
      pair.source?.kind === 'coco' ? "fix the image's width and height in the annotation file" : 'resize the mask with nearest-neighbour to the image size (or fix the pairing)',
    );
  }
  const decoded: DecodedPair = {
    id: pair.id,
    width: mask.width,
    height: mask.height,
    labels: mask.labels,
    image: image ? { channels: image.channels, data: image.data, rgb: image.rgb } : null,
    maxLabel: mask.maxLabel,
  };
  // The pair's leak-free group (formats/groups.ts) travels with it to verify's split.
  if (pair.group !== undefined) decoded.group = pair.group;
  return decoded;
}

