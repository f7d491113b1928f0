import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodePair, indexDataset, readDataset, type DecodedPair } from '../../src/dataset/index.js';
import { encodePng, PngColorType } from '../../src/dataset/png.js';
import { greyMask, options, rgbImage, rgbMask, tempDir, writeTiff } from './helpers.js';

const W = 24;
const H = 10;

async function decodeOnly(root: string, extra: Parameters<typeof options>[1] = {}): Promise<DecodedPair> {
  const index = await indexDataset(options(root, extra));
  expect(index.pairs).toHaveLength(1);
  return decodePair(index.pairs[0], index);
}

describe('mask encodings', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir: root, cleanup } = tempDir());
    mkdirSync(join(root, 'masks'));
    mkdirSync(join(root, 'images'));
    writeFileSync(join(root, 'images', 'a.png'), rgbImage(W, H));
  });
  afterEach(() => cleanup());

  const ids16 = Uint16Array.from({ length: W * H }, (_, i) => (i * 173) % 1200);

  it('16-bit grey PNG keeps ids above 255', async () => {
    writeFileSync(join(root, 'masks', 'a.png'), encodePng({ width: W, height: H, colorType: PngColorType.Grey, bitDepth: 16, data: ids16 }));
    const pair = await decodeOnly(root, { ignoreIndex: null });
    expect(pair.labels).toBeInstanceOf(Uint16Array);
    expect([...pair.labels]).toEqual([...ids16]);
    expect(pair.maxLabel).toBe(Math.max(...ids16));
  });

  it('16-bit grey TIFF keeps ids above 255', async () => {
    const tiff = await sharp(ids16, { raw: { width: W, height: H, channels: 1 } }).toColourspace('grey16').tiff({ compression: 'lzw' }).toBuffer();
    writeFileSync(join(root, 'masks', 'a.tif'), tiff);
    const pair = await decodeOnly(root, { ignoreIndex: null });
    expect([...pair.labels]).toEqual([...ids16]);
  });

  it('8-bit TIFF and interlaced PNG masks read as ids', async () => {
    const ids = Uint8Array.from({ length: W * H }, (_, i) => i % 5);
    writeFileSync(join(root, 'masks', 'a.tif'), await sharp(ids, { raw: { width: W, height: H, channels: 1 } }).toColourspace('b-w').tiff({ compression: 'lzw' }).toBuffer());
    expect([...(await decodeOnly(root)).labels]).toEqual([...ids]);
    cleanup();
    ({ dir: root, cleanup } = tempDir());
    mkdirSync(join(root, 'masks'));
    const interlaced = await sharp(ids, { raw: { width: W, height: H, channels: 1 } }).toColourspace('b-w').png({ progressive: true }).toBuffer();
    expect(interlaced[28]).toBe(1); // Adam7
    writeFileSync(join(root, 'masks', 'a.png'), interlaced);
    expect([...(await decodeOnly(root)).labels]).toEqual([...ids]);
  });

  it('1-, 2- and 4-bit grey TIFF masks keep their stored ids (libvips scales them to 0..255)', async () => {
    // A 1-bit mask's class 1 used to read as 255, the default ignore index: silently left out.
    const cases: Array<[1 | 2 | 4, number[], number[]]> = [
      [1, [0b10100000], [1, 0, 1, 0]],
      [2, [0b00011011], [0, 1, 2, 3]],
      [4, [0x0f, 0x35], [0, 15, 3, 5]],
    ];
    for (const [bits, packed, ids] of cases) {
      writeFileSync(join(root, 'masks', 'a.tif'), writeTiff([{ width: 4, height: 1, data: Uint8Array.from(packed), bits }]));
      writeFileSync(join(root, 'images', 'a.png'), rgbImage(4, 1));
      const pair = await decodeOnly(root, { ignoreIndex: null });
      expect([...pair.labels], `${bits}-bit`).toEqual(ids);
    }
  });

  it('palette PNG: the indices, not the colours', async () => {
    const indices = Uint8Array.from({ length: W * H }, (_, i) => (i * 7) % 6);
    const palette = Uint8Array.from([10, 10, 10, 200, 0, 0, 0, 200, 0, 0, 0, 200, 250, 250, 0, 9, 99, 199]);
    writeFileSync(join(root, 'masks', 'a.png'), encodePng({ width: W, height: H, colorType: PngColorType.Palette, bitDepth: 8, data: indices, palette }));
    const pair = await decodeOnly(root);
    expect([...pair.labels]).toEqual([...indices]);
  });

  it('grey+alpha masks use the grey channel; RGB masks with equal channels read as grey', async () => {
    const ga = new Uint8Array(W * H * 2);
    for (let i = 0; i < W * H; i++) [ga[2 * i], ga[2 * i + 1]] = [i % 3, i % 2 ? 255 : 0];
    writeFileSync(join(root, 'masks', 'a.png'), encodePng({ width: W, height: H, colorType: PngColorType.GreyAlpha, bitDepth: 8, data: ga }));
    expect([...(await decodeOnly(root)).labels]).toEqual(Array.from({ length: W * H }, (_, i) => i % 3));
    writeFileSync(join(root, 'masks', 'a.png'), rgbMask(W, H, [[0, 0, 0], [1, 1, 1], [2, 2, 2]]));
    expect([...(await decodeOnly(root)).labels]).toEqual(Array.from({ length: W * H }, (_, i) => i % 3));
  });

  it('RGB and RGBA colour masks through a colormap (ignore colour, names from the colormap)', async () => {
    writeFileSync(
      join(root, 'colors.json'),
      JSON.stringify({
        classes: [
          { id: 0, name: 'background', color: [0, 0, 0] },
          { id: 1, name: 'roof', color: '#ff0000' },
          { id: 255, color: '#ffffff' },
        ],
      }),
    );
    writeFileSync(join(root, 'masks', 'a.png'), rgbMask(W, H, [[0, 0, 0], [255, 0, 0], [255, 255, 255]]));
    const extra = { colormapFile: join(root, 'colors.json') };
    const index = await indexDataset(options(root, extra));
    expect(index.classNames).toEqual(['background', 'roof']);
    expect(index.numClasses).toBe(2);
    const pair = await decodePair(index.pairs[0], index);
    expect([...pair.labels]).toEqual(Array.from({ length: W * H }, (_, i) => [0, 1, 255][i % 3]));
    expect(pair.maxLabel).toBe(1);

    const rgba = new Uint8Array(W * H * 4);
    for (let i = 0; i < W * H; i++) rgba.set(i % 2 ? [255, 0, 0, 255] : [0, 0, 0, 128], 4 * i);
    writeFileSync(join(root, 'masks', 'a.png'), encodePng({ width: W, height: H, colorType: PngColorType.Rgba, bitDepth: 8, data: rgba }));
    expect([...(await decodeOnly(root, extra)).labels]).toEqual(Array.from({ length: W * H }, (_, i) => i % 2));
  });

  it('the ignore index stays in the labels and out of maxLabel; ids below --num-classes pass', async () => {
    const ids = Uint8Array.from({ length: W * H }, (_, i) => (i % 4 === 0 ? 255 : i % 3));
    writeFileSync(join(root, 'masks', 'a.png'), encodePng({ width: W, height: H, colorType: PngColorType.Grey, bitDepth: 8, data: ids }));
    const pair = await decodeOnly(root, { numClasses: 3 });
    expect([...pair.labels]).toEqual([...ids]);
    expect(pair.maxLabel).toBe(2);
    writeFileSync(join(root, 'masks', 'a.png'), greyMask(W, H, 255));
    expect((await decodeOnly(root, { numClasses: 3 })).maxLabel).toBe(-1);
  });
});

