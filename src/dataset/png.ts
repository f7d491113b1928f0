/**
 * A small, strict PNG codec for label masks.
 *
 * Why not sharp for every mask: libvips expands palette PNGs to RGB, losing the class indices,
 * and a mask decoder must also tell a truncated file from a corrupt one. This decoder keeps
 * samples as stored (palette indices, 8- or 16-bit grey, RGB(A)), checks every chunk's length
 * and CRC, and reports problems as `PngError` with a plain-language message.
 */
import { crc32, deflateSync, inflateSync } from 'node:zlib';

export const PNG_SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG colour types (PNG spec 11.2.2). */
export const PngColorType = { Grey: 0, Rgb: 2, Palette: 3, GreyAlpha: 4, Rgba: 6 } as const;
export type PngColorType = (typeof PngColorType)[keyof typeof PngColorType];

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ALLOWED_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

export class PngError extends Error {
  /** 'truncated' when the file ends early, 'corrupt' for anything else that is wrong. */
  readonly kind: 'truncated' | 'corrupt' | 'unsupported';
  constructor(kind: 'truncated' | 'corrupt' | 'unsupported', message: string) {
    super(message);
    this.name = 'PngError';
    this.kind = kind;
  }
}

export interface DecodedPng {
  width: number;
  height: number;
  colorType: PngColorType;
  bitDepth: number;
  /** Samples per pixel as stored: 1 grey or palette index, 2 grey+alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  /** Row-major interleaved samples: Uint16Array for 16-bit, Uint8Array otherwise (indices for palette). */
  data: Uint8Array | Uint16Array;
  /** RGB triplets of the palette (colour type 3), else null. */
  palette: Uint8Array | null;
}

export function isPng(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== PNG_SIGNATURE[i]) return false;
  return true;
}

interface Header {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
}

/** Reads a PNG's header fields without decoding pixels. */
export function readPngHeader(bytes: Uint8Array): Header {
  if (!isPng(bytes)) throw new PngError('corrupt', 'not a PNG file (bad signature)');
  if (bytes.length < 33) throw new PngError('truncated', 'file ends inside the PNG header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8) !== 13 || chunkType(bytes, 12) !== 'IHDR') throw new PngError('corrupt', 'first chunk is not a valid IHDR');
  const header = {
    width: view.getUint32(16),
    height: view.getUint32(20),
    bitDepth: bytes[24],
    colorType: bytes[25],
    interlace: bytes[28],
  };
  if (header.width === 0 || header.height === 0) throw new PngError('corrupt', `invalid size ${header.width}x${header.height}`);
  const depths = ALLOWED_DEPTHS[header.colorType];
  if (!depths) throw new PngError('corrupt', `invalid colour type ${header.colorType}`);
  if (!depths.includes(header.bitDepth)) throw new PngError('corrupt', `bit depth ${header.bitDepth} is invalid for colour type ${header.colorType}`);
  if (header.interlace > 1) throw new PngError('corrupt', `invalid interlace method ${header.interlace}`);
  return header;
}

function chunkType(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]);
}

