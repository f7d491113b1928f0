import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodePair, indexDataset, parseBands, PairProblem } from '../../src/dataset/index.js';
import { robustRange, stretchBands } from '../../src/dataset/band-stretch.js';
import { datasetOptionsFrom } from '../../src/dataset/options.js';
import { bandScene, maskPng, sharpBandTiff, storeScene, writeBandTiff } from '../helpers/multiband.js';
import { options, tempDir } from './helpers.js';

let root: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir: root, cleanup } = tempDir('segloss-bands-'));
  mkdirSync(join(root, 'images'));
  mkdirSync(join(root, 'masks'));
});
afterEach(() => cleanup());

const scene4 = bandScene({ width: 40, height: 40, bands: 4, visibleIn: [4] });

async function decodeOnly(image: Buffer, extra: { bands?: number[] } = {}) {
  writeFileSync(join(root, 'images', 'a.tif'), image);
  writeFileSync(join(root, 'masks', 'a.png'), await maskPng(scene4));
  const index = await indexDataset(options(root, extra));
  return decodePair(index.pairs[0], index);
}

describe('multi-band images keep every band', () => {
  it('4-band uint16, interleaved and planar, read as 4 bands, each stretched over its own range', async () => {
    const stored = storeScene(scene4, 'uint16');
    const interleaved = await decodeOnly(writeBandTiff(40, 40, 4, stored));
    const planar = await decodeOnly(writeBandTiff(40, 40, 4, stored, { planar: true }));
    expect(interleaved.image!.channels).toBe(4);
    expect(interleaved.image!.rgb).toBe(false);
    expect([...planar.image!.data]).toEqual([...interleaved.image!.data]);
    // Every band spans 0..255 after its own stretch (the type's range would leave 0..12).
    for (let b = 0; b < 4; b++) {
      const band = Array.from({ length: 1600 }, (_, i) => interleaved.image!.data[i * 4 + b]);
      expect(Math.min(...band)).toBe(0);
      expect(Math.max(...band)).toBe(255);
    }
  });

  it('the 4th band of an RGB TIFF is NIR when ExtraSamples says unspecified, alpha when it says alpha', async () => {
    const stored = storeScene(scene4, 'uint8');
    const nir = await decodeOnly(writeBandTiff(40, 40, 4, stored, { rgb: true, extraSamples: 0 }));
    expect(nir.image!.channels).toBe(4);
    expect(nir.image!.rgb).toBe(true);
    expect([...nir.image!.data]).toEqual([...stored]); // 8-bit samples as stored
    const alpha = await decodeOnly(writeBandTiff(40, 40, 4, stored, { rgb: true, extraSamples: 2 }));
    expect(alpha.image!.channels).toBe(3);
    expect(alpha.image!.data[0]).toBe(stored[0]);
    expect(alpha.image!.data[3]).toBe(stored[4]);
  });

  it('13-band uint16 written by libvips (every extra band tagged alpha) keeps all 13 bands; float32 planar too', async () => {
    const scene = bandScene({ width: 40, height: 40, bands: 13, visibleIn: [8] });
    const fromSharp = await decodeOnly(await sharpBandTiff(40, 40, 13, storeScene(scene, 'uint16')));
    expect(fromSharp.image!.channels).toBe(13);
    // libvips writes photometric RGB: bands 1-3 are read as a colour image (one shared stretch), so the float file says so too.
    const float = await decodeOnly(writeBandTiff(40, 40, 13, storeScene(scene, 'float32'), { planar: true, rgb: true }));
    expect(float.image!.channels).toBe(13);
    // Same scene, two storages: within a level or two per sample after the per-band stretch.
    let worst = 0;
    for (let i = 0; i < float.image!.data.length; i++) worst = Math.max(worst, Math.abs(float.image!.data[i] - fromSharp.image!.data[i]));
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('--bands chooses and orders bands; a band the image lacks is the pair problem naming the file', async () => {
    const stored = storeScene(scene4, 'uint8');
    const chosen = await decodeOnly(writeBandTiff(40, 40, 4, stored, { rgb: true }), { bands: [4, 3, 2] });
    expect(chosen.image!.channels).toBe(3);
    expect(chosen.image!.rgb).toBe(false);
    expect([...chosen.image!.data.subarray(0, 6)]).toEqual([stored[3], stored[2], stored[1], stored[7], stored[6], stored[5]]);
    const error = await decodeOnly(writeBandTiff(40, 40, 4, stored), { bands: [2, 5] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PairProblem);
    expect((error as PairProblem).file).toBe(join(root, 'images', 'a.tif'));
    expect((error as PairProblem).problem).toBe('--bands 2,5 asks for band 5, but the image has 4 bands');
    expect((error as PairProblem).fix).toMatch(/choose bands from 1 to 4/);
  });

  it('--bands is parsed and checked as a flag', () => {
    expect(parseBands('4,3,2')).toEqual([4, 3, 2]);
    expect(parseBands(' 1, 2 ')).toEqual([1, 2]);
    for (const bad of ['0', 'a', '1,,2', '-1', '1.5', '65']) expect(() => parseBands(bad)).toThrow(/band numbers from 1 to 64/);
    expect(() => parseBands('2,2')).toThrow(/band 2 is listed twice/);
    expect(datasetOptionsFrom({ bands: '8,4,3' }, root).bands).toEqual([8, 4, 3]);
    expect(() => datasetOptionsFrom({ bands: '0' }, root)).toThrow(/--bands: expected band numbers/);
  });
});

describe('per-band robust stretch', () => {
  it('a hot pixel or no-data fill does not set a band\'s scale; a constant band is 0', () => {
    const pixels = 4000;
    const samples = new Uint16Array(pixels * 2);
    for (let i = 0; i < pixels; i++) {
      samples[i * 2] = 1000 + (i % 100) * 20; // 1000..2980
      samples[i * 2 + 1] = 7;
    }
    samples[0] = 65535; // one saturated pixel
    const [low, high] = robustRange(samples, pixels, 2, [0]);
    expect(low).toBe(1000);
    expect(high).toBeLessThan(3000);
    const out = stretchBands(samples, pixels, 2);
    expect(out[2 * 1]).toBe(Math.round(((1020 - low) * 255) / (high - low)));
    expect(out[0]).toBe(255);
    expect(Math.max(...Array.from({ length: pixels }, (_, i) => out[i * 2 + 1]))).toBe(0);
    const floats = Float32Array.from({ length: pixels }, (_, i) => (i < 3600 ? NaN : (i - 3600) / 400));
    const f = stretchBands(floats, pixels, 1);
    expect(f[0]).toBe(0); // no-data
    expect(f[pixels - 1]).toBe(255);
  });
});

describe('hostile multi-band files', () => {
  it('a truncated 4-band TIFF, or one with 70 bands, is the pair\'s problem, never a crash', async () => {
    const full = writeBandTiff(40, 40, 4, storeScene(scene4, 'uint16'));
    // The strip starts 100 bytes before the end of the file: its 12800 bytes run past it.
    const ifd = full.readUInt32LE(4);
    for (let k = 0; k < full.readUInt16LE(ifd); k++) {
      if (full.readUInt16LE(ifd + 2 + 12 * k) === 273) full.writeUInt32LE(full.length - 100, ifd + 2 + 12 * k + 8);
    }
    const truncated = await decodeOnly(full).catch((e: unknown) => e);
    expect(truncated).toBeInstanceOf(PairProblem);
    expect((truncated as PairProblem).file).toBe(join(root, 'images', 'a.tif'));
    expect((truncated as PairProblem).problem).toMatch(/^the image is truncated or corrupt: its bands cannot be read \(TIFF: /);
    const wide = bandScene({ width: 8, height: 8, bands: 70, visibleIn: [] });
    const many = await decodeOnly(writeBandTiff(8, 8, 70, storeScene(wide, 'uint8'))).catch((e: unknown) => e);
    expect(many).toBeInstanceOf(PairProblem);
    expect((many as PairProblem).problem).toMatch(/70 bands, more than the 64 segloss reads/);
  });
});
