/**
 * The boundary measure on multi-band images, through the whole profile (TIFF files decoded as a
 * user's would be): an edge visible in one band only is not ambiguous, in whichever band it is;
 * the same scene stored as 8-bit or as uint16 0..3000 scores the same contrast; --bands measures
 * only the bands chosen.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { DatasetProfile } from '../../src/contracts/profile.js';
import { writeSampleDataset } from '../../src/dataset/index.js';
import { profileDataset } from '../../src/profiler/index.js';
import { imageBandsPhrase } from '../../src/report/image-bands-text.js';
import { bandScene, maskPng, sharpBandTiff, storeScene, writeBandTiff, type Scene } from '../helpers/multiband.js';

const base = mkdtempSync(join(tmpdir(), 'segloss-multiband-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let folders = 0;

/** A dataset of the scene, seeds 1..3, each image written by `write`; profiled with `bands`. */
async function profileScenes(make: (seed: number) => Scene, write: (scene: Scene) => Buffer | Promise<Buffer>, bands?: number[]): Promise<DatasetProfile> {
  const root = join(base, `d${folders++}`);
  mkdirSync(join(root, 'images'), { recursive: true });
  mkdirSync(join(root, 'masks'), { recursive: true });
  for (let seed = 1; seed <= 3; seed++) {
    const scene = make(seed);
    writeFileSync(join(root, 'images', `tile_${seed}.tif`), await write(scene));
    writeFileSync(join(root, 'masks', `tile_${seed}.png`), await maskPng(scene));
  }
  const profile = await profileDataset({ root, ignoreIndex: 255, strict: false, workers: 0, ...(bands ? { bands } : {}) });
  expect(profile.dataset.skipped).toEqual([]);
  expect(profile.aggregates.imagesProfiled).toBe(3);
  return profile;
}

const ambiguous = (p: DatasetProfile): number => p.aggregates.ambiguousBoundaryShare!;

describe('edges visible in one band only', () => {
  it('4-band RGB+NIR (uint16, GDAL layout): NIR-only edges are not ambiguous; without NIR they are', async () => {
    const scene = (seed: number) => bandScene({ bands: 4, visibleIn: [4], seed });
    const write = (s: Scene) => writeBandTiff(s.width, s.height, 4, storeScene(s, 'uint16'));
    const all = await profileScenes(scene, write);
    expect(ambiguous(all)).toBeLessThan(0.02);
    expect(all.dataset.imageBands).toEqual({ 4: 3 });
    expect(imageBandsPhrase(all.dataset)).toBe(', 4-band images (measured band by band)');
    expect(ambiguous(await profileScenes(scene, write, [1, 2, 3]))).toBeGreaterThan(0.95);
    const chosen = await profileScenes(scene, write, [4, 3, 2]);
    expect(ambiguous(chosen)).toBeLessThan(0.02);
    expect(chosen.dataset.bands).toEqual([4, 3, 2]);
    expect(chosen.dataset.imageBands).toEqual({ 3: 3 });
    expect(imageBandsPhrase(chosen.dataset)).toBe(', bands 4,3,2 of each image');
    expect(imageBandsPhrase({ imageBands: { 3: 5, 1: 2 } })).toBe(''); // grey and RGB: as before
    expect(imageBandsPhrase({ imageBands: { 4: 5, 13: 2 } })).toBe(', multi-band images (5 with 4, 2 with 13)');
  });

  it('8-bit RGB+NIR TIFF (photometric RGB, NIR as an unspecified extra sample): RGB measured as luma, NIR on its own', async () => {
    const scene = (seed: number) => bandScene({ bands: 4, visibleIn: [4], seed });
    const write = (s: Scene) => writeBandTiff(s.width, s.height, 4, storeScene(s, 'uint8'), { rgb: true, extraSamples: 0 });
    expect(ambiguous(await profileScenes(scene, write))).toBeLessThan(0.02);
    // The same file with the 4th sample marked alpha is an RGB image: its edges are invisible.
    const alpha = (s: Scene) => writeBandTiff(s.width, s.height, 4, storeScene(s, 'uint8'), { rgb: true, extraSamples: 2 });
    expect(ambiguous(await profileScenes(scene, alpha))).toBeGreaterThan(0.95);
  });

  it('13-band uint16 (Sentinel-2 layout, written by libvips): edges in band 8 only are not ambiguous', async () => {
    const scene = (seed: number) => bandScene({ width: 64, height: 64, bands: 13, visibleIn: [8], seed });
    const write = (s: Scene) => sharpBandTiff(s.width, s.height, 13, storeScene(s, 'uint16'));
    expect(ambiguous(await profileScenes(scene, write))).toBeLessThan(0.02);
    expect(ambiguous(await profileScenes(scene, write, [4, 3, 2]))).toBeGreaterThan(0.95);
  });
});