/** Decodes a PNG to its stored samples. Throws PngError on truncation, bad CRCs or bad data. */
export function decodePng(bytes: Uint8Array): DecodedPng {
  const header = readPngHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Uint8Array[] = [];
  let palette: Uint8Array | null = null;
  let offset = 8;
  let sawEnd = false;
  while (offset < bytes.length) {
    if (offset + 12 > bytes.length) throw new PngError('truncated', `file ends inside a chunk header at byte ${offset}`);
    const length = view.getUint32(offset);
    const type = chunkType(bytes, offset + 4);
    const end = offset + 12 + length;
    if (end > bytes.length) throw new PngError('truncated', `file ends inside the ${type} chunk (${bytes.length} of ${end} bytes)`);
    const stored = view.getUint32(end - 4);
    const actual = crc32(bytes.subarray(offset + 4, end - 4));
    if (stored !== actual) throw new PngError('corrupt', `CRC mismatch in the ${type} chunk at byte ${offset}`);
    const body = bytes.subarray(offset + 8, end - 4);
    if (type === 'IDAT') idat.push(body);
    else if (type === 'PLTE') palette = body;
    else if (type === 'IEND') {
      sawEnd = true;
      break;
    }
    offset = end;
  }
  if (!sawEnd) throw new PngError('truncated', 'file ends before the IEND chunk');
  if (idat.length === 0) throw new PngError('corrupt', 'no image data (IDAT) chunk');
  if (header.colorType === PngColorType.Palette && !palette) throw new PngError('corrupt', 'palette PNG without a PLTE chunk');

  const channels = CHANNELS[header.colorType] as 1 | 2 | 3 | 4;
  // The size the header declares bounds the inflated data: a few kB of zlib cannot become gigabytes.
  const expected = expectedRawBytes(header, channels);
  if (expected > MAX_INFLATED_BYTES) throw new PngError('unsupported', `${header.width}x${header.height} is too large to decode (${expected} bytes of image data)`);
  let raw: Buffer;
  try {
    raw = inflateSync(idat.length === 1 ? idat[0] : Buffer.concat(idat), { maxOutputLength: expected + EXTRA_DATA_ALLOWED });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new PngError('corrupt', `compressed image data inflates to far more than the ${expected} bytes a ${header.width}x${header.height} image needs`);
    }
    throw new PngError('corrupt', `compressed image data is damaged (${(error as Error).message})`);
  }
  if (raw.length < expected) throw new PngError('truncated', `image data is short: ${raw.length} of ${expected} bytes after decompression`);
  const samples =
    header.interlace === 1
      ? deinterlace(raw, header, channels)
      : unfilterPass(raw, 0, header.width, header.height, channels, header.bitDepth).samples;
  return {
    width: header.width,
    height: header.height,
    colorType: header.colorType as PngColorType,
    bitDepth: header.bitDepth,
    channels,
    data: samples,
    palette,
  };
}

/** Largest inflated image data decoded (V8's typed-array limit on 64-bit Node 20). */
const MAX_INFLATED_BYTES = 2 ** 32 - 1 - 65536;

/** Trailing inflated bytes tolerated past the image data (libpng, too, only warns about a little). */
const EXTRA_DATA_ALLOWED = 65536;

/** Bytes of filtered scanlines a header declares: one filter byte per row, per Adam7 pass if interlaced. */
export function expectedRawBytes(header: Pick<Header, 'width' | 'height' | 'bitDepth' | 'interlace'>, channels: number): number {
  const passBytes = (width: number, height: number): number => (width > 0 && height > 0 ? height * (Math.ceil((width * channels * header.bitDepth) / 8) + 1) : 0);
  if (header.interlace !== 1) return passBytes(header.width, header.height);
  return ADAM7.reduce((sum, [x0, y0, dx, dy]) => sum + passBytes(Math.ceil((header.width - x0) / dx), Math.ceil((header.height - y0) / dy)), 0);
}

/**
 * Undoes the per-row filters of one (sub)image starting at `start` in `raw`, and unpacks the
 * samples. Returns the samples and the offset just past this pass.
 */
