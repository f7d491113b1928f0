import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { formatVerificationText } from '../../src/report/verification-text.js';
import { DEFAULT_RUN_SETTINGS, runOnData, type VerifyData } from '../../src/verify/run.js';
import { blendOverlay, writeOverlays } from '../../src/verify/overlays.js';
import { readRecommendationFile } from '../../src/verify/recommendation-file.js';
import { newScriptLog, scriptedEngine } from './scripted-engine.js';
import { UserError } from '../../src/common/errors.js';
import { recommendationFor, satelliteRecipe } from './fixtures.js';

function tinyData(): VerifyData {
  const images = Array.from({ length: 10 }, (_, k) => {
    const labels = new Uint8Array(16 * 16).map((_, i) => (i % 16 < 8 ? 1 : 0) + (k % 2 && i === 200 ? 1 : 0));
    const pixels = Uint8Array.from(labels, (c) => 50 + 60 * c);
    return { id: `t${k}`, width: 16, height: 16, channels: 1, pixels, labels };
  });
  return { images, numClasses: 3, classNames: ['background', 'half', 'dot'], ignoreIndex: 255, notes: [] };
}

/** The scripted engine: thresholds the grey value (right for every image); the Dice candidate diverges at once. */
const halfEngine = scriptedEngine(newScriptLog(), { nanAt: { dice: 1 }, skipped: [{ name: 'wasm', why: 'not wanted here' }] });

describe('plain-text verification report', () => {
  it('shows the article table, the verdict and the diverged candidate', async () => {
    const report = await runOnData(tinyData(), recommendationFor(satelliteRecipe(), 3), { ...DEFAULT_RUN_SETTINGS, steps: 8, cropSize: 8, batchSize: 2 }, { createEngine: halfEngine, onEvent: () => {} });
    const text = formatVerificationText(report, { color: false });
    expect(text).toMatch(/^\s+recommended\s/m); // columns by short name (src/report/short-names.ts)
    expect(text).toMatch(/^Verdict: (tied|equivalent|confirmed|beaten|inconclusive)/); // the headline first
    for (const row of ['mean Dice', 'rarest-class recall', 'boundary IoU', 'stability (loss CV)']) expect(text).toContain(row);
    expect(text).toMatch(/Verdict \[(tied|equivalent|confirmed|beaten|inconclusive)\]: /);
    expect(text).toMatch(/trained in lockstep/);
    expect(text).toMatch(/Dice: Soft Dice \(baseline\) \[dice\]/);
    expect(text).toMatch(/diverged: seed 0: loss became NaN at step 1/);
    expect(text).toContain('backend wasm not used: not wanted here');
    expect(text).not.toContain('\u001b[');
    expect(formatVerificationText(report, { color: true })).toContain('\u001b[');
  });
});

describe('plain-text report of a run stopped at the time budget', () => {
  it('says the time budget was reached and marks the stopped candidate', async () => {
    const report = await runOnData(tinyData(), recommendationFor(satelliteRecipe(), 3), { ...DEFAULT_RUN_SETTINGS, candidates: ['recommended', 'ce'], steps: 8, cropSize: 8, batchSize: 2 }, { createEngine: halfEngine, onEvent: () => {} });
    const ce = report.candidates[1];
    const stopped = { ...report, settings: { ...report.settings, timeLimitSeconds: 150 }, candidates: [report.candidates[0], { ...ce, status: 'stopped' as const, statusDetail: 'stopped at the time budget after 3 of 8 steps', stepsDone: 3 }] };
    const text = formatVerificationText(stopped, { color: false });
    expect(text).toContain('time budget reached (hard stop at 150s): CE 3/8 steps; fewer steps make an unequal comparison (see the verdict)');
    expect(text).toMatch(/^status\s+ok\s+stopped\s*$/m);
    expect(text).toMatch(/^steps\s+8\s+3\s*$/m);
    expect(text).toContain('\n      stopped at the time budget after 3 of 8 steps\n');
  });
});

