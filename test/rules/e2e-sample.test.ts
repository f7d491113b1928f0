/**
 * End to end on generated sample datasets: profile -> rules. Balanced classes -> CE; the article's
 * imbalance with sharp edges -> Combo (its rarest class is under 0.1%, so stability is needed);
 * the same with every edge blurred -> Focal.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import type { Recommendation } from '../../src/contracts/recommendation.js';
import { writeSampleDataset } from '../../src/dataset/index.js';
import { profileDataset } from '../../src/profiler/index.js';
import { recommend } from '../../src/rules/engine.js';
import { builtInRules, FIXED_NOW } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'segloss-e2e-rules-'));
const SAMPLES = {
  balanced: { seed: 7, images: 8, size: 96, balanced: true, blurredShare: 0 },
  sharp: { seed: 7, images: 12, size: 128, balanced: false, blurredShare: 0 },
  blurred: { seed: 7, images: 12, size: 128, balanced: false, blurredShare: 1 },
} as const;

beforeAll(async () => {
  for (const [name, options] of Object.entries(SAMPLES)) await writeSampleDataset(join(root, name), options);
});

async function recommendSample(name: keyof typeof SAMPLES): Promise<Recommendation> {
  const profile = await profileDataset({ root: join(root, name), ignoreIndex: 255, strict: false, workers: 0 });
  return recommend(profile, { intent: { domain: null, priority: null }, ruleSet: await builtInRules(), profileSource: name, now: FIXED_NOW });
}

describe('sample datasets end to end', () => {
  it('balanced classes -> CE', async () => {
    const rec = await recommendSample('balanced');
    expect(rec.facts.imbalanced).toBe(false);
    expect(rec.recipe.loss.name).toBe('ce');
  });

  it('imbalanced, sharp edges -> Combo', async () => {
    const rec = await recommendSample('sharp');
    expect(rec.facts).toMatchObject({ imbalanced: true, boundariesClear: true, stabilityNeeded: true });
    expect(rec.recipe.id).toBe('combo');
  });

  it('imbalanced, blurred edges -> Focal', async () => {
    const rec = await recommendSample('blurred');
    expect(rec.facts).toMatchObject({ imbalanced: true, boundariesClear: false });
    expect(rec.recipe.loss.name).toBe('focal');
  });

  it('`segloss recommend DIR --out` profiles, recommends, and writes both contracts', async () => {
    const out = join(root, 'out');
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let code: number;
    try {
      code = await main(['recommend', join(root, 'balanced'), '--json', '--out', out, '--domain', 'satellite']);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    expect(code).toBe(0);
    const rec = JSON.parse(readFileSync(join(out, 'recommendation.json'), 'utf8')) as Recommendation;
    const profile = JSON.parse(readFileSync(join(out, 'profile.json'), 'utf8')) as { kind: string };
    expect(profile.kind).toBe('DatasetProfile');
    expect(rec.input).toMatchObject({ profileSource: join(root, 'balanced'), domain: 'satellite' });
    // Balanced data keeps CE even with a domain given; the satellite rule says why it did not fire.
    expect(rec.recipe.loss.name).toBe('ce');
    expect(rec.trace.find((e) => e.rule === 'satellite-recipe')).toMatchObject({ applicable: true, fired: false });
  });
});