function unfilterPass(
  raw: Uint8Array,
  start: number,
  width: number,
  height: number,
  channels: number,
  bitDepth: number,
): { samples: Uint8Array | Uint16Array; end: number } {
  const bitsPerPixel = channels * bitDepth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const needed = start + height * (stride + 1);
  if (raw.length < needed) throw new PngError('truncated', `image data is short: ${raw.length} of ${needed} bytes after decompression`);
  const rows = new Uint8Array(height * stride);
  let previous = -1;
  for (let y = 0; y < height; y++) {
    const filter = raw[start + y * (stride + 1)];
    const src = start + y * (stride + 1) + 1;
    const dst = y * stride;
    switch (filter) {
      case 0:
        rows.set(raw.subarray(src, src + stride), dst);
        break;
      case 1:
        for (let i = 0; i < stride; i++) rows[dst + i] = raw[src + i] + (i >= bpp ? rows[dst + i - bpp] : 0);
        break;
      case 2:
        if (previous < 0) rows.set(raw.subarray(src, src + stride), dst);
        else for (let i = 0; i < stride; i++) rows[dst + i] = raw[src + i] + rows[previous + i];
        break;
      case 3:
        for (let i = 0; i < stride; i++) {
          const left = i >= bpp ? rows[dst + i - bpp] : 0;
          const up = previous >= 0 ? rows[previous + i] : 0;
          rows[dst + i] = raw[src + i] + ((left + up) >> 1);
        }
        break;
      case 4:
        for (let i = 0; i < stride; i++) {
          const a = i >= bpp ? rows[dst + i - bpp] : 0;
          const b = previous >= 0 ? rows[previous + i] : 0;
          const c = i >= bpp && previous >= 0 ? rows[previous + i - bpp] : 0;
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          rows[dst + i] = raw[src + i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
        }
        break;
      default:
        throw new PngError('corrupt', `invalid row filter ${filter} in row ${y}`);
    }
    previous = dst;
  }
  return { samples: unpack(rows, width, height, channels, bitDepth, stride), end: needed };
}

function unpack(rows: Uint8Array, width: number, height: number, channels: number, bitDepth: number, stride: number): Uint8Array | Uint16Array {
  if (bitDepth === 8) return rows;
  const count = width * height * channels;
  if (bitDepth === 16) {
    const out = new Uint16Array(count);
    for (let i = 0, j = 0; i < count; i++, j += 2) out[i] = (rows[j] << 8) | rows[j + 1];
    return out;
  }
  // 1, 2 or 4 bits: one sample per pixel (grey or palette), packed MSB first, rows byte-aligned.
  const out = new Uint8Array(count);
  const perByte = 8 / bitDepth;
  const mask = (1 << bitDepth) - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const byte = rows[y * stride + Math.floor(x / perByte)];
      const shift = 8 - bitDepth * ((x % perByte) + 1);
      out[y * width + x] = (byte >> shift) & mask;
    }
  }
  return out;
}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

function deinterlace(raw: Uint8Array, header: Header, channels: number): Uint8Array | Uint16Array {
  const { width, height, bitDepth } = header;
  const out = bitDepth === 16 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  let offset = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const passWidth = Math.ceil((width - x0) / dx);
    const passHeight = Math.ceil((height - y0) / dy);
    if (passWidth <= 0 || passHeight <= 0) continue;
    const pass = unfilterPass(raw, offset, passWidth, passHeight, channels, bitDepth);
    offset = pass.end;
    for (let py = 0; py < passHeight; py++) {
      for (let px = 0; px < passWidth; px++) {
        const target = ((y0 + py * dy) * width + x0 + px * dx) * channels;
        const source = (py * passWidth + px) * channels;
        for (let c = 0; c < channels; c++) out[target + c] = pass.samples[source + c];
      }
    }
  }
  return out;
}

export interface EncodePngOptions {
  width: number;
  height: number;
  colorType: PngColorType;
  /** 8 or 16 (16 needs a Uint16Array). Palette images are 8-bit. */
  bitDepth: 8 | 16;
  data: Uint8Array | Uint16Array;
  /** RGB triplets, for colour type 3. */
  palette?: Uint8Array;
  /** zlib level, default 6. */
  level?: number;
}

/** Encodes samples as a PNG (filter 0 on every row). Used for tests, fixtures and 16-bit output. */
export function encodePng(options: EncodePngOptions): Buffer {
  const { width, height, colorType, bitDepth, data } = options;
  const channels = CHANNELS[colorType];
  const bytesPerSample = bitDepth / 8;
  const stride = width * channels * bytesPerSample;
  const raw = Buffer.alloc(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const rowStart = y * (stride + 1) + 1;
    for (let i = 0; i < width * channels; i++) {
      const value = data[y * width * channels + i];
      if (bitDepth === 16) raw.writeUInt16BE(value, rowStart + 2 * i);
      else raw[rowStart + i] = value;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  const chunks = [pngChunk('IHDR', ihdr)];
  if (colorType === PngColorType.Palette) chunks.push(pngChunk('PLTE', Buffer.from(options.palette ?? new Uint8Array(3))));
  chunks.push(pngChunk('IDAT', deflateSync(raw, { level: options.level ?? 6 })), pngChunk('IEND', Buffer.alloc(0)));
  return Buffer.concat([Buffer.from(PNG_SIGNATURE), ...chunks]);
}

/** One PNG chunk: length, type, body and CRC (for the encoder, and for tests that build odd files). */
export function pngChunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  out.set(body, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}
