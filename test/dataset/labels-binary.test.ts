/**
 * 0/255 building masks (Inria, WHU, Massachusetts): read as background/foreground for the whole
 * dataset, with a note; a 2-class profile, recipe and export; the old meaning on request; a mask
 * that does not fit is skipped with the reason in the headline.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodePng, PngColorType } from '../../src/dataset/png.js';
import { indexDataset } from '../../src/dataset/index.js';
import { mergeProfileParts, profileDataset, profileShard } from '../../src/profiler/index.js';
import { formatProfileText } from '../../src/report/profile-text.js';
import { runCli } from '../helpers/run-cli.js';
import { options, rgbImage, tempDir } from './helpers.js';

const SIZE = 32;

/** A building mask: `buildings` squares of 255 on 0 (none = an empty tile, only 0). */
function buildingMask(buildings: number, extra?: number): { png: Buffer; ones: number } {
  const data = new Uint8Array(SIZE * SIZE);
  let ones = 0;
  for (let b = 0; b < buildings; b++) {
    const x0 = 2 + 10 * b;
    for (let y = 4; y < 4 + 6 + b; y++) for (let x = x0; x < x0 + 6; x++) data[y * SIZE + x] = 255;
  }
  if (extra !== undefined) data[SIZE * SIZE - 1] = extra;
  for (const v of data) if (v === 255) ones++;
  return { png: encodePng({ width: SIZE, height: SIZE, colorType: PngColorType.Grey, bitDepth: 8, data }), ones };
}

/** ROOT/images + ROOT/masks: 12 tiles, every third one empty; `odd` puts a stray value in tile_01. */
function writeBuildings(root: string, odd?: number): { buildingPixels: number; totalPixels: number } {
  mkdirSync(join(root, 'images'), { recursive: true });
  mkdirSync(join(root, 'masks'), { recursive: true });
  let buildingPixels = 0;
  for (let k = 0; k < 12; k++) {
    const name = `tile_${String(k).padStart(2, '0')}`;
    const mask = buildingMask(k % 3 === 0 ? 0 : 1 + (k % 3), k === 1 ? odd : undefined);
    if (!(k === 1 && odd !== undefined)) buildingPixels += mask.ones;
    writeFileSync(join(root, 'masks', `${name}.png`), mask.png);
    writeFileSync(join(root, 'images', `${name}.png`), rgbImage(SIZE, SIZE, 20 * k));
  }
  return { buildingPixels, totalPixels: (odd === undefined ? 12 : 11) * SIZE * SIZE };
}

