/**
 * Multi-band test data: a scene whose objects show in chosen bands only, and the TIFF layouts such
 * scenes are published in (interleaved or planar, 8/16-bit or float, extra samples marked as bands
 * or as alpha), written by hand so the tags are exactly what a test needs (GDAL's layout: extra
 * bands "unspecified"), plus the same scene written by sharp/libvips (every extra band "alpha").
 */
import sharp from 'sharp';
import { seededRandom } from '../../src/profiler/sampling.js';

export type Samples = Uint8Array | Uint16Array | Float32Array;

export interface Scene {
  width: number;
  height: number;
  bands: number;
  /** Band values before storage, interleaved, in 0..255 units (noise included). */
  values: Float64Array;
  /** Class ids: 1 inside the objects, 0 around them. */
  mask: Uint8Array;
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

/**
 * Rectangular objects (class 1) on a background; every band is `base` + noise (sigma `noise`), and
 * the objects differ from the background by `step` in the bands listed in `visibleIn` (1-based) only.
 */
export function bandScene(options: { width?: number; height?: number; bands: number; visibleIn: number[]; step?: number; noise?: number; seed?: number }): Scene {
  const width = options.width ?? 96;
  const height = options.height ?? 96;
  const { bands } = options;
  const step = options.step ?? 40;
  const noise = options.noise ?? 3;
  const random = seededRandom(options.seed ?? 1);
  const mask = new Uint8Array(width * height);
  for (let oy = 8; oy + 20 <= height; oy += 30) for (let ox = 8; ox + 20 <= width; ox += 30) for (let y = oy; y < oy + 20; y++) mask.fill(1, y * width + ox, y * width + ox + 20);
  const values = new Float64Array(width * height * bands);
  for (let i = 0; i < width * height; i++) {
    for (let b = 0; b < bands; b++) {
      const base = 70 + 6 * b;
      const lift = mask[i] === 1 && options.visibleIn.includes(b + 1) ? step : 0;
      values[i * bands + b] = base + lift + noise * gaussian(random);
    }
  }
  return { width, height, bands, values, mask };
}

/** The scene's values as stored: 8-bit as is, uint16 as value * scale, float32 as value / 255. */
export function storeScene(scene: Scene, type: 'uint8' | 'uint16' | 'float32', scale = 3000 / 255): Samples {
  const n = scene.values.length;
  const clampRound = (v: number, max: number) => Math.max(0, Math.min(max, Math.round(v)));
  if (type === 'uint8') return Uint8Array.from({ length: n }, (_, i) => clampRound(scene.values[i], 255));
  if (type === 'uint16') return Uint16Array.from({ length: n }, (_, i) => clampRound(scene.values[i] * scale, 65535));
  return Float32Array.from({ length: n }, (_, i) => scene.values[i] / 255);
}

/**
 * A little-endian uncompressed TIFF of `bands` samples per pixel (interleaved HWC input),
 * PlanarConfiguration 1 (interleaved) or 2 (planar), one strip per plane. Photometric RGB when
 * `rgb` (first 3 samples are colour) else min-is-black; the extra samples are tagged `extraSamples`
 * (0 unspecified = bands, 2 unassociated alpha).
 */
export function writeBandTiff(width: number, height: number, bands: number, data: Samples, options: { planar?: boolean; rgb?: boolean; extraSamples?: number } = {}): Buffer {
  const planar = options.planar ?? false;
  const colour = options.rgb ? 3 : 1;
  const extra = bands - colour;
  const bytesPer = data.BYTES_PER_ELEMENT;
  const pixels = width * height;
  const pixelBytes = Buffer.alloc(pixels * bands * bytesPer);
  const write = (value: number, at: number) => {
    if (data instanceof Uint8Array) pixelBytes.writeUInt8(value, at);
    else if (data instanceof Uint16Array) pixelBytes.writeUInt16LE(value, at);
    else pixelBytes.writeFloatLE(value, at);
  };
  for (let i = 0; i < pixels; i++) {
    for (let b = 0; b < bands; b++) write(data[i * bands + b], planar ? (b * pixels + i) * bytesPer : (i * bands + b) * bytesPer);
  }
  const strips = planar ? bands : 1;
  const stripBytes = planar ? pixels * bytesPer : pixels * bands * bytesPer;
  // Layout: header | pixels | arrays (bits, formats, offsets, counts, extra samples) | IFD.
  const arrays: Buffer[] = [];
  let cursor = 8 + pixelBytes.length;
  const shorts = (values: number[]): { offset: number; count: number } => {
    const b = Buffer.alloc(values.length * 2 + (values.length % 2 ? 2 : 0));
    values.forEach((v, k) => b.writeUInt16LE(v, 2 * k));
    arrays.push(b);
    const offset = cursor;
    cursor += b.length;
    return { offset, count: values.length };
  };
  const longs = (values: number[]): { offset: number; count: number } => {
    const b = Buffer.alloc(values.length * 4);
    values.forEach((v, k) => b.writeUInt32LE(v, 4 * k));
    arrays.push(b);
    const offset = cursor;
    cursor += b.length;
    return { offset, count: values.length };
  };
  const format = data instanceof Float32Array ? 3 : 1;
  const bits = shorts(Array(bands).fill(bytesPer * 8));
  const formats = shorts(Array(bands).fill(format));
  const offsets = longs(Array.from({ length: strips }, (_, k) => 8 + k * stripBytes));
  const counts = longs(Array(strips).fill(stripBytes));
  const extras = extra > 0 ? shorts(Array(extra).fill(options.extraSamples ?? 0)) : null;
  // [tag, type, count, value or array offset, 'value' | 'inline array' | 'array']
  const entry = (tag: number, type: number, ref: { offset: number; count: number } | number): [number, number, number, number, string] =>
    typeof ref === 'number' ? [tag, type, 1, ref, 'value'] : [tag, type, ref.count, ref.offset, ref.count * (type === 3 ? 2 : 4) <= 4 ? 'inline array' : 'array'];
  const tags = [
    entry(256, 4, width),
    entry(257, 4, height),
    entry(258, 3, bits),
    entry(259, 3, 1),
    entry(262, 3, options.rgb ? 2 : 1),
    entry(273, 4, offsets),
    entry(277, 3, bands),
    entry(278, 4, height),
    entry(279, 4, counts),
    entry(284, 3, planar ? 2 : 1),
    ...(extras ? [entry(338, 3, extras)] : []),
    entry(339, 3, formats),
  ];
  const ifd = Buffer.alloc(2 + tags.length * 12 + 4);
  ifd.writeUInt16LE(tags.length, 0);
  const arrayData = Buffer.concat(arrays);
  tags.forEach(([tag, type, count, value, kind], k) => {
    const at = 2 + k * 12;
    ifd.writeUInt16LE(tag, at);
    ifd.writeUInt16LE(type, at + 2);
    ifd.writeUInt32LE(count, at + 4);
    if (kind === 'value') {
      if (type === 3) ifd.writeUInt16LE(value, at + 8);
      else ifd.writeUInt32LE(value, at + 8);
    } else if (kind === 'inline array') {
      // Small arrays (up to 4 bytes) live in the entry itself: copy them from where they were laid out.
      arrayData.copy(ifd, at + 8, value - 8 - pixelBytes.length, value - 8 - pixelBytes.length + count * (type === 3 ? 2 : 4));
    } else ifd.writeUInt32LE(value, at + 8);
  });
  const header = Buffer.alloc(8);
  header.write('II', 0, 'latin1');
  header.writeUInt16LE(42, 2);
  header.writeUInt32LE(cursor, 4);
  return Buffer.concat([header, pixelBytes, arrayData, ifd]);
}

/** The same bands written by sharp (libvips): it tags every extra band as alpha. */
export async function sharpBandTiff(width: number, height: number, bands: number, data: Samples): Promise<Buffer> {
  const plane = (b: number): Samples => {
    const out = new (data.constructor as new (n: number) => Samples)(width * height);
    for (let i = 0; i < width * height; i++) out[i] = data[i * bands + b];
    return out;
  };
  let image = sharp(plane(0), { raw: { width, height, channels: 1 } });
  if (bands > 1) image = image.joinChannel(Array.from({ length: bands - 1 }, (_, k) => plane(k + 1)) as unknown as Buffer[], { raw: { width, height, channels: 1 } });
  return image.tiff({ compression: 'lzw' }).toBuffer();
}

/** The scene's mask as an 8-bit grey PNG. */
export function maskPng(scene: Scene): Promise<Buffer> {
  return sharp(scene.mask, { raw: { width: scene.width, height: scene.height, channels: 1 } }).png().toBuffer();
}