describe('images', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir: root, cleanup } = tempDir());
    mkdirSync(join(root, 'masks'));
    mkdirSync(join(root, 'images'));
    writeFileSync(join(root, 'masks', 'a.png'), greyMask(W, H));
  });
  afterEach(() => cleanup());

  it('16-bit RGB is stretched to 8 bits over one range shared by its three bands (colours keep their balance)', async () => {
    // Red spans 1000..4000, green 0..65535, blue 20000..20300: one range for the three (here the
    // whole 0..65535), not one per band, which would turn the blue ramp into a full-range one.
    const span = [[1000, 4000], [0, 65535], [20000, 20300]];
    const rgb16 = Uint16Array.from({ length: W * H * 3 }, (_, i) => {
      const [low, high] = span[i % 3];
      return Math.round(low + ((high - low) * Math.floor(i / 3)) / (W * H - 1));
    });
    writeFileSync(join(root, 'images', 'a.png'), encodePng({ width: W, height: H, colorType: PngColorType.Rgb, bitDepth: 16, data: rgb16 }));
    const { image } = await decodeOnly(root);
    expect(image!.channels).toBe(3);
    for (let i = 0; i < rgb16.length; i++) expect(Math.abs(image!.data[i] - rgb16[i] / 257)).toBeLessThanOrEqual(1);
  });

  it('float and signed TIFF images are stretched over their range, not cast to black (issue 13)', async () => {
    // Reflectances in 0..1 used to become all 0 (every edge then looked ambiguous).
    const reflectance = Float32Array.from({ length: W * H }, (_, i) => (i % W < W / 2 ? 0.2 : 0.8));
    reflectance[5] = NaN; // no-data
    writeFileSync(join(root, 'images', 'a.tif'), writeTiff([{ width: W, height: H, data: reflectance }]));
    let { image } = await decodeOnly(root);
    expect(image!.channels).toBe(1);
    expect(image!.data[0]).toBe(0);
    expect(image!.data[W - 1]).toBe(255);
    expect(image!.data[5]).toBe(0);
    const signed = Int16Array.from({ length: W * H }, (_, i) => (i % W < W / 2 ? -500 : 1500));
    writeFileSync(join(root, 'images', 'a.tif'), writeTiff([{ width: W, height: H, data: signed }]));
    ({ image } = await decodeOnly(root));
    expect([image!.data[0], image!.data[W - 1]]).toEqual([0, 255]);
  });

  it('RGBA drops alpha; grey and grey+alpha stay one channel; JPEG decodes', async () => {
    const rgba = Uint8Array.from({ length: W * H * 4 }, (_, i) => (i % 4 === 3 ? 200 : i % 251));
    writeFileSync(join(root, 'images', 'a.png'), encodePng({ width: W, height: H, colorType: PngColorType.Rgba, bitDepth: 8, data: rgba }));
    let { image } = await decodeOnly(root);
    expect(image!.channels).toBe(3);
    expect([...image!.data.subarray(0, 6)]).toEqual([0, 1, 2, 4, 5, 6]);

    const ga = Uint8Array.from({ length: W * H * 2 }, (_, i) => (i % 2 ? 255 : (i >> 1) % 200));
    writeFileSync(join(root, 'images', 'a.png'), encodePng({ width: W, height: H, colorType: PngColorType.GreyAlpha, bitDepth: 8, data: ga }));
    ({ image } = await decodeOnly(root));
    expect(image!.channels).toBe(1);
    expect([...image!.data]).toEqual(Array.from({ length: W * H }, (_, i) => i % 200));

    cleanup();
    ({ dir: root, cleanup } = tempDir());
    mkdirSync(join(root, 'masks'));
    mkdirSync(join(root, 'images'));
    writeFileSync(join(root, 'masks', 'a.png'), greyMask(W, H));
    writeFileSync(join(root, 'images', 'a.jpg'), await sharp(Buffer.alloc(W * H * 3, 120), { raw: { width: W, height: H, channels: 3 } }).jpeg().toBuffer());
    ({ image } = await decodeOnly(root));
    expect(image!.channels).toBe(3);
    expect(Math.abs(image!.data[0] - 120)).toBeLessThanOrEqual(2);
  });
});

