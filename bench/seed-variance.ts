/**
 * Do the candidates have the same seed-to-seed variance? (issue 10.) If they did, the verdict could
 * pool the seed variance of all candidates (the randomized-block residual, (k-1)(S-1) df) and call
 * far smaller differences with 3 seeds. This bench measures whether that assumption holds: it trains
 * the default candidates on many seeds (no racing) and, at every rung, prints
 *  - each candidate's seed sd of mean Dice (Shukla's 1972 stability variance: its own share of the
 *    candidate x seed residual) and each pair's sd of the seed-paired difference with the recommended;
 *  - p of "all pair differences have the same variance" (sphericity), from the max/min ratio of the
 *    pair variances against a parametric bootstrap of equal-variance tables;
 *  - simulated A/A with those sds and 3 seeds: how often the pooled and the seed-paired t intervals
 *    at 97.5% call a candidate different from the recommended (nominal 2.5%);
 *  - the same at --replicates R (5: verify's default design, issue 22) for the paired t and for a
 *    moderated t (partial pooling, Smyth 2004's limma form: each comparison's paired variance shrunk
 *    towards the mean of all comparisons' with d0 prior degrees of freedom, df = d0 + R - 1), at
 *    d0 = R - 1 and d0 = 4(R - 1); and the critical t each needs (what a smaller one would buy).
 *   npm run bench:seed-variance [-- --kind rare] [-- --sample-seed 2] [-- --images 160] [-- --seeds 10]
 *     [-- --steps 1280] [-- --keep FILE (the run's verification.json)] | [-- --from FILE (analyse a kept run)]
 * Takes ~25 min at the defaults on two cores (torch); --from is instant. The run behind the numbers
 * in the README and test/verify/seed-stats.test.ts is kept: --from bench/results/seed-variance-rare-2.json.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { VerificationReport } from '../src/contracts/verification.js';
import { createEngine } from '../src/engine/index.js';
import { createRng } from '../src/verify/random.js';
import { mean, std } from '../src/verify/stats.js';
import { DEFAULT_RUN_SETTINGS, runOnData } from '../src/verify/run.js';
import { tQuantile } from '../src/verify/t-distribution.js';
import { isKind, prepareSample } from './sample-data.js';

const args = process.argv.slice(2);
const value = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const config = {
  from: value('from', ''),
  keep: value('keep', ''),
  kind: value('kind', 'rare'),
  sampleSeed: Number(value('sample-seed', '2')),
  images: Number(value('images', '160')),
  size: Number(value('size', '256')),
  seeds: Number(value('seeds', '10')),
  steps: Number(value('steps', '1280')),
  /** Replicates of the moderated-t columns (verify's default design: 5 folds x 1 seed). */
  replicates: Number(value('replicates', '5')),
};
const VERDICT_CONFIDENCE = 0.975;
const AA_SEEDS = 3;
const { jStat } = createRequire(import.meta.url)('jstat') as { jStat: { setRandom(f: () => number): void; normal: { sample(m: number, s: number): number } } };
const rng = createRng(20261130);
jStat.setRandom(rng.next);
const normal = () => jStat.normal.sample(0, 1);

