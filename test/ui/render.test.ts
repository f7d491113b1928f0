import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatProfileText } from '../../src/report/profile-text.js';
import { formatVerificationText } from '../../src/report/verification-text.js';
import { formatRecommendationText } from '../../src/report/recommendation-text.js';
import { plainProgressPrinter, profileOutput, recommendationOutput, startVerifyDashboard, verificationOutput } from '../../src/ui/render.js';
import { profileFixture, recommendationFixture, trainingEventsFixture, verificationFixture } from '../fixtures/ui/contracts.js';
import { widestLine } from './helpers.js';

describe('rendering layer', () => {
  it('uses the Ink views on a terminal, laid out for its width', () => {
    for (const columns of [60, 100]) {
      const profile = profileOutput(profileFixture, { color: false, interactive: true, columns });
      expect(profile).toContain('◀ rarest');
      expect(widestLine(profile)).toBeLessThanOrEqual(columns);
      const rec = recommendationOutput(recommendationFixture, { color: false, interactive: true, columns });
      expect(rec).toContain('▶ severe-imbalance TAKEN');
      expect(widestLine(rec)).toBeLessThanOrEqual(columns);
      const ver = verificationOutput(verificationFixture, { color: false, interactive: true, columns });
      expect(ver).toContain('Verdict: CONFIRMED');
      expect(widestLine(ver)).toBeLessThanOrEqual(columns);
    }
  });

  it('falls back to the plain-text formatters when not on a terminal', () => {
    expect(profileOutput(profileFixture, { color: false, interactive: false })).toBe(`${formatProfileText(profileFixture, { color: false }).replace(/\n$/, '')}\n`);
    expect(verificationOutput(verificationFixture, { color: false, interactive: false })).toBe(`${formatVerificationText(verificationFixture, { color: false }).replace(/\n$/, '')}\n`);
    expect(recommendationOutput(recommendationFixture, { color: false, interactive: false })).toBe(`${formatRecommendationText(recommendationFixture, { color: false }).replace(/\n$/, '')}\n`);
    // Piped output carries no ANSI styles even with colour allowed.
    expect(profileOutput(profileFixture, { color: true, interactive: false, stream: new PassThrough() })).not.toMatch(/\u001b\[/);
  });

  it('prints short progress lines and the plain report when verify output is piped', async () => {
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (chunk) => (stdout += chunk));
    err.on('data', (chunk) => (stderr += chunk));
    const dashboard = startVerifyDashboard({ color: false, interactive: false, stream: out, progressStream: err });
    for (const event of trainingEventsFixture()) dashboard.onEvent(event);
    await dashboard.finish(verificationFixture);
    expect(stderr).toContain('training combo-satellite (Combo 0.7 Dice + 0.3 CE): 40 steps');
    expect(stderr).toContain('combo-satellite step 8: loss');
    expect(stderr).toContain('dice step 12: loss NaN'); // the diverging step is always shown
    expect(stderr).toContain('dice: diverged (loss became NaN at step 12)');
    expect(stderr.split('\n').filter((l) => l.includes('combo-satellite step')).length).toBe(5);
    expect(stdout).toBe(`${formatVerificationText(verificationFixture, { color: false }).replace(/\n$/, '')}\n`);
  });

  it('prints nothing on stdout for --json runs', async () => {
    const out = new PassThrough();
    let stdout = '';
    out.on('data', (chunk) => (stdout += chunk));
    const dashboard = startVerifyDashboard({ color: false, interactive: true, showResult: false, stream: out, progressStream: new PassThrough() });
    dashboard.onEvent({ kind: 'message', text: 'hello' });
    await dashboard.finish(verificationFixture);
    expect(stdout).toBe('');
  });

  it('plainProgressPrinter reports budget-bound candidates', () => {
    const lines: string[] = [];
    const print = plainProgressPrinter((line) => lines.push(line));
    print({ kind: 'candidate-start', candidateId: 'ce', label: 'CE', totalSteps: null, budgetSeconds: 90 });
    expect(lines).toEqual(['training ce (CE): 1m30s budget']);
  });
});

describe('live Ink dashboard on a terminal', () => {
  it('draws candidate rows while training and ends with the metrics table and verdict', async () => {
    const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 60, rows: 40 });
    let written = '';
    terminal.on('data', (chunk) => (written += chunk));
    const dashboard = startVerifyDashboard({ color: false, stream: terminal });
    for (const event of trainingEventsFixture()) dashboard.onEvent(event);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await dashboard.finish(verificationFixture);
    const screen = written.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
    expect(screen).toContain('Combo 0.7 Dice + 0.3 CE');
    expect(screen).toContain('DIVERGED');
    expect(screen).toContain('Verdict: CONFIRMED');
    expect(screen).toMatch(/mean Dice\s+0\.712/);
  });
});
