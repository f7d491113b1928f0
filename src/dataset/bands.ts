/**
 * Multi-band images: 4-band RGB+NIR, 13-band Sentinel-2, uint16 / float GeoTIFF.
 *
 * Why a second reader: sharp (libvips) reads a TIFF's extra samples as alpha and converts 16-bit
 * and float samples to 8-bit sRGB, so a 4th band (NIR) was dropped and uint16 reflectances became
 * a dozen grey levels. TIFFs whose bands sharp would change are read here with geotiff (the
 * maintained GeoTIFF reader: interleaved and planar layouts, strips and tiles, 8-64 bit integer and
 * float samples, LZW/Deflate/PackBits/Zstd/LERC), every band kept, then stretched band by band to
 * 8 bits (band-stretch.ts). Everything else (8-bit RGB/RGBA/grey, palette, CMYK, YCbCr, JPEG-in-TIFF)
 * stays with sharp, as before.
 *
 * Which extra sample is alpha (TIFF tag ExtraSamples, 338: 0 unspecified, 1 associated alpha,
 * 2 unassociated alpha): an extra sample marked alpha is alpha and is dropped, one marked
 * unspecified is a band (GDAL/rasterio write extra bands so). One exception: when a file has
 * several extra samples and marks every one of them alpha, they are bands, since a pixel has one
 * alpha at most (libvips/sharp mark every extra band so; a 13-band file would otherwise lose 10).
 * So a 4-band file from GDAL is RGB+NIR; a 4-band file from libvips, like any RGBA TIFF, is RGB.
 */
import { fromArrayBuffer } from 'geotiff';
import { stretchBands, type BandSamples } from './band-stretch.js';
import { formatPixels } from './limits.js';
import { PairProblem } from './types.js';
import { MAX_BANDS } from './band-option.js';

/** An image as 8-bit samples, interleaved, any number of bands. */
export interface BandImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
  /** True when the first 3 channels are a colour image's red, green and blue (measured as one luma plane); false for grey and other bands. */
  rgb: boolean;
}

/** What a TIFF's first page holds, from its header (tags only, no pixels). */
export interface TiffBandLayout {
  samplesPerPixel: number;
  /** PhotometricInterpretation: 0 min-is-white, 1 min-is-black, 2 RGB, 3 palette, 5 CMYK, 6 YCbCr, ... */
  photometric: number;
  bits: number;
  /** SampleFormat: 1 unsigned, 2 signed, 3 float. */
  sampleFormat: number;
  /** Indices of the samples kept as bands (alpha left out). */
  bands: number[];
}

const first = (value: unknown, fallback: number): number => {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object' && 0 in value) return Number((value as Record<number, number>)[0]);
  return fallback;
};
const list = (value: unknown): number[] => (typeof value === 'number' ? [value] : value && typeof value === 'object' ? Array.from(value as ArrayLike<number>) : []);

/** The bytes as an ArrayBuffer of their own: no copy when they already fill one (a large file's Buffer). */
function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The band layout of a TIFF, or null when geotiff cannot parse its header (sharp then reads it as before). */
export async function tiffBandLayout(bytes: Uint8Array): Promise<TiffBandLayout | null> {
  try {
    const tiff = await fromArrayBuffer(arrayBufferOf(bytes));
    const image = await tiff.getImage(0);
    const fd = image.getFileDirectory();
    const samplesPerPixel = image.getSamplesPerPixel();
    const photometric = first(fd.getValue('PhotometricInterpretation'), 1);
    const colour = photometric === 2 ? 3 : 1;
    const extra = list(fd.getValue('ExtraSamples'));
    const extraCount = Math.max(0, samplesPerPixel - colour);
    const marked = (k: number): boolean => extra[k] === 1 || extra[k] === 2;
    const allMarked = extraCount >= 2 && Array.from({ length: extraCount }, (_, k) => marked(k)).every(Boolean);
    const bands: number[] = [];
    for (let s = 0; s < samplesPerPixel; s++) if (s < colour || allMarked || !marked(s - colour)) bands.push(s);
    return { samplesPerPixel, photometric, bits: image.getBitsPerSample(0), sampleFormat: first(fd.getValue('SampleFormat'), 1), bands };
  } catch {
    return null;
  }
}