describe('layouts and pairing', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir: root, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('masks-only dataset: ROOT/masks without images, and a folder of masks given directly', async () => {
    mkdirSync(join(root, 'masks'));
    writeFileSync(join(root, 'masks', 'm1.png'), greyMask(8, 8));
    let index = await indexDataset(options(root));
    expect(index.hasImages).toBe(false);
    expect(index.imagesDir).toBeNull();
    const decoded = await decodePair(index.pairs[0], index);
    expect(decoded.image).toBeNull();
    index = await indexDataset(options(join(root, 'masks')));
    expect(index.masksDir).toBe(join(root, 'masks'));
    expect(index.pairs.map((p) => p.id)).toEqual(['m1']);
  });

  it('--masks/--images folders, mask suffixes, any image extension, natural order', async () => {
    mkdirSync(join(root, 'lbl'));
    mkdirSync(join(root, 'img'));
    for (const n of [10, 2, 1]) {
      writeFileSync(join(root, 'lbl', `tile_${n}_mask.png`), greyMask(8, 8));
      writeFileSync(join(root, 'img', `tile_${n}.jpg`), await sharp(Buffer.alloc(8 * 8 * 3, 90), { raw: { width: 8, height: 8, channels: 3 } }).jpeg().toBuffer());
    }
    const index = await indexDataset({ masksDir: join(root, 'lbl'), imagesDir: join(root, 'img'), ignoreIndex: 255, strict: true });
    expect(index.pairs.map((p) => p.id)).toEqual(['tile_1', 'tile_2', 'tile_10']);
    expect(index.pairs[0].imagePath).toBe(join(root, 'img', 'tile_1.jpg'));
    const decoded = [];
    for await (const pair of readDataset({ masksDir: join(root, 'lbl'), imagesDir: join(root, 'img'), ignoreIndex: 255, strict: true })) decoded.push(pair);
    expect(decoded.map((d) => [d.id, d.width, d.image!.channels])).toEqual([
      ['tile_1', 8, 3],
      ['tile_2', 8, 3],
      ['tile_10', 8, 3],
    ]);
  });

  it('ROOT/classes.json names the classes when --classes is not given', async () => {
    mkdirSync(join(root, 'masks'));
    writeFileSync(join(root, 'masks', 'a.png'), greyMask(8, 8));
    writeFileSync(join(root, 'classes.json'), '{"0": "ground", "1": "house"}');
    const index = await indexDataset(options(root));
    expect(index.classNames).toEqual(['ground', 'house']);
    expect(index.numClasses).toBe(2);
  });
});
