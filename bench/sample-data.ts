/**
 * The benches' datasets: a `segloss sample` dataset of one kind, profiled, recommended for and
 * loaded for verify, exactly as `segloss verify` would. Shared by bench/verify-validity.ts and
 * bench/seed-variance.ts so both measure the same data.
 *
 * `mixed` is two domains in one dataset, as LoveDA publishes urban and rural tiles side by side:
 * half the tiles from the rare-building sample, half from the dense urban one (same classes). Its
 * images differ from one another far more than one kind's do, so which few tiles a single split
 * validates moves the score: the image-limited case issue 22's folds are for.
 * `buildings` is `mixed` with every roof class one "building" class, masks 0/255 as Inria, WHU and
 * Massachusetts publish them (no classes.json: segloss reads the convention itself): the article's
 * binary task, where training is steadier than on a 0.03% class and the tiles still differ.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Recommendation } from '../src/contracts/recommendation.js';
import { DEFAULT_IGNORE_INDEX, writeSampleDataset } from '../src/dataset/index.js';
import { profileDataset } from '../src/profiler/index.js';
import { recommend } from '../src/rules/engine.js';
import { loadRuleSet } from '../src/rules/load.js';
import { loadVerifyData } from '../src/verify/load.js';
import type { VerifyData } from '../src/verify/run.js';

const KINDS = ['rare', 'balanced', 'blurred', 'mixed', 'buildings'] as const;
export type Kind = (typeof KINDS)[number];
type OneKind = Exclude<Kind, 'mixed' | 'buildings'>;
const SAMPLE_KINDS: Record<OneKind, { balanced: boolean; blurredShare: number }> = {
  rare: { balanced: false, blurredShare: 0.3 },
  balanced: { balanced: true, blurredShare: 0.3 },
  blurred: { balanced: false, blurredShare: 0.9 },
};
/** mixed: these kinds, half the images each, file names prefixed by the domain. */
const MIXED_DOMAINS: ReadonlyArray<{ kind: OneKind; prefix: string }> = [
  { kind: 'rare', prefix: 'rural_' },
  { kind: 'balanced', prefix: 'urban_' },
];

export function isKind(value: string): value is Kind {
  return (KINDS as readonly string[]).includes(value);
}

/** Writes the bench dataset `kind` (sample seed `seed`) under root; returns its class pixel counts. */
export async function writeBenchSample(kind: Kind, seed: number, root: string, size: { images: number; size: number }): Promise<number[]> {
  if (kind === 'buildings') return binaryBuildings(root, await writeBenchSample('mixed', seed, root, size));
  if (kind !== 'mixed') return (await writeSampleDataset(root, { seed, images: size.images, size: size.size, ...SAMPLE_KINDS[kind] })).pixelCounts;
  const counts: number[] = [];
  await mkdir(join(root, 'images'), { recursive: true });
  await mkdir(join(root, 'masks'), { recursive: true });
  for (const [i, domain] of MIXED_DOMAINS.entries()) {
    const images = Math.floor(size.images / MIXED_DOMAINS.length) + (i < size.images % MIXED_DOMAINS.length ? 1 : 0);
    const part = join(root, `.${domain.kind}`);
    const truth = await writeSampleDataset(part, { seed, images, size: size.size, ...SAMPLE_KINDS[domain.kind] });
    truth.pixelCounts.forEach((n, c) => (counts[c] = (counts[c] ?? 0) + n));
    for (const sub of ['images', 'masks']) {
      for (const file of await readdir(join(part, sub))) await rename(join(part, sub, file), join(root, sub, `${domain.prefix}${file}`));
    }
    if (i === 0) await rename(join(part, 'classes.json'), join(root, 'classes.json'));
    await rm(part, { recursive: true, force: true });
  }
  return counts;
}

/** Rewrites root's masks as 0/255 (every class but background is a building) and drops classes.json; returns [background, building] pixels. */
async function binaryBuildings(root: string, counts: readonly number[]): Promise<number[]> {
  const masks = join(root, 'masks');
  for (const file of await readdir(masks)) {
    const { data, info } = await sharp(await readFile(join(masks, file))).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    for (let i = 0; i < data.length; i++) data[i] = data[i] === 0 ? 0 : 255;
    await writeFile(join(masks, file), await sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } }).toColourspace('b-w').png().toBuffer());
  }
  await rm(join(root, 'classes.json'), { force: true });
  return [counts[0], counts.slice(1).reduce((a, b) => a + b, 0)];
}

/** Writes the sample under dir/<kind>-<seed>, profiles it, recommends (satellite intent) and loads it for verify. */
export async function prepareSample(kind: Kind, seed: number, dir: string, size: { images: number; size: number }): Promise<{ data: VerifyData; recommendation: Recommendation }> {
  const root = join(dir, `${kind}-${seed}`);
  await writeBenchSample(kind, seed, root, size);
  const dataset = { root, ignoreIndex: DEFAULT_IGNORE_INDEX, strict: false };
  const profile = await profileDataset(dataset);
  const recommendation = await recommend(profile, { intent: { domain: 'satellite', priority: null }, ruleSet: await loadRuleSet([]), profileSource: root });
  const data = await loadVerifyData(dataset, recommendation, { maxImages: 400, seed: 0, minSize: 8 });
  return { data, recommendation };
}
