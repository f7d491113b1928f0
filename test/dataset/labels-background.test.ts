/**
 * The background class from the convention, not "class 0": no background (Cityscapes, ADE20K),
 * another id, and the datasets whose ids need a map first (LoveDA's reduce-zero-label, Cityscapes'
 * labelIds). Profile aggregates, rule facts, loss parameters, verify's rare classes and object metrics.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodePng, PngColorType } from '../../src/dataset/png.js';
import { countObjects } from '../../src/metrics/objects.js';
import { profileDataset } from '../../src/profiler/index.js';
import { formatProfileText } from '../../src/report/profile-text.js';
import { lossForBackground } from '../../src/rules/background-loss.js';
import { factsFromProfile } from '../../src/rules/facts.js';
import { rareClassesOf } from '../../src/verify/data.js';
import { rarestClass } from '../../src/verify/run.js';
import { runCli } from '../helpers/run-cli.js';
import { options, rgbImage, tempDir } from './helpers.js';

const W = 30;
const H = 20;

/** Stored ids: a band of `top` over the upper third, `middle` in the middle third, `bottom` below; one 2x2 blob of `blob`. */
function bands(top: number, middle: number, bottom: number, blob: number): Uint8Array {
  const data = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data[y * W + x] = y < 7 ? top : y < 14 ? middle : bottom;
  for (const [x, y] of [[3, 3], [4, 3], [3, 4], [4, 4]]) data[y * W + x] = blob;
  return data;
}

function writeMasks(root: string, masks: Uint8Array[]): void {
  mkdirSync(join(root, 'masks'), { recursive: true });
  mkdirSync(join(root, 'images'), { recursive: true });
  masks.forEach((data, k) => {
    writeFileSync(join(root, 'masks', `f${k}.png`), encodePng({ width: W, height: H, colorType: PngColorType.Grey, bitDepth: 8, data }));
    writeFileSync(join(root, 'images', `f${k}.png`), rgbImage(W, H, 40 * k));
  });
}

function count(masks: Uint8Array[], id: number): number {
  return masks.reduce((sum, m) => sum + m.filter((v) => v === id).length, 0);
}

