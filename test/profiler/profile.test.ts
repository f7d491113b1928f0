import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { UserError } from '../../src/common/errors.js';
import type { DatasetProfile } from '../../src/contracts/profile.js';
import type { SampleTruth } from '../../src/contracts/sample.js';
import { writeSampleDataset } from '../../src/dataset/index.js';
import { profileDataset, type ProfileOptions } from '../../src/profiler/index.js';

const base = mkdtempSync(join(tmpdir(), 'segloss-profiler-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

interface Generated {
  dir: string;
  truth: SampleTruth;
}

async function generate(name: string, options: { seed: number; images: number; size: number; blurredShare: number; balanced?: boolean }): Promise<Generated> {
  const dir = join(base, name);
  const truth = await writeSampleDataset(dir, { balanced: false, ...options });
  return { dir, truth };
}

const optionsFor = (dir: string, extra: Partial<ProfileOptions> = {}): ProfileOptions => ({ root: dir, ignoreIndex: 255, strict: false, workers: 0, ...extra });

function expectMatchesTruth(profile: DatasetProfile, truth: SampleTruth): void {
  expect(profile.aggregates.imagesProfiled).toBe(truth.images);
  truth.classShares.forEach((share, c) => {
    const cls = profile.classes.find((k) => k.id === c)!;
    expect(Math.abs(cls.pixelShare - share)).toBeLessThan(1e-9);
    expect(cls.pixelCount).toBe(truth.pixelCounts[c]);
    expect(cls.imagesWithClass).toBe(truth.imagesWithClass[c]);
    expect(cls.objects.count).toBe(truth.objectCounts[c]);
  });
  const boundaryPixels = profile.classes.reduce((s, c) => s + (c.boundary?.boundaryPixels ?? 0), 0);
  expect(boundaryPixels).toBe(truth.boundaryPixels);
  expect(Math.abs(profile.aggregates.ambiguousBoundaryShare! - truth.ambiguousBoundaryShare)).toBeLessThan(0.1);
}

describe('profileDataset on generated samples', () => {
  const sets: Record<string, Generated> = {};
  beforeAll(async () => {
    sets.mixed = await generate('mixed', { seed: 11, images: 6, size: 256, blurredShare: 0.3 });
    sets.sharp = await generate('sharp', { seed: 12, images: 5, size: 192, blurredShare: 0 });
    sets.blurred = await generate('blurred', { seed: 13, images: 5, size: 192, blurredShare: 1 });
    sets.mixed2 = await generate('mixed2', { seed: 14, images: 12, size: 160, blurredShare: 0.3 });
    sets.many = await generate('many', { seed: 15, images: 40, size: 96, blurredShare: 0.3, balanced: true });
  });

  it('recovers truth on a mixed dataset (30% blurred edges)', async () => {
    const profile = await profileDataset(optionsFor(sets.mixed.dir));
    expectMatchesTruth(profile, sets.mixed.truth);
    expect(profile.method.boundary?.description).toContain('CNR');
  });

  it('finds ~no ambiguous edges when every edge is sharp', async () => {
    const profile = await profileDataset(optionsFor(sets.sharp.dir));
    expectMatchesTruth(profile, sets.sharp.truth);
    expect(profile.aggregates.ambiguousBoundaryShare!).toBeLessThan(0.1);
  });

  it('finds ~all edges ambiguous when every edge is blurred', async () => {
    const profile = await profileDataset(optionsFor(sets.blurred.dir));
    expectMatchesTruth(profile, sets.blurred.truth);
    expect(profile.aggregates.ambiguousBoundaryShare!).toBeGreaterThan(0.9);
  });

  it('gives the same profile in worker threads as on the main thread', async () => {
    const inline = await profileDataset(optionsFor(sets.mixed2.dir));
    const pooled = await profileDataset(optionsFor(sets.mixed2.dir, { workers: 2 }));
    expectMatchesTruth(pooled, sets.mixed2.truth);
    expect(pooled.classes).toEqual(inline.classes);
    expect(pooled.aggregates).toEqual(inline.aggregates);
  });

  it('reports 95% intervals under --sample that cover the full-dataset value', async () => {
    const full = await profileDataset(optionsFor(sets.many.dir));
    expectMatchesTruth(full, sets.many.truth);
    const sampled = await profileDataset(optionsFor(sets.many.dir, { sample: 15, seed: 3 }));
    expect(sampled.dataset.sample).toEqual({ size: 15, seed: 3, population: 40 });
    expect(sampled.aggregates.imagesProfiled).toBe(15);
    for (const cls of sampled.classes) {
      const ci = cls.pixelShareCI95!;
      const truth = full.classes.find((c) => c.id === cls.id)!.pixelShare;
      expect(ci[0]).toBeLessThanOrEqual(truth);
      expect(ci[1]).toBeGreaterThanOrEqual(truth);
      expect(cls.imageShareCI95).not.toBeNull();
    }
    const bg = sampled.aggregates.backgroundShareCI95!;
    expect(bg[0]).toBeLessThanOrEqual(full.aggregates.backgroundShare);
    expect(bg[1]).toBeGreaterThanOrEqual(full.aggregates.backgroundShare);
    const amb = sampled.aggregates.ambiguousBoundaryShareCI95!;
    expect(amb[0]).toBeLessThanOrEqual(full.aggregates.ambiguousBoundaryShare!);
    expect(amb[1]).toBeGreaterThanOrEqual(full.aggregates.ambiguousBoundaryShare!);
    expect(full.classes[0].pixelShareCI95).toBeNull();
    expect(full.dataset.sample).toBeNull();
  });

  it('gives null boundary measures for a masks-only dataset, and says so', async () => {
    const dir = join(base, 'masks-only');
    mkdirSync(join(dir, 'masks'), { recursive: true });
    for (const f of readdirSync(join(sets.sharp.dir, 'masks'))) copyFileSync(join(sets.sharp.dir, 'masks', f), join(dir, 'masks', f));
    const profile = await profileDataset(optionsFor(dir));
    expect(profile.dataset.hasImages).toBe(false);
    expect(profile.aggregates.ambiguousBoundaryShare).toBeNull();
    expect(profile.aggregates.meanBoundaryContrast).toBeNull();
    expect(profile.method.boundary).toBeNull();
    expect(profile.classes.every((c) => c.boundary === null)).toBe(true);
    expect(profile.classes.map((c) => c.objects.count)).toEqual(sets.sharp.truth.objectCounts);
  });

  it('lists bad pairs with a fix, profiles the good ones, and stops under --strict', async () => {
    const dir = join(base, 'broken');
    for (const sub of ['images', 'masks']) {
      mkdirSync(join(dir, sub), { recursive: true });
      for (const f of readdirSync(join(sets.sharp.dir, sub))) copyFileSync(join(sets.sharp.dir, sub, f), join(dir, sub, f));
    }
    const firstMask = readdirSync(join(dir, 'masks')).sort()[0];
    writeFileSync(join(dir, 'masks', firstMask), Buffer.alloc(0));
    const profile = await profileDataset(optionsFor(dir));
    expect(profile.dataset.pairsProfiled).toBe(sets.sharp.truth.images - 1);
    expect(profile.dataset.skipped).toHaveLength(1);
    expect(profile.dataset.skipped[0].file).toContain(firstMask);
    expect(profile.dataset.skipped[0].fix.length).toBeGreaterThan(0);
    const strict = profileDataset(optionsFor(dir, { strict: true }));
    await expect(strict).rejects.toBeInstanceOf(UserError);
    await expect(strict).rejects.toMatchObject({ exitCode: 2 });
  });

  it('names classes.json, not --num-classes, when a mask holds a class id beyond the named classes', async () => {
    const dir = join(base, 'extra-class');
    for (const sub of ['images', 'masks']) {
      mkdirSync(join(dir, sub), { recursive: true });
      for (const f of readdirSync(join(sets.sharp.dir, sub))) copyFileSync(join(sets.sharp.dir, sub, f), join(dir, sub, f));
    }
    copyFileSync(join(sets.sharp.dir, 'classes.json'), join(dir, 'classes.json'));
    const firstMask = readdirSync(join(dir, 'masks')).sort()[0];
    const size = sets.sharp.truth.width;
    await sharp(Buffer.alloc(size * size, 9), { raw: { width: size, height: size, channels: 1 } }).png().toFile(join(dir, 'masks', firstMask));
    const profile = await profileDataset(optionsFor(dir));
    expect(profile.dataset.skipped).toHaveLength(1);
    expect(profile.dataset.skipped[0].problem).toMatch(/class id 9 .*\(named in .*classes\.json\)/);
    expect(profile.dataset.skipped[0].fix).toMatch(/classes\.json/);
    expect(profile.dataset.skipped[0].fix).not.toMatch(/--num-classes/);
  });

  it('segloss profile --json prints only the contract; --out writes profile.json; text lists the rarest class', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const outDir = join(base, 'out');
    let code: number;
    let printed: string;
    let text = '';
    try {
      code = await main(['profile', sets.mixed.dir, '--json', '--workers', '0', '--out', outDir]);
      printed = out.mock.calls.map((c) => String(c[0])).join('');
      out.mockClear();
      const textCode = await main(['profile', sets.mixed.dir, '--workers', '0', '--no-color']);
      expect(textCode).toBe(0);
      text = out.mock.calls.map((c) => String(c[0])).join('');
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
    expect(code).toBe(0);
    const parsed = JSON.parse(printed) as DatasetProfile;
    expect(parsed.kind).toBe('DatasetProfile');
    expect(printed.trim().startsWith('{')).toBe(true);
    const written = JSON.parse((await import('node:fs')).readFileSync(join(outDir, 'profile.json'), 'utf8')) as DatasetProfile;
    expect(written.aggregates.imagesProfiled).toBe(parsed.aggregates.imagesProfiled);
    const rarest = parsed.classes.find((c) => c.id === parsed.aggregates.smallestForegroundClassId)!;
    expect(text.split('\n').find((l) => l.includes(rarest.name))).toContain('rarest');
    expect(text).toContain('Boundary ambiguity');
  });
});
