/**
 * COCO end to end: `segloss profile ROOT` on a COCO folder with no flags gives the categories'
 * names and pixel counts exactly as an independent painting of known shapes (make-coco.ts), and
 * within 1% of the area fields for polygons of every shape; `verify` trains on it; profiler
 * worker threads each read the annotation file for themselves and agree with the main thread.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { piscinaWorker } from '../../../src/common/workers.js';
import type { DatasetProfile } from '../../../src/contracts/profile.js';
import type { VerificationReport } from '../../../src/contracts/verification.js';
import { readCocoDataset } from '../../../src/dataset/formats/readers/coco.js';
import { DEFAULT_BOUNDARY_OPTIONS } from '../../../src/profiler/boundary.js';
import { measurePair, type PairResult } from '../../../src/profiler/measure-pair.js';
import { createRng } from '../../../src/verify/random.js';
import { runCli } from '../../helpers/run-cli.js';
import { recommendationFor, satelliteRecipe } from '../../verify/fixtures.js';
import { CLASS_NAMES, CLASS_OF, expectedLabels, IGNORE, sampleImages, writeCoco, type TestImage } from './make-coco.js';

let base: string;
let exactRoot: string;
let shapesRoot: string;
const exactImages = sampleImages();

/** Star-shaped polygons (two decimals, no overlaps) whose area field is the geometric area. */
function starImages(): TestImage[] {
  const rng = createRng(21);
  const w = 120;
  const h = 96;
  const images: TestImage[] = [];
  for (let k = 0; k < 4; k++) {
    const shapes = [1, 3, 7].slice(0, 1 + (k % 3)).map((category, i) => {
      const cx = 22 + i * 38;
      const cy = 30 + rng.next() * 36;
      const r = 15 + rng.next() * 3;
      const xy: number[] = [];
      const n = 6 + rng.int(14);
      for (let v = 0; v < n; v++) {
        const t = (2 * Math.PI * v) / n;
        const rr = r * (0.6 + 0.4 * rng.next());
        xy.push(Math.round((cx + rr * Math.cos(t)) * 100) / 100, Math.round((cy + rr * Math.sin(t)) * 100) / 100);
      }
      let twice = 0;
      for (let v = 0; v < xy.length; v += 2) twice += xy[v] * xy[(v + 3) % xy.length] - xy[(v + 2) % xy.length] * xy[v + 1];
      // The pixels are only used to write the image; the expectation is the area field.
      return { category, pixels: new Uint8Array(w * h), segmentation: [xy], area: Math.abs(twice) / 2 };
    });
    images.push({ fileName: `star_${k}.png`, width: w, height: h, shapes });
  }
  return images;
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'segloss-coco-cli-'));
  exactRoot = join(base, 'coco2017');
  shapesRoot = join(base, 'stars');
  await writeCoco(exactRoot, 'train2017', exactImages, 'train2017');
  // A second split the default must not read.
  await writeCoco(exactRoot, 'val2017', exactImages.slice(0, 1), 'val2017');
  // The area fields as a COCO exporter writes them (geometric polygon area), not our pixel counts.
  await writeCoco(shapesRoot, 'train', starImages(), 'images/train');
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

/** Pixels per class id over the expected label maps. */
function expectedCounts(images: TestImage[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const image of images) for (const v of expectedLabels(image)) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

describe('segloss profile on a COCO folder', () => {
  it('needs no flag: classes named from the categories, pixel counts exact', async () => {
    const r = await runCli(['profile', exactRoot, '--json', '--workers', '0']);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    const profile = JSON.parse(r.stdout) as DatasetProfile;
    expect(profile.aggregates.imagesProfiled).toBe(3);
    const counts = expectedCounts(exactImages);
    const labelled = [...counts].filter(([v]) => v !== IGNORE).reduce((s, [, n]) => s + n, 0);
    for (const [id, name] of CLASS_NAMES.entries()) {
      const cls = profile.classes.find((c) => c.id === id)!;
      expect(cls.name).toBe(name);
      expect(cls.pixelCount).toBe(counts.get(id) ?? 0);
      expect(cls.pixelShare).toBeCloseTo((counts.get(id) ?? 0) / labelled, 12);
    }
  });

  it('reads the split asked for with --split', async () => {
    const r = await runCli(['profile', exactRoot, '--json', '--workers', '0', '--split', 'val2017']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as DatasetProfile).aggregates.imagesProfiled).toBe(1);
  });

  it('counts polygons of any shape within 1% of their area fields (shares within 3%)', async () => {
    const r = await runCli(['profile', shapesRoot, '--json', '--workers', '0']);
    expect(r.code).toBe(0);
    const profile = JSON.parse(r.stdout) as DatasetProfile;
    const json = JSON.parse(await readFile(join(shapesRoot, 'annotations', 'instances_train.json'), 'utf8')) as { annotations: Array<{ area: number; category_id: number }>; images: unknown[] };
    const areas = new Map<number, number>();
    for (const a of json.annotations) areas.set(CLASS_OF[a.category_id], (areas.get(CLASS_OF[a.category_id]) ?? 0) + a.area);
    const total = json.images.length * 120 * 96;
    for (const [id, area] of areas) {
      const cls = profile.classes.find((c) => c.id === id)!;
      expect(Math.abs(cls.pixelCount - area) / area).toBeLessThan(0.01);
      expect(Math.abs(cls.pixelShare - area / total) / (area / total)).toBeLessThan(0.03);
    }
  });
});

describe('profiler worker threads', () => {
  it('each read the annotation file once and give what the main thread gives', async () => {
    const located = await readCocoDataset({ root: exactRoot, split: null, options: {} });
    const context = { numClasses: 4, ignoreIndex: IGNORE, colormap: null, numClassesSource: null };
    const measure = { ignoreIndex: IGNORE, numClasses: 4, boundary: DEFAULT_BOUNDARY_OPTIONS };
    const inline = await Promise.all(located.pairs.map((pair) => measurePair(pair, context, measure)));
    const { filename, workerData } = piscinaWorker(new URL('../../../src/profiler/index.ts', import.meta.url).href, './worker', { context, measure });
    const pool = new Piscina({ filename, workerData, minThreads: 2, maxThreads: 2 });
    try {
      const pooled = (await Promise.all(located.pairs.map((pair) => pool.run(pair)))) as PairResult[];
      expect(pooled.every((r) => r.ok)).toBe(true);
      expect(pooled).toEqual(inline);
    } finally {
      await pool.destroy();
    }
  });
});

describe('segloss verify on a COCO folder', () => {
  it('trains a few steps on the COCO pairs', async () => {
    const rec = join(base, 'recommendation.json');
    await writeFile(rec, JSON.stringify(recommendationFor(satelliteRecipe({ optimizer: { name: 'adam', lr: 3e-3, weightDecay: 0, momentum: null, nesterov: false } }), 4)));
    const r = await runCli(['verify', exactRoot, '--recommendation', rec, '--steps', '4', '--crop', '32', '--batch', '2', '--candidates', 'recommended', '--threads', '1', '--json', '--out', join(base, 'verify')]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as VerificationReport;
    expect(report.candidates.map((c) => [c.id, c.status, c.stepsDone])).toEqual([['recommended', 'ok', 4]]);
  });
});