describe('the same edges, stored two ways', () => {
  it('8-bit and uint16 0..3000 give the same contrast (the type range gave 103.9 vs 5.4)', async () => {
    // Edges of ~3 noise sigma in band 2 only: near the threshold, so a scale error would show.
    const scene = (seed: number) => bandScene({ bands: 4, visibleIn: [2], step: 9, noise: 3, seed });
    const eight = await profileScenes(scene, (s) => writeBandTiff(s.width, s.height, 4, storeScene(s, 'uint8')));
    const sixteen = await profileScenes(scene, (s) => writeBandTiff(s.width, s.height, 4, storeScene(s, 'uint16')));
    const float = await profileScenes(scene, (s) => writeBandTiff(s.width, s.height, 4, storeScene(s, 'float32'), { planar: true }));
    const c8 = eight.aggregates.meanBoundaryContrast!;
    expect(c8).toBeGreaterThan(2);
    expect(c8).toBeLessThan(5);
    expect(Math.abs(sixteen.aggregates.meanBoundaryContrast! / c8 - 1)).toBeLessThan(0.05);
    expect(Math.abs(float.aggregates.meanBoundaryContrast! / c8 - 1)).toBeLessThan(0.05);
    expect(Math.abs(ambiguous(sixteen) - ambiguous(eight))).toBeLessThan(0.03);
  });

  it('the sample dataset as uint16 RGB 0..3000 TIFFs: the same ambiguous share and contrast as its 8-bit PNGs', async () => {
    const png = join(base, 'sample-png');
    const truth = await writeSampleDataset(png, { seed: 5, images: 6, size: 128, blurredShare: 0.3, balanced: false });
    const tiff = join(base, 'sample-u16');
    mkdirSync(join(tiff, 'images'), { recursive: true });
    cpSync(join(png, 'masks'), join(tiff, 'masks'), { recursive: true });
    cpSync(join(png, 'classes.json'), join(tiff, 'classes.json'));
    for (const file of readdirSync(join(png, 'images'))) {
      const { data, info } = await sharp(join(png, 'images', file)).raw().toBuffer({ resolveWithObject: true });
      const u16 = Uint16Array.from(data, (v) => Math.round((v * 3000) / 255));
      writeFileSync(join(tiff, 'images', file.replace('.png', '.tif')), writeBandTiff(info.width, info.height, 3, u16, { rgb: true }));
    }
    const eight = await profileDataset({ root: png, ignoreIndex: 255, strict: false, workers: 0 });
    const sixteen = await profileDataset({ root: tiff, ignoreIndex: 255, strict: false, workers: 0 });
    expect(Math.abs(ambiguous(eight) - truth.ambiguousBoundaryShare)).toBeLessThan(0.1);
    expect(Math.abs(ambiguous(sixteen) - ambiguous(eight))).toBeLessThan(0.01);
    expect(Math.abs(sixteen.aggregates.meanBoundaryContrast! / eight.aggregates.meanBoundaryContrast! - 1)).toBeLessThan(0.02);
  });

  it('the method text states the per-band rule', async () => {
    const p = await profileScenes((seed) => bandScene({ width: 32, height: 32, bands: 4, visibleIn: [4], seed }), (s) => writeBandTiff(s.width, s.height, 4, storeScene(s, 'uint16')));
    expect(p.method.boundary!.description).toContain('an edge\'s CNR is the largest over the planes (an edge visible in any band counts)');
    expect(p.method.boundary!.description).toContain('0.1-99.9 percentile range');
  });
});
