/** `segloss recommend --profile` and `segloss rules` through the CLI entry. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Recommendation } from '../../src/contracts/recommendation.js';
import { formatRecommendationText } from '../../src/report/recommendation-text.js';
import { ARTICLE_SHARES, buildProfile } from './profile-builder.js';
import { runCli } from '../helpers/run-cli.js';

const run = runCli;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'segloss-recommend-'));
}

function writeProfile(dir: string, profile: unknown = buildProfile({ shares: ARTICLE_SHARES, hasImages: false })): string {
  const path = join(dir, 'profile.json');
  writeFileSync(path, JSON.stringify(profile));
  return path;
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('segloss recommend --profile', () => {
  it('--json prints only the Recommendation; --out writes recommendation.json', async () => {
    const dir = tempDir();
    const profile = writeProfile(dir);
    const outDir = join(dir, 'out');
    const { code, stdout } = await run(['recommend', '--profile', profile, '--domain', 'satellite', '--json', '--out', outDir]);
    expect(code).toBe(0);
    const rec = JSON.parse(stdout) as Recommendation;
    expect(rec.kind).toBe('Recommendation');
    expect(rec.schemaVersion).toBe(1);
    expect(rec.recipe.id).toBe('combo-satellite');
    expect(rec.input).toMatchObject({ profileSource: profile, domain: 'satellite', priority: null, numClasses: 6 });
    const written = JSON.parse(readFileSync(join(outDir, 'recommendation.json'), 'utf8')) as Recommendation;
    expect(written).toEqual(rec);
  });

  it('plain text shows the path, each decision with fact and threshold, the recipe and the alternatives', async () => {
    const dir = tempDir();
    const { code, stdout } = await run(['recommend', '--profile', writeProfile(dir), '--no-color']);
    expect(code).toBe(0);
    expect(stdout).toContain('Path  severe class imbalance → boundaries clear → stable training needed');
    expect(stdout).toMatch(/severe-imbalance \[imbalance\]\s+any of: imbalanceRatio 3290 ≥ 20 ✓ · backgroundShare 0.987 ≥ 0.85 ✓/);
    expect(stdout).toMatch(/boundaries-ambiguous \[boundaries\]\s+ambiguousBoundaryShare unknown ≥ 0.4 \?/);
    expect(stdout).toContain('priority not given = stability ✗');
    expect(stdout).toMatch(/Recipe {2}combo/);
    expect(stdout).toContain('Alternatives');
    expect(stdout).toContain('Assumptions');
    expect(stdout).not.toMatch(/\u001b\[/);
  });

  it('colour only when asked', () => {
    const rec = { ...buildRec() };
    expect(formatRecommendationText(rec, { color: true })).toMatch(/\u001b\[32m/);
    expect(formatRecommendationText(rec, { color: false })).not.toMatch(/\u001b\[/);
  });

  it.each([
    [{ kind: 'Recommendation', schemaVersion: 1 }, /"kind" is "Recommendation", expected "DatasetProfile"/],
    [{ ...buildProfile(), schemaVersion: 7 }, /schemaVersion 7 is not supported/],
    [{ ...buildProfile(), aggregates: { ...buildProfile().aggregates, backgroundShare: 'high' } }, /aggregates.backgroundShare must be a share in \[0, 1\], got "high"/],
  ])('refuses a file that is not a usable profile (exit 2)', async (content, message) => {
    const dir = tempDir();
    const { code, stderr } = await run(['recommend', '--profile', writeProfile(dir, content)]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('profile.json');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses bad JSON with its position, a missing file, both DIR and --profile, neither', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"kind": "DatasetProfile",\n "schemaVersion": }');
    expect((await run(['recommend', '--profile', bad])).stderr).toMatch(/bad.json: not valid JSON at line 2, column 19/);
    expect((await run(['recommend', '--profile', join(dir, 'none.json')])).stderr).toMatch(/cannot read profile .*none.json: it does not exist/);
    const both = await run(['recommend', dir, '--profile', writeProfile(dir)]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/not both/);
    const neither = await run(['recommend']);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/no dataset DIR and no --profile/);
  });

  it('refuses an unknown --domain or --priority (exit 2)', async () => {
    const dir = tempDir();
    const { code, stderr } = await run(['recommend', '--profile', writeProfile(dir), '--domain', 'aerial']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/satellite, medical, driving/);
    expect((await run(['recommend', '--profile', writeProfile(dir), '--priority', 'speed'])).code).toBe(2);
  });

  it('an invalid --rules file stops with exit 2 naming the file and the rule, before anything runs', async () => {
    const dir = tempDir();
    const rules = join(dir, 'mine.json');
    writeFileSync(
      rules,
      JSON.stringify({
        schema: 'segloss-rules/1',
        rules: [{ name: 'x', step: 's', priority: 5, rationale: 'r', source: 's', conditions: { all: [{ fact: 'blur', operator: 'equal', value: 1 }] }, then: { note: 'n' } }],
      }),
    );
    const { code, stderr } = await run(['recommend', '--profile', writeProfile(dir), '--rules', rules]);
    expect(code).toBe(2);
    expect(stderr).toContain(rules);
    expect(stderr).toMatch(/rule "x".*unknown fact "blur"/);
  });
});

describe('segloss rules', () => {
  it('lists every rule with thresholds, rationale and source', async () => {
    const { code, stdout } = await run(['rules', '--no-color']);
    expect(code).toBe(0);
    expect(stdout).toContain('severe-imbalance');
    expect(stdout).toMatch(/ambiguousBoundaryShare ≥ 0.4: the article's own data had ~30% ambiguous edges/);
    expect(stdout).toContain('source: the article');
  });

  it('--json gives the rules with their thresholds; --rules overrides show', async () => {
    const dir = tempDir();
    const rules = join(dir, 'off.json');
    writeFileSync(rules, JSON.stringify({ schema: 'segloss-rules/1', rules: [{ name: 'nnunet-baseline', disabled: true }] }));
    const { code, stdout } = await run(['rules', '--json', '--rules', rules]);
    expect(code).toBe(0);
    const listing = JSON.parse(stdout) as { rules: Array<{ name: string; thresholds: unknown[] }>; disabled: string[]; overrides: unknown[] };
    expect(listing.disabled).toEqual(['nnunet-baseline']);
    expect(listing.rules.map((r) => r.name)).not.toContain('nnunet-baseline');
    expect(listing.rules.find((r) => r.name === 'severe-imbalance')?.thresholds).toHaveLength(2);
  });

  it('--facts lists the facts table', async () => {
    const { stdout } = await run(['rules', '--facts', '--no-color']);
    expect(stdout).toMatch(/ambiguousBoundaryShare\s+number\|null\s+profile/);
    expect(stdout).toMatch(/priority\s+string\|null\s+intent/);
  });
});

function buildRec(): Recommendation {
  return JSON.parse(readFileSync(new URL('../fixtures/rules/recommendation-satellite.json', import.meta.url), 'utf8')) as Recommendation;
}
