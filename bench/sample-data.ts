/**
 * The benches' datasets: a `segloss sample` dataset of one kind, profiled, recommended for and
 * loaded for verify, exactly as `segloss verify` would. Shared by bench/verify-validity.ts and
 * bench/seed-variance.ts so both measure the same data.
 */
import { join } from 'node:path';
import type { Recommendation } from '../src/contracts/recommendation.js';
import { DEFAULT_IGNORE_INDEX, writeSampleDataset } from '../src/dataset/index.js';
import { profileDataset } from '../src/profiler/index.js';
import { recommend } from '../src/rules/engine.js';
import { loadRuleSet } from '../src/rules/load.js';
import { loadVerifyData } from '../src/verify/load.js';
import type { VerifyData } from '../src/verify/run.js';

export type Kind = 'rare' | 'balanced' | 'blurred';
export const SAMPLE_KINDS: Record<Kind, { balanced: boolean; blurredShare: number }> = {
  rare: { balanced: false, blurredShare: 0.3 },
  balanced: { balanced: true, blurredShare: 0.3 },
  blurred: { balanced: false, blurredShare: 0.9 },
};

export function isKind(value: string): value is Kind {
  return Object.hasOwn(SAMPLE_KINDS, value);
}

/** Writes the sample under dir/<kind>-<seed>, profiles it, recommends (satellite intent) and loads it for verify. */
export async function prepareSample(kind: Kind, seed: number, dir: string, size: { images: number; size: number }): Promise<{ data: VerifyData; recommendation: Recommendation }> {
  const root = join(dir, `${kind}-${seed}`);
  await writeSampleDataset(root, { seed, images: size.images, size: size.size, ...SAMPLE_KINDS[kind] });
  const dataset = { root, ignoreIndex: DEFAULT_IGNORE_INDEX, strict: false };
  const profile = await profileDataset(dataset);
  const recommendation = await recommend(profile, { intent: { domain: 'satellite', priority: null }, ruleSet: await loadRuleSet([]), profileSource: root });
  const data = await loadVerifyData(dataset, recommendation, { maxImages: 400, seed: 0, minSize: 8 });
  return { data, recommendation };
}
