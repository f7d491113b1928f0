/** The same profile always gives the same recommendation and trace, whatever the order of rules in files. */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtInRulesDir, loadRuleSet } from '../../src/rules/load.js';
import { ARTICLE_SHARES, BALANCED_SHARES } from './profile-builder.js';
import { recommendFor } from './helpers.js';

/** A seeded shuffle (mulberry32), so the test is itself reproducible. */
function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A copy of the built-in rules with the rules inside each file (and the files' rules across files) shuffled. */
function shuffledRulesDir(seed: number): string {
  const source = builtInRulesDir();
  const dir = mkdtempSync(join(tmpdir(), 'segloss-shuffled-'));
  const files = readdirSync(source).filter((f) => f.endsWith('.json'));
  const all = files.flatMap((f) => (JSON.parse(readFileSync(join(source, f), 'utf8')) as { rules: unknown[] }).rules);
  const mixed = shuffled(all, seed);
  // Same file names (the trace records them), different membership and order.
  const per = Math.ceil(mixed.length / files.length);
  files.forEach((name, i) => {
    writeFileSync(join(dir, name), JSON.stringify({ schema: 'segloss-rules/1', description: 'shuffled', rules: mixed.slice(i * per, (i + 1) * per) }));
  });
  return dir;
}

const CASES = [
  { spec: { shares: ARTICLE_SHARES, aggregates: { scaleSpreadDecades: 1.4 } }, intent: { domain: 'satellite' as const } },
  { spec: { shares: [0.9, 0.05, 0.032, 0.018], hasImages: false }, intent: { priority: 'boundaries' as const } },
  { spec: { shares: BALANCED_SHARES }, intent: {} },
  { spec: { shares: [0.95, 0.03, 0.008, 0.007, 0.005] }, intent: { domain: 'medical' as const, priority: 'rare-class-recall' as const } },
];

function withoutSourceFiles(value: unknown): unknown {
  // Rule source files differ after reshuffling rules between files; everything else must match.
  return JSON.parse(
    JSON.stringify(value, (key, v) => {
      if (key === 'source' && typeof v === 'string' && v.endsWith('.json')) return 'file';
      if (key === 'ruleFiles') return (v as string[]).map((f) => f.replace(/^.*\//, ''));
      return v;
    }),
  );
}

describe('determinism', () => {
  it('running twice gives identical output', async () => {
    for (const { spec, intent } of CASES) {
      const first = await recommendFor(spec, intent);
      const second = await recommendFor(spec, intent);
      expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    }
  });

  it('shuffling rules within and across files changes nothing but the recorded file names', async () => {
    for (const seed of [1, 2, 3]) {
      const ruleSet = await loadRuleSet([], shuffledRulesDir(seed));
      for (const { spec, intent } of CASES) {
        const reference = await recommendFor(spec, intent);
        const shuffledResult = await recommendFor(spec, intent, ruleSet);
        expect(withoutSourceFiles(shuffledResult)).toEqual(withoutSourceFiles(reference));
      }
    }
  });

  it('the trace follows evaluation order: decide before finish, priority high to low, then name', async () => {
    const rec = await recommendFor(CASES[0].spec, CASES[0].intent);
    const keys = rec.trace.map((e) => [e.phase === 'decide' ? 0 : 1, -(e.priority ?? 0), e.rule] as const);
    const sorted = [...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : 1));
    expect(keys).toEqual(sorted);
    expect(rec.trace[0].rule).toBe('training-defaults');
  });
});