async function loadOrRun(): Promise<VerificationReport> {
  if (config.from) {
    const report = JSON.parse(await readFile(config.from, 'utf8')) as Partial<VerificationReport>;
    if (!Array.isArray(report.candidates)) throw new Error(`${config.from} is not a verification.json (no candidates); pass one written by segloss verify or --keep`);
    return report as VerificationReport;
  }
  if (!(config.seeds >= 3)) throw new Error(`--seeds must be at least 3 (10 measures each candidate's seed variance well), not ${config.seeds}`);
  if (!isKind(config.kind)) throw new Error(`--kind must be rare, balanced, blurred or mixed, not ${JSON.stringify(config.kind)}`);
  const dir = await mkdtemp(join(tmpdir(), 'segloss-seed-variance-'));
  try {
    const { data, recommendation } = await prepareSample(config.kind, config.sampleSeed, dir, config);
    process.stderr.write(`training ${DEFAULT_RUN_SETTINGS.candidates.length} candidates x ${config.seeds} seeds x ${config.steps} steps (no racing)...\n`);
    const report = await runOnData(data, recommendation, { ...DEFAULT_RUN_SETTINGS, seeds: config.seeds, steps: config.steps, racing: false }, { createEngine, onEvent: () => {} });
    if (config.keep) await writeFile(config.keep, `${JSON.stringify(report, null, 2)}\n`);
    return report;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const variance = (v: readonly number[]) => std(v) ** 2;
const pairVariances = (y: number[][]) => y.flatMap((a, i) => y.slice(i + 1).map((b) => variance(a.map((x, s) => x - b[s]))));
const ratio = (v: number[]) => Math.max(...v) / Math.min(...v);

/** Residual sum of squares of the additive candidate + seed model, per candidate. */
function residualSquares(y: number[][]): number[] {
  const grand = mean(y.flat());
  const rowMean = y.map(mean);
  const colMean = y[0].map((_, s) => mean(y.map((row) => row[s])));
  return y.map((row, c) => row.reduce((sum, v, s) => sum + (v - rowMean[c] - colMean[s] + grand) ** 2, 0));
}

/** Shukla's stability variance: each candidate's own seed variance, floored at 0. */
function shukla(y: number[][]): number[] {
  const [k, seeds] = [y.length, y[0].length];
  const ss = residualSquares(y);
  const total = ss.reduce((a, b) => a + b, 0);
  return ss.map((s) => Math.max(0, (k * s) / ((k - 2) * (seeds - 1)) - total / ((k - 1) * (k - 2) * (seeds - 1))));
}

/** P(max/min pair variance >= observed) for equal-variance normal tables of the same shape. */
function sphericityP(y: number[][], draws = 2000): number {
  const observed = ratio(pairVariances(y));
  let atLeast = 0;
  for (let d = 0; d < draws; d++) if (ratio(pairVariances(y.map((row) => row.map(normal)))) >= observed) atLeast++;
  return (atLeast + 1) / (draws + 1);
}

/** A/A with per-candidate sds (first = recommended), AA_SEEDS seeds: share of comparisons with the recommended each interval calls different. */
function simulateAA(sds: number[], trials = 20000): { pooled: number[]; paired: number[] } {
  const k = sds.length;
  const df = (k - 1) * (AA_SEEDS - 1);
  const tPooled = tQuantile(1 - (1 - VERDICT_CONFIDENCE) / 2, df);
  const tPaired = tQuantile(1 - (1 - VERDICT_CONFIDENCE) / 2, AA_SEEDS - 1);
  const pooled = new Array<number>(k).fill(0);
  const paired = new Array<number>(k).fill(0);
  for (let t = 0; t < trials; t++) {
    const y = sds.map((sd) => Array.from({ length: AA_SEEDS }, () => sd * normal()));
    const mse = residualSquares(y).reduce((a, b) => a + b, 0) / df;
    for (let c = 1; c < k; c++) {
      const d = y[c].map((v, s) => v - y[0][s]);
      const m = Math.abs(mean(d));
      if (m > tPooled * Math.sqrt((2 * mse) / AA_SEEDS)) pooled[c]++;
      if (m > tPaired * Math.sqrt(variance(d) / AA_SEEDS)) paired[c]++;
    }
  }
  return { pooled: pooled.map((n) => n / trials), paired: paired.map((n) => n / trials) };
}

/**
 * A/A at `replicates` replicates with per-candidate sds (first = recommended): the share of
 * comparisons with the recommended that the paired t and the moderated t (prior df d0 for each of
 * `priorDfs`) call different at 97.5%, per candidate (nominal 2.5%).
 */
export function simulateModerated(sds: number[], replicates: number, priorDfs: number[], trials = 20000): { paired: number[]; moderated: number[][] } {
  const k = sds.length;
  const d = replicates - 1;
  const tPaired = tQuantile(1 - (1 - VERDICT_CONFIDENCE) / 2, d);
  const tModerated = priorDfs.map((d0) => tQuantile(1 - (1 - VERDICT_CONFIDENCE) / 2, d0 + d));
  const paired = new Array<number>(k).fill(0);
  const moderated = priorDfs.map(() => new Array<number>(k).fill(0));
  for (let t = 0; t < trials; t++) {
    const y = sds.map((sd) => Array.from({ length: replicates }, () => sd * normal()));
    const diffs = y.slice(1).map((row) => row.map((v, s) => v - y[0][s]));
    const variances = diffs.map(variance);
    const prior = mean(variances);
    diffs.forEach((diff, i) => {
      const m = Math.abs(mean(diff));
      if (m > tPaired * Math.sqrt(variances[i] / replicates)) paired[i + 1]++;
      priorDfs.forEach((d0, j) => {
        const shrunk = (d0 * prior + d * variances[i]) / (d0 + d);
        if (m > tModerated[j] * Math.sqrt(shrunk / replicates)) moderated[j][i + 1]++;
      });
    });
  }
  return { paired: paired.map((n) => n / trials), moderated: moderated.map((row) => row.map((n) => n / trials)) };
}

async function main(): Promise<void> {
  const report = await loadOrRun();
  const candidates = report.candidates.filter((c) => c.curve?.length && c.curve.every((p) => p.perSeedMeanDice?.length));
  const rec = candidates.findIndex((c) => c.isRecommended);
  if (rec < 0 || candidates.length < 3) throw new Error('need the recommended recipe and at least two alternatives with per-seed learning curves');
  const ordered = [candidates[rec], ...candidates.filter((_, i) => i !== rec)];
  const rungs = Math.min(...ordered.map((c) => c.curve!.length));
  if (ordered[0].curve![0].perSeedMeanDice!.length < 3) throw new Error('need at least 3 seeds per candidate to estimate each one\'s seed variance (train with --seeds 10)');
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines: string[] = [`${ordered.length} candidates x ${ordered[0].curve![0].perSeedMeanDice!.length} seeds; A/A columns: 3 seeds, intervals at 97.5% (nominal 2.5%)`];
  for (let r = 0; r < rungs; r++) {
    const y = ordered.map((c) => c.curve![r].perSeedMeanDice!.slice());
    const sds = shukla(y).map(Math.sqrt);
    const aa = simulateAA(sds);
    lines.push(`\nrung ${r + 1} (${ordered[0].curve![r].steps} steps): equal pair variances p = ${sphericityP(y).toFixed(3)}`);
    lines.push(['candidate'.padEnd(20), 'mean Dice', 'seed sd', 'paired sd vs rec', 'A/A pooled', 'A/A paired'].join('  '));
    ordered.forEach((c, i) => {
      const pairSd = i === 0 ? '-' : Math.sqrt(variance(y[i].map((v, s) => v - y[0][s]))).toFixed(4);
      lines.push([c.id.padEnd(20), mean(y[i]).toFixed(3).padEnd(9), sds[i].toFixed(4).padEnd(7), pairSd.padEnd(16), (i === 0 ? '-' : pct(aa.pooled[i])).padEnd(10), i === 0 ? '-' : pct(aa.paired[i])].join('  '));
    });
    const R = config.replicates;
    const priorDfs = [R - 1, 4 * (R - 1)];
    const mod = simulateModerated(sds, R, priorDfs);
    const critical = (df: number) => tQuantile(1 - (1 - VERDICT_CONFIDENCE) / 2, df).toFixed(2);
    lines.push(`  at ${R} replicates: A/A paired t (critical t ${critical(R - 1)}) | moderated t d0=${priorDfs[0]} (${critical(priorDfs[0] + R - 1)}) | d0=${priorDfs[1]} (${critical(priorDfs[1] + R - 1)})`);
    ordered.forEach((c, i) => {
      if (i > 0) lines.push(`  ${c.id.padEnd(20)}  ${pct(mod.paired[i]).padEnd(6)} | ${pct(mod.moderated[0][i]).padEnd(6)} | ${pct(mod.moderated[1][i])}`);
    });
    const worst = (row: number[]) => pct(Math.max(...row.slice(1)));
    lines.push(`  worst comparison: paired ${worst(mod.paired)}, moderated d0=${priorDfs[0]} ${worst(mod.moderated[0])}, d0=${priorDfs[1]} ${worst(mod.moderated[1])} (nominal 2.5%)`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

try {
  await main();
  process.exit(0); // the engine's worker threads keep Node alive
} catch (error) {
  process.stderr.write(`seed-variance: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