describe('background id', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir: root, cleanup } = tempDir('segloss-background-'));
  });
  afterEach(() => cleanup());

  it('--background none: every class is foreground (objects counted for class 0), backgroundShare 0, rules see hasBackground false', async () => {
    const masks = [bands(0, 1, 2, 1), bands(2, 0, 1, 2)];
    writeMasks(root, masks);
    const profile = await profileDataset({ ...options(root), workers: 0, labels: { background: null } });
    expect(profile.dataset.background).toBeNull();
    expect(profile.aggregates.backgroundShare).toBe(0);
    expect(profile.aggregates.foregroundShare).toBe(1);
    expect(profile.aggregates.backgroundShareCI95).toBeNull();
    // Road (class 0) has objects like every other class.
    expect(profile.classes[0].objects.count).toBeGreaterThan(0);
    const smallest = Math.min(...[0, 1, 2].map((id) => count(masks, id)));
    expect(profile.aggregates.smallestForegroundShare * 2 * W * H).toBeCloseTo(smallest, 9);
    expect(profile.aggregates.objectCount).toBe(profile.classes.reduce((sum, c) => sum + c.objects.count, 0));
    const facts = factsFromProfile(profile, { domain: null, priority: null });
    expect(facts.hasBackground).toBe(false);
    expect(facts.backgroundClassId).toBe(-1);
    const text = formatProfileText(profile, { color: false });
    expect(text).toMatch(/no background class \(every class is foreground\)/);
    expect(text).toMatch(/note: no background class: every class counts as foreground/);
  });

  it('--background 2: class 2 is the background (its share, no objects), class 0 is foreground', async () => {
    const masks = [bands(2, 0, 1, 0), bands(2, 2, 1, 0)];
    writeMasks(root, masks);
    const profile = await profileDataset({ ...options(root), workers: 0, labels: { background: 2 } });
    expect(profile.dataset.background).toBe(2);
    expect(profile.aggregates.backgroundShare).toBeCloseTo(count(masks, 2) / (2 * W * H), 12);
    expect(profile.classes[2].objects.count).toBe(0);
    expect(profile.classes[0].objects.count).toBeGreaterThan(0);
    expect(factsFromProfile(profile, { domain: null, priority: null }).backgroundClassId).toBe(2);
  });

  it('recommend on a dataset without background: include_background=False (class 0 dropped) is never in the recipe', async () => {
    writeMasks(root, [bands(0, 1, 2, 1), bands(2, 0, 1, 2), bands(1, 2, 0, 0)]);
    const result = await runCli(['recommend', root, '--background', 'none', '--json']);
    expect(result.code).toBe(0);
    const recommendation = JSON.parse(result.stdout);
    expect(recommendation.facts.hasBackground).toBe(false);
    for (const recipe of [recommendation.recipe, ...recommendation.alternatives.map((a: { recipe: unknown }) => a.recipe)]) {
      expect(recipe.loss.params.includeBackground).not.toBe(false);
    }
    const nnunet = recommendation.alternatives.find((a: { recipe: { title: string } }) => /nnU-Net/.test(a.recipe.title));
    expect(nnunet.recipe.notes.join(' ')).toMatch(/includeBackground set to true: the dataset has no background class/);
  });

  it('lossForBackground: unchanged for background 0; include_background and Focal alpha follow another background', () => {
    const combo = { name: 'combo' as const, params: { includeBackground: false, batch: true } };
    expect(lossForBackground(combo, 0).loss).toBe(combo);
    const moved = lossForBackground(combo, 3);
    expect(moved.loss.params.includeBackground).toBe(true);
    expect(moved.notes[0]).toMatch(/background is class 3, not 0,.*--label-map \(e\.g\. \{"3": 0, "0": 3\}\)/);
    const focal = lossForBackground({ name: 'focal', params: { gamma: 2, alpha: 0.25 } }, -1);
    expect(focal.loss.params.alpha).toBeNull();
  });

  it("verify's rare classes and object metrics use the background id", () => {
    // Class 0 is the rarest and, without a background, a rare class the sampler must centre crops on.
    expect(rareClassesOf([5, 1000, 1000])).toEqual([1]);
    expect(rareClassesOf([5, 1000, 1000], -1)).toEqual([0]);
    expect(rareClassesOf([1000, 5, 1000], 2)).toEqual([1]);
    expect(rarestClass([5, 900, 1000], [5, 900, 1000], -1)).toBe(0);
    expect(rarestClass([5, 900, 1000], [5, 900, 1000])).toBe(1);
    const labels = bands(0, 1, 2, 1);
    expect(Array.from(countObjects(labels, labels, W, H, 3, 255).truth.slice(0, 4))).toEqual([0, 0, 0, 0]);
    const none = countObjects(labels, labels, W, H, 3, 255, -1);
    expect(none.truth.slice(0, 4).reduce((a, b) => a + b, 0)).toBe(1);
    expect(none.detected.slice(0, 4).reduce((a, b) => a + b, 0)).toBe(1);
    const two = countObjects(labels, labels, W, H, 3, 255, 2);
    expect(two.truth.slice(8, 12).reduce((a, b) => a + b, 0)).toBe(0);
    expect(two.truth.slice(0, 4).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('LoveDA: --reduce-zero-label makes no-data (0) ignored and background (1) class 0, exactly', async () => {
    const masks = [bands(0, 1, 3, 2), bands(1, 1, 7, 0)];
    writeMasks(root, masks);
    const result = await runCli(['profile', root, '--reduce-zero-label', '--json']);
    expect(result.code).toBe(0);
    const profile = JSON.parse(result.stdout);
    expect(profile.aggregates.ignoredPixels).toBe(count(masks, 0));
    expect(profile.classes[0].pixelCount).toBe(count(masks, 1));
    expect(profile.classes.find((c: { id: number }) => c.id === 6).pixelCount).toBe(count(masks, 7));
    expect(profile.aggregates.backgroundShare).toBeCloseTo(count(masks, 1) / (2 * W * H - count(masks, 0)), 12);
    expect(profile.dataset.labelNotes.join(' ')).toMatch(/reduce zero label/);
  });

  it('Cityscapes-like labelIds through --label-map with --background none; a map target past the classes names the file', async () => {
    // labelIds: 7 road, 8 sidewalk, 26 car; 1 (ego vehicle) and everything unlisted is void.
    const masks = [bands(7, 8, 26, 1), bands(26, 7, 8, 0)];
    writeMasks(root, masks);
    const mapFile = join(root, 'trainIds.json');
    writeFileSync(mapFile, JSON.stringify({ 7: 0, 8: 1, 26: 13, default: 'ignore' }, null, 2));
    const result = await runCli(['profile', root, '--label-map', mapFile, '--background', 'none', '--json']);
    expect(result.code).toBe(0);
    const profile = JSON.parse(result.stdout);
    expect(profile.classes.find((c: { id: number }) => c.id === 0).pixelCount).toBe(count(masks, 7));
    expect(profile.classes.find((c: { id: number }) => c.id === 13).pixelCount).toBe(count(masks, 26));
    expect(profile.aggregates.ignoredPixels).toBe(count(masks, 1) + count(masks, 0));
    expect(profile.dataset.background).toBeNull();
    const tooFew = await runCli(['profile', root, '--label-map', mapFile, '--num-classes', '5']);
    expect(tooFew.code).toBe(2);
    expect(tooFew.stderr).toContain(`label map ${mapFile}: value 26 maps to class 13, but there are 5 classes (--num-classes)`);
  });
});
