import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodePng, encodePng, PngColorType, PngError } from '../../src/dataset/png.js';
import { mulberry32 } from '../../src/dataset/sample/prng.js';

/** A smooth-plus-noise RGB test picture, so encoders pick every row filter. */
function picture(width: number, height: number, seed: number): Uint8Array {
  const random = mulberry32(seed);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 3 * (y * width + x);
      data[i] = (x * 5 + y) & 255;
      data[i + 1] = random() < 0.5 ? 40 : (y * 9) & 255;
      data[i + 2] = Math.floor(random() * 256);
    }
  }
  return data;
}

describe('PNG decoder against sharp (libpng)', () => {
  it('RGB with adaptive filtering (all five row filters), plain and interlaced', async () => {
    const [w, h] = [37, 23];
    const data = picture(w, h, 1);
    for (const progressive of [false, true]) {
      const png = await sharp(data, { raw: { width: w, height: h, channels: 3 } }).png({ adaptiveFiltering: true, progressive }).toBuffer();
      const decoded = decodePng(png);
      expect(decoded.channels).toBe(3);
      expect([...decoded.data]).toEqual([...data]);
    }
  });

  it('palette PNGs at 1, 2, 4 and 8 bits: index -> palette colour equals what sharp decodes', async () => {
    const [w, h] = [29, 13];
    for (const colours of [2, 4, 16, 200]) {
      const png = await sharp(picture(w, h, colours), { raw: { width: w, height: h, channels: 3 } }).png({ palette: true, colours, dither: 0 }).toBuffer();
      const decoded = decodePng(png);
      expect(decoded.colorType).toBe(PngColorType.Palette);
      const reference = await sharp(png).removeAlpha().raw().toBuffer();
      const viaPalette = new Uint8Array(w * h * 3);
      for (let i = 0; i < w * h; i++) viaPalette.set(decoded.palette!.subarray(3 * decoded.data[i], 3 * decoded.data[i] + 3), 3 * i);
      expect([...viaPalette]).toEqual([...reference]);
    }
  });

  it('encodePng round-trips grey 8/16, grey+alpha, RGB, RGBA and palette', () => {
    const [w, h] = [7, 5];
    const cases = [
      { colorType: PngColorType.Grey, bitDepth: 8 as const, data: Uint8Array.from({ length: w * h }, (_, i) => i * 7) },
      { colorType: PngColorType.Grey, bitDepth: 16 as const, data: Uint16Array.from({ length: w * h }, (_, i) => i * 1871) },
      { colorType: PngColorType.GreyAlpha, bitDepth: 8 as const, data: Uint8Array.from({ length: w * h * 2 }, (_, i) => i) },
      { colorType: PngColorType.Rgb, bitDepth: 16 as const, data: Uint16Array.from({ length: w * h * 3 }, (_, i) => i * 601) },
      { colorType: PngColorType.Rgba, bitDepth: 8 as const, data: Uint8Array.from({ length: w * h * 4 }, (_, i) => 255 - i) },
      { colorType: PngColorType.Palette, bitDepth: 8 as const, data: Uint8Array.from({ length: w * h }, (_, i) => i % 3), palette: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]) },
    ];
    for (const c of cases) {
      const decoded = decodePng(encodePng({ width: w, height: h, ...c }));
      expect([decoded.width, decoded.height, decoded.bitDepth]).toEqual([w, h, c.bitDepth]);
      expect([...decoded.data]).toEqual([...c.data]);
    }
  });

  it('truncation, bad CRC, bad signature and damaged zlib data are PngErrors with a kind', () => {
    const png = encodePng({ width: 4, height: 4, colorType: PngColorType.Grey, bitDepth: 8, data: new Uint8Array(16).fill(3) });
    const kindOf = (bytes: Uint8Array): string => {
      try {
        decodePng(bytes);
        return 'ok';
      } catch (error) {
        expect(error).toBeInstanceOf(PngError);
        return (error as PngError).kind;
      }
    };
    expect(kindOf(png)).toBe('ok');
    expect(kindOf(png.subarray(0, 20))).toBe('truncated');
    expect(kindOf(png.subarray(0, png.length - 12))).toBe('truncated'); // IEND missing
    const badCrc = Buffer.from(png);
    badCrc[30] ^= 1;
    expect(kindOf(badCrc)).toBe('corrupt');
    const badSignature = Buffer.from(png);
    badSignature[1] = 0;
    expect(kindOf(badSignature)).toBe('corrupt');
  });
});