describe('overlays', () => {
  it('blends predicted classes over the image and writes PNGs', async () => {
    const data = tinyData();
    const image = data.images[0];
    const rgb = blendOverlay(image, image.labels, 3);
    expect([...rgb.subarray(0, 3)]).toEqual([Math.round(0.5 * 110 + 0.5 * 230), Math.round(0.5 * 110 + 0.5 * 25), Math.round(0.5 * 110 + 0.5 * 75)]);
    expect([...rgb.subarray(8 * 3, 8 * 3 + 3)]).toEqual([50, 50, 50]);
    const dir = await mkdtemp(join(tmpdir(), 'segloss-overlay-'));
    try {
      const paths = await writeOverlays(dir, 'ce', data.images, data.images.map((im) => im.labels as Uint8Array), 3, 2);
      expect(paths).toEqual([join(dir, 'overlays', 'ce', 't0.png'), join(dir, 'overlays', 'ce', 't1.png')]);
      const meta = await sharp(paths[0]).metadata();
      expect([meta.width, meta.height, meta.channels]).toEqual([16, 16, 3]);
      expect((await readFile(join(dir, 'overlays', 'truth', 't1.png'))).length).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('overlay file names from hostile image ids', () => {
  it('ids that differ only in unsafe characters, or in a non-Latin script, get a picture each (was: one overwrote the other)', async () => {
    const data = tinyData();
    const ids = ['a b', 'a_b', '图一', '图二', '像一', '../up', 'esc\u001b[2J'];
    const images = ids.map((id, k) => ({ ...data.images[k], id }));
    const dir = await mkdtemp(join(tmpdir(), 'segloss-overlay-'));
    try {
      const paths = await writeOverlays(dir, 'ce', images, images.map((im) => im.labels as Uint8Array), 3, images.length);
      expect(paths.map((p) => p.slice(join(dir, 'overlays', 'ce').length + 1))).toEqual(['a_b.png', 'a_b-2.png', '图一.png', '图二.png', '像一.png', '__up.png', 'esc_2J.png']);
      expect(new Set(paths).size).toBe(ids.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a candidate named "truth"', () => {
  it('writes its overlays beside the ground truth, never over it', async () => {
    const data = tinyData();
    const dir = await mkdtemp(join(tmpdir(), 'segloss-overlay-'));
    try {
      const blank = data.images.map((im) => new Uint8Array(im.labels.length));
      const paths = await writeOverlays(dir, 'truth', data.images, blank, 3, 1);
      expect(paths).toEqual([join(dir, 'overlays', 'truth-candidate', 't0.png')]);
      const truth = await sharp(join(dir, 'overlays', 'truth', 't0.png')).raw().toBuffer();
      const predicted = await sharp(paths[0]).raw().toBuffer();
      expect(truth.equals(predicted)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('readRecommendationFile', () => {
  it('accepts a recommendation and names the file on problems', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'segloss-rec-'));
    try {
      const good = join(dir, 'recommendation.json');
      await writeFile(good, JSON.stringify(recommendationFor(satelliteRecipe())));
      expect((await readRecommendationFile(good)).recipe.loss.name).toBe('combo');
      const bad = join(dir, 'bad.json');
      await writeFile(bad, '{"kind": "DatasetProfile"}');
      await expect(readRecommendationFile(bad)).rejects.toThrow(/bad\.json: not a Recommendation/);
      // a profile.json passed by mistake: say what it is and how to get a recommendation from it
      await expect(readRecommendationFile(bad)).rejects.toThrow(/bad\.json: not a Recommendation: it is a DatasetProfile \(profile\.json\)/);
      await expect(readRecommendationFile(bad)).rejects.toMatchObject({ fix: expect.stringMatching(/segloss recommend --profile .*bad\.json --out DIR/) });
      await writeFile(bad, '{nope');
      await expect(readRecommendationFile(bad)).rejects.toThrow(UserError);
      await expect(readRecommendationFile(join(dir, 'missing.json'))).rejects.toThrow(/cannot read .*missing\.json: it does not exist/);
      // the --out folder of `segloss recommend` instead of the file in it
      await expect(readRecommendationFile(dir)).rejects.toThrow(/cannot read .*: it is a folder/);
      await expect(readRecommendationFile(dir)).rejects.toMatchObject({ fix: expect.stringContaining(join(dir, 'recommendation.json')) });
      // recipe parts the trainer needs: an unknown optimiser crashed the whole run after loading
      // (exit 1, no report); an unknown schedule gave NaN learning rates, reported as "diverged"
      const rec = recommendationFor(satelliteRecipe());
      const cases: Array<[unknown, RegExp]> = [
        [{ ...rec, recipe: { ...rec.recipe, optimizer: { ...rec.recipe.optimizer, name: 'lion' } } }, /bad\.json: recipe\.optimizer\.name "lion" is not one of adam, adamw, sgd/],
        [{ ...rec, recipe: { ...rec.recipe, optimizer: { ...rec.recipe.optimizer, lr: '0.001' } } }, /recipe\.optimizer\.lr must be a number above 0/],
        [{ ...rec, recipe: { ...rec.recipe, schedule: { name: 'exp' } } }, /bad\.json: recipe\.schedule\.name "exp" is not one of constant, cosine, poly/],
        [{ ...rec, recipe: { ...rec.recipe, schedule: { ...rec.recipe.schedule, warmupFraction: 2 } } }, /recipe\.schedule\.warmupFraction must be a number from 0 to 1/],
        [{ ...rec, recipe: { ...rec.recipe, rareClassOversampling: -1 } }, /recipe\.rareClassOversampling must be a number from 0 to 1/],
        [{ ...rec, alternatives: [{ ...rec.alternatives[0], recipe: { ...rec.alternatives[0].recipe, optimizer: { ...rec.recipe.optimizer, name: 'rmsprop' } } }] }, /alternatives\[0\]\.recipe\.optimizer\.name "rmsprop"/],
      ];
      for (const [value, message] of cases) {
        await writeFile(bad, JSON.stringify(value));
        await expect(readRecommendationFile(bad)).rejects.toThrow(message);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('fold-paired comparisons in the text report', () => {
  it('says fold-paired, shows per-fold scores, and prints a Holm-adjusted CI with its own level under the unadjusted header', async () => {
    const { comparisonCiHeader, comparisonRows, comparisonTitle } = await import('../../src/report/verification-sections.js');
    const report = await runOnData(tinyData(), recommendationFor(satelliteRecipe(), 3), { ...DEFAULT_RUN_SETTINGS, steps: 8, cropSize: 8, batchSize: 2, candidates: ['recommended', 'ce', 'focal'] }, { createEngine: scriptedEngine(newScriptLog()), onEvent: () => {} });
    expect(report.settings.folds).toMatchObject({ count: 5, seedsPerFold: 1 });
    const text = formatVerificationText(report, { color: false });
    expect(text).toMatch(/Fold-paired comparisons/);
    expect(text).toMatch(/Mean Dice per fold: /);
    expect(text).toMatch(/5 folds x 1 seed/);
    const adjusted = structuredClone(report);
    adjusted.verdict.comparisons = [
      { ...report.verdict.comparisons![0], ci: [0.01, 0.2], confidence: 0.990625, adjustedFor: 2, relation: 'better' },
      { ...report.verdict.comparisons![1], ci: [-0.3, -0.1], confidence: 0.9625, relation: 'worse' },
    ];
    expect(comparisonTitle(adjusted)).toMatch(/^Fold-paired/);
    expect(comparisonCiHeader(adjusted)).toBe('96.25% CI');
    const rows = comparisonRows(adjusted);
    expect(rows[0].ci).toBe('+0.010 to +0.200 (99.062%, Holm over 2)');
    expect(rows[1].ci).toBe('-0.300 to -0.100');
    expect(rows[0].seeds).toBe('5 folds');
  });
});