/**
 * Whether the TIFF is read here rather than by sharp: grey or RGB data (photometric 1 or 2; other
 * interpretations are colour encodings sharp converts) whose bands sharp would not keep as they are,
 * i.e. anything but 8-bit unsigned grey or RGB (+ alpha).
 */
export function readsBandByBand(layout: TiffBandLayout): boolean {
  if (layout.photometric !== 1 && layout.photometric !== 2) return false;
  const eightBit = layout.bits === 8 && layout.sampleFormat === 1;
  const asSharpReadsIt = layout.photometric === 2 ? layout.bands.length === 3 : layout.bands.length === 1;
  return !(eightBit && asSharpReadsIt);
}

/** A TIFF's kept bands as 8-bit samples (every band stretched over its own robust range). */
export async function readTiffBands(path: string, bytes: Uint8Array, layout: TiffBandLayout, maxPixels: number): Promise<BandImage> {
  const tiff = await fromArrayBuffer(arrayBufferOf(bytes));
  const image = await tiff.getImage(0);
  const width = image.getWidth();
  const height = image.getHeight();
  const channels = layout.bands.length;
  if (channels > MAX_BANDS) {
    throw new PairProblem(path, `the image has ${channels} bands, more than the ${MAX_BANDS} segloss reads`, 'keep the bands you train on (gdal_translate -b 1 -b 2 ... in.tif out.tif)');
  }
  // The pixel limit assumes up to 4 samples a pixel; more bands take proportionally fewer pixels.
  if (width * height * channels > maxPixels * 4) {
    throw new PairProblem(
      path,
      `the image is ${width}x${height} with ${channels} bands (${formatPixels(width * height * channels)} samples), over the limit of 4 x --max-pixels = ${formatPixels(maxPixels * 4)} samples per image`,
      'cut the image and its mask into tiles, or raise --max-pixels',
    );
  }
  let raster;
  try {
    raster = await image.readRasters({ interleave: true, samples: layout.bands });
  } catch (error) {
    const message = ((error as Error).message ?? String(error)).split('\n')[0];
    throw new PairProblem(path, `the image is truncated or corrupt: its bands cannot be read (TIFF: ${message})`, 'restore or re-export the image (GDAL: gdal_translate -co COMPRESS=DEFLATE in.tif out.tif), or remove the pair');
  }
  const samples = raster as unknown as BandSamples;
  return { width, height, channels, data: stretchBands(samples, width * height, channels, layout.photometric === 2), rgb: layout.photometric === 2 };
}

/**
 * The chosen bands of an image, in the order given (null = every band, as decoded). A band
 * number above the image's band count is the pair's problem, naming the file.
 */
export function selectBands<T extends { channels: number; data: Uint8Array; rgb: boolean }>(image: T, bands: readonly number[] | null | undefined, path: string, pixels: number): T {
  if (!bands || bands.length === 0) return image;
  const missing = bands.filter((b) => b > image.channels);
  if (missing.length > 0) {
    throw new PairProblem(
      path,
      `--bands ${bands.join(',')} asks for band ${missing.join(', ')}, but the image has ${image.channels} band${image.channels === 1 ? '' : 's'}`,
      `choose bands from 1 to ${image.channels}, or leave --bands out to use every band`,
    );
  }
  const identity = bands.length === image.channels && bands.every((b, i) => b === i + 1);
  if (identity) return image;
  const out = new Uint8Array(pixels * bands.length);
  const src = image.data;
  const c = image.channels;
  for (let k = 0; k < bands.length; k++) {
    const from = bands[k] - 1;
    for (let i = 0, j = k, s = from; i < pixels; i++, j += bands.length, s += c) out[j] = src[s];
  }
  // Still a colour image only when the choice starts with its red, green and blue, in order.
  return { ...image, channels: bands.length, data: out, rgb: image.rgb && bands.length >= 3 && bands[0] === 1 && bands[1] === 2 && bands[2] === 3 };
}
