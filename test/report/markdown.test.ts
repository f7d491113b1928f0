import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReportMarkdown } from '../../src/report/markdown.js';
import { writeReport } from '../../src/report/write-report.js';
import { profileFixture, recommendationFixture, verificationFixture } from '../fixtures/ui/contracts.js';

const report = renderReportMarkdown({ profile: profileFixture, recommendation: recommendationFixture, verification: verificationFixture });

function tableRow(markdown: string, first: string): string[] {
  const line = markdown.split('\n').find((l) => l.startsWith(`| ${first} |`));
  if (!line) throw new Error(`no table row starting with ${first}`);
  return line.slice(2, -2).split(' | ');
}

describe('report.md', () => {
  it('summarises the profile with the rarest class and the three measured challenges', () => {
    expect(tableRow(report, '5')).toEqual(['5', '**solar panel** (rarest)', '0.03%', '70 (17.5%)', '240', '60', '41.0%']);
    expect(report).toContain('background 98.7%, smallest foreground class 0.03%, imbalance ratio 3290:1');
    expect(report).toContain('30.0% of label-boundary pixels are low-contrast');
    expect(report).toContain('| 290 (19.4%) | 1044 (69.7%) | 160 (10.7%) | 4 (0.27%) |');
    expect(report).toContain('`masks/tile_0113.png`: mask is 512x512');
  });

  it('shows the reasoning: the path and every decision with its outcome', () => {
    expect(report).toContain('**Path through the flowchart:** severe imbalance → boundaries clear → stability needed → Combo');
    expect(tableRow(report, 'imbalance')).toEqual(['imbalance', '`severe-imbalance`', 'smallestForegroundShare = 3e-4 < 0.01 ✓', '**taken**: severe imbalance: leave plain CE']);
    expect(report).toContain('| boundaries | `ambiguous-boundaries-focal` | ambiguousBoundaryShare = 0.3 ≥ 0.35 ✗ | not taken |');
    expect(report).toContain('| optimiser | AdamW, lr 3e-4, weight decay 0.01 |');
    expect(report).toContain('1. **Soft Dice with warm-up**');
  });

  it('has the metrics table in the article layout: metric rows, a column per candidate, CIs, winner', () => {
    const header = tableRow(report, 'metric');
    // Short names in the table (src/report/short-names.ts); the full labels once, in the key at the top.
    expect(header).toEqual(['metric', 'recommended ★', 'CE', 'Focal γ2', 'Dice']);
    expect(tableRow(report, '**Focal γ2**')).toEqual(['**Focal γ2**', 'Focal (gamma 2)', '']);
    expect(tableRow(report, 'mean Dice')).toEqual(['mean Dice', '**0.712 (0.672-0.752)**', '0.641 (0.591-0.691)', '0.668 (0.618-0.718)', '× diverged']);
    expect(tableRow(report, 'rarest-class recall (solar panel)')[1]).toBe('**0.402 (0.312-0.492)**');
    expect(tableRow(report, 'boundary IoU')[3]).toBe('0.577 (0.527-0.627)');
    expect(tableRow(report, 'training stability (loss CV, lower is steadier)')).toEqual(['training stability (loss CV, lower is steadier)', '0.080 (stable)', '**0.050 (stable)**', '0.140 (moderate)', '× diverged']);
    expect(report).toContain(`**Verdict (confirmed):** ${verificationFixture.verdict.sentence}`);
    // The headline first, before the profile.
    expect(report.split('\n')[2]).toBe('**Verdict: confirmed: keep the recommended recipe**');
    expect(report).toContain('- Dice: diverged (loss became NaN at step 37)');
  });

  it('marks candidates stopped at the time budget in the table and lists them', () => {
    const stopped = renderReportMarkdown({
      profile: profileFixture,
      recommendation: recommendationFixture,
      verification: {
        ...verificationFixture,
        settings: { ...verificationFixture.settings, timeLimitSeconds: 150 },
        candidates: verificationFixture.candidates.map((c, i) =>
          i === 1 ? { ...c, status: 'stopped', statusDetail: 'stopped at the time budget after 50 of 120 steps', stepsDone: 50 }
            : i === 2 ? { ...c, status: 'stopped', statusDetail: 'not started: no time was left before the hard stop at 2m30s (budget 2m)', stepsDone: 0, metrics: null }
              : c),
      },
    });
    expect(tableRow(stopped, 'mean Dice')).toEqual(['mean Dice', '**0.712 (0.672-0.752)**', '0.641 (0.591-0.691)', 'not run (time budget)', '× diverged']);
    expect(tableRow(stopped, 'steps (time)')[2]).toMatch(/^50 of 120 ⏹ \(/);
    expect(stopped).toContain('⏹ stopped at the time budget (hard stop 2m30s): fewer steps than the others, an unequal comparison.');
    expect(stopped).toContain('- Cross-entropy: stopped at the time budget after 50 of 120 steps');
    expect(stopped).toContain('- Focal (gamma 2): not started: no time was left before the hard stop at 2m30s (budget 2m)');
  });

  it('says what the verdict ranks, and shows the lockstep training, the learning curves, the comparisons and the eliminations', () => {
    const raced = renderReportMarkdown({
      profile: profileFixture,
      recommendation: recommendationFixture,
      verification: {
        ...verificationFixture,
        // a file written before the spending function: an even split in racingAlphaPerRung
        settings: { ...verificationFixture.settings, errorBudget: { confidence: 0.95, verdictConfidence: 0.975, racingAlphaPerRung: 0.025 / 3, racingRungs: 3 } },
        candidates: verificationFixture.candidates.map((c) => (c.id === 'ce' ? { ...c, status: 'eliminated' as const, statusDetail: 'stopped at rung 2', curve: c.curve!.slice(0, 2) } : c)),
        verdict: {
          ...verificationFixture.verdict,
          steps: 120, seeds: 3, tieMargin: 0.01, minimumDetectableDifference: 0.021, orderStillMoving: true,
          toResolve: { seeds: 6, budgetMultiplier: 2, valImagesMultiplier: null, text: 'about 6 seeds would decide' },
          comparisons: [{ candidateId: 'focal', againstId: 'combo-satellite', metric: 'meanDice', difference: -0.044, ci: [-0.07, -0.018], confidence: 0.975, seeds: 3, seedVariance: true, minimumDetectableDifference: 0.021, relation: 'worse' }],
          eliminations: [{ id: 'ce', rung: 2, steps: 60, by: 'combo-satellite', metric: 'meanDice', difference: 0.08, ci: [0.03, 0.13], reason: 'stopped at rung 2' }],
        },
      },
    });
    expect(raced).toContain('4 runs (4 candidates x 1 seed) trained in lockstep, rounds of 5 steps: every surviving run trained exactly 120 steps; scored on validation at rungs of 30, 60, 120 steps.');
    expect(raced).toContain('> This ranks the candidates at THIS budget: 120 steps per run, 3 seeds.');
    expect(raced).toContain('> Order still moving');
    expect(raced).toContain('> Smallest mean-Dice difference this run could detect (80% power): 0.021; tie margin 0.010.');
    expect(raced).toContain('> To resolve: about 6 seeds would decide');
    expect(raced).toContain('> Error budget: 5% for every "better"/"worse" call of the run together: 0.8333% at each of up to 3 racing rungs, the rest for the final comparisons (97.5% CIs).');
    // the spending function's levels (error-budget.ts), each printed as it was used
    const spent = renderReportMarkdown({
      profile: profileFixture, recommendation: recommendationFixture,
      verification: { ...verificationFixture, settings: { ...verificationFixture.settings, errorBudget: { confidence: 0.95, verdictConfidence: 0.9625, racingAlpha: 0.0125, spendingPower: 2, racingSpent: [{ rung: 1, steps: 30, alpha: 0.05 / 64 }, { rung: 2, steps: 60, alpha: 0.15 / 64 }] } } },
    });
    expect(spent).toContain('> Error budget: 5% for every "better"/"worse" call of the run together: racing may spend 1.25%, as 5% x t^2 by the share t of the steps (little early, where learning curves still cross; spent 0.07813% at rung 1 and 0.2344% at rung 2), the rest for the final comparisons (96.25% CIs).');
    // no racing (--no-racing, one candidate): no budget line, the verdict has it all
    const unraced = renderReportMarkdown({
      profile: profileFixture, recommendation: recommendationFixture,
      verification: { ...verificationFixture, settings: { ...verificationFixture.settings, errorBudget: { confidence: 0.95, verdictConfidence: 0.95, racingAlpha: 0, spendingPower: 2, racingSpent: [] } } },
    });
    expect(unraced).not.toContain('Error budget');
    expect(raced).toMatch(/\| candidate +\| vs +\| metric +\| difference +\| 97\.5% CI +\|/);
    expect(tableRow(raced, 'Focal γ2')).toEqual(['Focal γ2', 'recommended', 'meanDice', '-0.044', '-0.070 to -0.018', 'worse', '0.021', '3']);
    expect(raced).toContain('- ✂ CE: stopped at rung 2 (60 steps), 0.080 mean Dice behind recommended (CI +0.030 to +0.130)');
    expect(tableRow(raced, 'CE').slice(1, 6)).toEqual(['0.550', '0.610', '-', '0.305', '+0.046/2x']);
    expect(tableRow(raced, 'rarest-class recall (solar panel)')).toBeDefined();
  });

  it('links the overlay PNGs per candidate', () => {
    expect(report).toContain('## Prediction overlays');
    expect(report).toContain('](overlays/combo-satellite-0.png)');
    expect(report).toContain('](overlays/focal-0.png)');
  });

  it('says verification was not run when it is missing', () => {
    const partial = renderReportMarkdown({ profile: profileFixture, recommendation: recommendationFixture, verification: null });
    expect(partial).toContain('Not run.');
    expect(partial).not.toContain('## Prediction overlays');
  });

  it('writeReport writes report.md and the contracts, with overlay links relative to the report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segloss-report-'));
    const withAbsolute = {
      ...verificationFixture,
      candidates: verificationFixture.candidates.map((c) => ({ ...c, overlays: c.overlays.map((o) => join(dir, o)) })),
    };
    mkdirSync(join(dir, 'overlays', 'truth'), { recursive: true });
    writeFileSync(join(dir, 'overlays', 'truth', 'tile_0001.png'), '');
    const written = await writeReport(dir, { profile: profileFixture, recommendation: recommendationFixture, verification: withAbsolute });
    expect(written.contractPaths.map((p) => p.slice(dir.length + 1))).toEqual(['profile.json', 'recommendation.json', 'verification.json']);
    expect(JSON.parse(readFileSync(join(dir, 'recommendation.json'), 'utf8'))).toEqual(recommendationFixture);
    const markdown = readFileSync(written.reportPath, 'utf8');
    expect(markdown).toContain('](overlays/combo-satellite-0.png)');
    expect(markdown).not.toContain(dir);
    expect(markdown).toContain('### Ground truth');
    expect(markdown.indexOf('### Ground truth')).toBeLessThan(markdown.indexOf('### recommended'));
    // report.html beside it, with the same tables.
    const html = readFileSync(written.htmlPath, 'utf8');
    expect(html).toContain('<td class="num"><strong>0.712 (0.672-0.752)</strong></td>');
  });
});

describe('fixtures', () => {
  it('the JSON fixtures match the typed ones (regenerate with npx tsx test/fixtures/ui/write-fixtures.ts)', () => {
    const read = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/ui/${name}`, import.meta.url), 'utf8'));
    expect(read('profile.json')).toEqual(profileFixture);
    expect(read('recommendation.json')).toEqual(recommendationFixture);
    expect(read('verification.json')).toEqual(verificationFixture);
  });
});