describe('0/255 building masks', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir: root, cleanup } = tempDir('segloss-binary-'));
  });
  afterEach(() => cleanup());

  it('are read as background (0) and building (255 -> 1): exact shares, a note saying so and how to get the old meaning', async () => {
    const truth = writeBuildings(root);
    const index = await indexDataset(options(root));
    expect(index.labels?.labelMap?.entries).toEqual([[0, 0], [255, 1]]);
    const profile = await profileDataset({ ...options(root), workers: 0 });
    expect(profile.aggregates.numClasses).toBe(2);
    expect(profile.classes.map((c) => c.id)).toEqual([0, 1]);
    expect(profile.classes[1].pixelCount).toBe(truth.buildingPixels);
    expect(profile.aggregates.foregroundShare).toBeCloseTo(truth.buildingPixels / truth.totalPixels, 12);
    expect(profile.aggregates.ignoredPixels).toBe(0);
    expect(profile.dataset.background).toBe(0);
    expect(profile.dataset.skipped).toEqual([]);
    const text = formatProfileText(profile, { color: false });
    expect(text).toMatch(/note: the masks hold only 0 and 255 \(8 of 12 checked\): read as background \(0\) and foreground \(255 -> class 1\)/);
    expect(text).toMatch(/--ignore-index 255/);
    expect(text).not.toMatch(/nothing to recommend/);
  });

  it('the worker threads read them the same way as the main thread', async () => {
    writeBuildings(root);
    const inline = await profileDataset({ ...options(root), workers: 0 });
    const threaded = await profileDataset({ ...options(root), workers: 2 });
    expect(threaded.classes).toEqual(inline.classes);
  });

  it('every shard of a sharded profile reads them the same way: the merged profile is the one-machine profile', async () => {
    writeBuildings(root);
    const whole = await profileDataset({ ...options(root), workers: 0 });
    const parts = [];
    for (let index = 0; index < 3; index++) parts.push({ file: `part-${index}`, part: JSON.parse(JSON.stringify(await profileShard({ ...options(root), workers: 0 }, { index, count: 3 }))) });
    const merged = mergeProfileParts(parts);
    expect(merged.classes).toEqual(whole.classes);
    expect(merged.dataset.labelNotes).toEqual(whole.dataset.labelNotes);
    expect(merged.dataset.background).toBe(0);
  });

  it('give a 2-class recipe and a PyTorch export with NUM_CLASSES = 2 (recommend, then export)', async () => {
    writeBuildings(root);
    const out = join(root, 'out');
    const recommended = await runCli(['recommend', root, '--out', out, '--no-color']);
    expect(recommended.code).toBe(0);
    expect(recommended.stderr).toMatch(/note: the masks hold only 0 and 255/);
    const recommendation = JSON.parse(readFileSync(join(out, 'recommendation.json'), 'utf8'));
    expect(recommendation.input.numClasses).toBe(2);
    if (recommendation.recipe.classWeights) expect(recommendation.recipe.classWeights.values).toHaveLength(2);
    const exported = await runCli(['export', join(out, 'recommendation.json'), '--to', 'pytorch']);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(/^NUM_CLASSES = 2\b/m);
    expect(exported.stdout).not.toMatch(/NUM_CLASSES = 256/);
  });

  it('--num-classes 2 reads every mask (none dropped)', async () => {
    writeBuildings(root);
    const result = await runCli(['profile', root, '--num-classes', '2', '--json']);
    expect(result.code).toBe(0);
    const profile = JSON.parse(result.stdout);
    expect(profile.dataset.pairsProfiled).toBe(12);
    expect(profile.dataset.skipped).toEqual([]);
    expect(profile.aggregates.numClasses).toBe(2);
  });

  it('--ignore-index 255 (explicit) or --binarize none keeps the old meaning: 255 is ignored', async () => {
    writeBuildings(root);
    for (const flags of [['--ignore-index', '255'], ['--binarize', 'none']]) {
      const result = await runCli(['profile', root, ...flags, '--json']);
      expect(result.code).toBe(0);
      const profile = JSON.parse(result.stdout);
      expect(profile.aggregates.numClasses).toBe(1);
      expect(profile.aggregates.ignoredPixels).toBeGreaterThan(0);
      expect(profile.dataset.labelNotes).toEqual([]);
    }
  });

  it('--ignore-index none does not give 256 classes: 0 and 255 are the two classes', async () => {
    writeBuildings(root);
    const result = await runCli(['profile', root, '--ignore-index', 'none', '--json']);
    const profile = JSON.parse(result.stdout);
    expect(profile.aggregates.numClasses).toBe(2);
  });

  it('a mask the scan did not see with another value is skipped, and the headline says so with --binarize', async () => {
    writeBuildings(root, 3);
    const profile = await profileDataset({ ...options(root), workers: 0 });
    expect(profile.dataset.pairsProfiled).toBe(11);
    expect(profile.dataset.skipped).toHaveLength(1);
    expect(profile.dataset.skipped[0]).toMatchObject({ cause: 'class-ids' });
    expect(profile.dataset.skipped[0].problem).toMatch(/read as 0\/255 .* also holds value 3 \(1 px\)/);
    const text = formatProfileText(profile, { color: false });
    const headline = text.slice(0, text.indexOf('Class imbalance'));
    expect(headline).toMatch(/warning: 1 mask was skipped for their class ids .*tile_01\.png.*fix: pass --binarize 127/);
    const recommended = await runCli(['recommend', root, '--no-color']);
    expect(recommended.stderr).toMatch(/warning: 1 mask was skipped for their class ids/);
  });

  it('a VOC-style dataset (ids 1..20 and a 255 void border) is not read as binary', async () => {
    mkdirSync(join(root, 'masks'), { recursive: true });
    const data = new Uint8Array(SIZE * SIZE).map((_, i) => (i % SIZE < 8 ? 0 : i % SIZE === 8 ? 255 : 5));
    writeFileSync(join(root, 'masks', 'a.png'), encodePng({ width: SIZE, height: SIZE, colorType: PngColorType.Grey, bitDepth: 8, data }));
    const index = await indexDataset(options(root, { imagesDir: undefined }));
    expect(index.labels?.labelMap ?? null).toBeNull();
    expect(index.labelNotes ?? []).toEqual([]);
    const profile = await profileDataset({ ...options(root), workers: 0 });
    expect(profile.classes.map((c) => c.id)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(formatProfileText(profile, { color: false })).not.toMatch(/compression noise|note:/);
  });
});
