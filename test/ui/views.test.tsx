import React from 'react';
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { ProfileView } from '../../src/ui/components/ProfileView.js';
import { ReasoningView } from '../../src/ui/components/ReasoningView.js';
import { LiveVerifyDashboard, VerifyDashboard } from '../../src/ui/components/VerifyDashboard.js';
import { createVerifyStore } from '../../src/ui/verify-state.js';
import type { DatasetProfile, VerificationReport } from '../../src/contracts/index.js';
import { profileFixture, recommendationFixture, trainingEventsFixture, verificationFixture } from '../fixtures/ui/contracts.js';
import { frameOf, widestLine } from './helpers.js';

const WIDTHS = [60, 100];

function lineWith(frame: string, text: string): string {
  const line = frame.split('\n').find((l) => l.includes(text));
  if (!line) throw new Error(`no line contains "${text}" in:\n${frame}`);
  return line;
}

describe('ProfileView', () => {
  it.each(WIDTHS)('shows every class share with the rarest class visible and marked at %i columns', (width) => {
    const frame = frameOf(render(<ProfileView profile={profileFixture} width={width} color={false} />).lastFrame());
    const solar = lineWith(frame, 'solar panel');
    expect(solar).toContain('0.03%');
    expect(solar).toContain('◀ rarest');
    // Log scale: the 0.03% class gets a real bar, not a sliver.
    expect((solar.match(/█/g) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(lineWith(frame, 'background')).toContain('98.7%');
    // Bars are ordered by share on the log scale.
    const filled = (name: string) => (lineWith(frame, name).match(/█/g) ?? []).length;
    expect(filled('background')).toBeGreaterThan(filled('pitched roof'));
    expect(filled('pitched roof')).toBeGreaterThan(filled('solar panel'));
    expect(widestLine(frame)).toBeLessThanOrEqual(width);
  });

  it('shows the object-size histogram over the article bins, the boundary gauge and skipped files', () => {
    const frame = frameOf(render(<ProfileView profile={profileFixture} width={100} color={false} />).lastFrame());
    // Foreground bins summed over classes 1..5 of the fixture: 290, 1044, 160, 4.
    expect(lineWith(frame, '<100')).toMatch(/290\s+19\.4%/);
    expect(lineWith(frame, '100-1k')).toMatch(/1044\s+69\.7%/);
    expect(lineWith(frame, '1k-10k')).toMatch(/160/);
    expect(lineWith(frame, '>=10k')).toMatch(/\b4\b/);
    expect(frame).toContain('Boundary ambiguity');
    expect(frame).toContain('30.0%');
    expect(frame).toContain('Skipped 2 files');
    expect(frame).toContain('masks/tile_0113.png');
    expect(frame).toContain('fix: resize the mask');
  });

  it('says boundaries were not measured on a masks-only dataset', () => {
    const masksOnly: DatasetProfile = {
      ...profileFixture,
      dataset: { ...profileFixture.dataset, hasImages: false, skipped: [] },
      aggregates: { ...profileFixture.aggregates, ambiguousBoundaryShare: null, meanBoundaryContrast: null },
    };
    const frame = frameOf(render(<ProfileView profile={masksOnly} width={60} color={false} />).lastFrame());
    expect(frame).toContain('not measured: masks only');
    expect(frame).not.toContain('Skipped');
  });
});

describe('ReasoningView', () => {
  it.each(WIDTHS)('marks the taken branch and shows each decision fact, operator and threshold at %i columns', (width) => {
    const frame = frameOf(render(<ReasoningView recommendation={recommendationFixture} width={width} color={false} />).lastFrame());
    expect(frame).toContain('▶ severe-imbalance TAKEN');
    expect(frame).toContain('· balanced-ce not taken');
    expect(frame).toContain('smallestForegroundShare = 3e-4 < 0.01 ✓');
    expect(frame).toContain('ambiguousBoundaryShare = 0.3 ≥ 0.35 ✗');
    expect(frame).toContain('domain = satellite in [satellite, medical] ✓');
    expect(frame).toContain('· extension');
    expect(frame.replace(/\s+/g, ' ')).toContain('severe imbalance → boundaries clear → stability needed → Combo');
    expect(frame).toContain('Recipe Combo 0.7 Dice + 0.3 CE');
    expect(frame).toContain('AdamW, lr 3e-4, weight decay 0.01');
    expect(frame.replace(/\s+/g, ' ')).toContain('[0.1, 1, 1, 2, 2, 3]');
    expect(frame).toContain('1. Soft Dice with warm-up');
    expect(widestLine(frame)).toBeLessThanOrEqual(width);
  });
});

describe('VerifyDashboard (finished report)', () => {
  it.each(WIDTHS)('shows the metrics table with the winner, CIs, the diverged run and the verdict at %i columns', (width) => {
    const frame = frameOf(render(<VerifyDashboard report={verificationFixture} width={width} color={false} />).lastFrame());
    const header = lineWith(frame, '★');
    expect(header).toMatch(/★ recomm/); // short names (src/report/short-names.ts), cut to narrow columns
    expect(lineWith(frame, 'mean Dice ')).toMatch(/0\.712\s+0\.641\s+0\.668\s+×diverged/);
    expect(lineWith(frame, 'boundary IoU')).toMatch(/0\.611\s+0\.552\s+0\.577/);
    expect(frame).toMatch(/0\.67-0\.75|0\.672-0\.752/);
    expect(lineWith(frame, '× Dice')).toContain('DIVERGED');
    expect(frame).toContain('Verdict: CONFIRMED');
    // The verdict's sentence with short names (the key below has the full labels).
    expect(frame.replace(/\s+/g, ' ')).toContain('The recommended recipe is best: mean Dice 0.712 vs 0.668 for Focal, outside the 95% CIs.');
    expect(widestLine(frame)).toBeLessThanOrEqual(width);
  });

  it('splits the table into column blocks when the candidates do not fit', () => {
    const many: VerificationReport = {
      ...verificationFixture,
      candidates: [...verificationFixture.candidates, ...verificationFixture.candidates.map((c) => ({ ...c, id: `${c.id}-2`, label: `${c.label} v2` }))],
    };
    const frame = frameOf(render(<VerifyDashboard report={many} width={60} color={false} />).lastFrame());
    expect(frame.split('\n').filter((line) => line.startsWith('mean Dice')).length).toBe(2);
    expect(widestLine(frame)).toBeLessThanOrEqual(60);
  });
});

describe('VerifyDashboard with candidates stopped at the time budget', () => {
  // Cross-entropy stopped after 50 of 120 steps (evaluated); Focal never started.
  const stopped: VerificationReport = {
    ...verificationFixture,
    settings: { ...verificationFixture.settings, timeLimitSeconds: 150 },
    candidates: verificationFixture.candidates.map((c, i) =>
      i === 1 ? { ...c, status: 'stopped', statusDetail: 'stopped at the time budget after 50 of 120 steps', stepsDone: 50 }
        : i === 2 ? { ...c, status: 'stopped', statusDetail: 'not started: no time was left before the hard stop at 2m30s (budget 2m)', stepsDone: 0, wallSeconds: 0, metrics: null, lossCurve: [] }
          : c),
  };

  it.each(WIDTHS)('marks the stopped and the never-started candidates and says the time budget was reached at %i columns', (width) => {
    const frame = frameOf(render(<VerifyDashboard report={stopped} width={width} color={false} />).lastFrame());
    expect(lineWith(frame, '◷ CE')).toMatch(/stopped at the time budget/);
    expect(lineWith(frame, '◷ Focal')).toMatch(/not started/);
    expect(lineWith(frame, 'mean Dice ')).toMatch(/0\.712\s+0\.641\s+◷not run\s+×diverged/);
    expect(lineWith(frame, 'steps, time')).toMatch(/◷50,/);
    expect(frame.replace(/\s+/g, ' ')).toContain('time budget reached (hard stop 2m30s): 2 candidates stopped');
    expect(widestLine(frame)).toBeLessThanOrEqual(width);
  });

  it('shows a live stopped row from its candidate-end event', () => {
    const store = createVerifyStore();
    store.dispatch({ kind: 'candidate-start', candidateId: 'ce', label: 'Cross-entropy', totalSteps: 120, budgetSeconds: 24 });
    for (let step = 1; step <= 50; step++) store.dispatch({ kind: 'step', candidateId: 'ce', step, loss: 1 / step, lr: 1e-3, elapsedSeconds: step * 0.5, etaSeconds: 10 });
    store.dispatch({ kind: 'evaluating', candidateId: 'ce' });
    store.dispatch({ kind: 'candidate-end', candidateId: 'ce', status: 'stopped', detail: 'stopped at the time budget after 50 of 120 steps' });
    const frame = frameOf(render(<LiveVerifyDashboard store={store} width={100} color={false} />).lastFrame());
    expect(lineWith(frame, '◷ Cross-entropy')).toContain('stopped at the time budget after 50 of 120 steps');
    expect(frame).toMatch(/50\/120/);
  });
});

describe('LiveVerifyDashboard', () => {
  it('updates a row per candidate as training events arrive, then shows the table', async () => {
    const store = createVerifyStore();
    const view = render(<LiveVerifyDashboard store={store} width={60} color={false} />);
    expect(view.lastFrame()).toContain('waiting for the first candidate');
    for (const event of trainingEventsFixture()) store.dispatch(event);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const live = frameOf(view.lastFrame());
    expect(lineWith(live, 'Combo 0.7 Dice')).toMatch(/^✓ .*done$/);
    expect(lineWith(live, '× Dice')).toContain('DIVERGED: loss became NaN');
    expect(lineWith(live, '12/40')).toContain('×'); // the NaN step in the sparkline
    expect(lineWith(live, '▶ Focal')).toContain('training');
    expect(lineWith(live, '20/40')).toMatch(/ETA 5s/);
    expect(widestLine(live)).toBeLessThanOrEqual(60);

    store.setReport(verificationFixture);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const done = frameOf(view.lastFrame());
    expect(done).toContain('Verdict: CONFIRMED');
    expect(done).toMatch(/★ recomm/);
    expect(done.split('\n')[0]).toMatch(/^Verdict: confirmed/); // the headline first
    view.unmount();
  });
});

describe('ProfileView on a sampled profile', () => {
  it('prints each class share with its 95% CI', () => {
    const sampled: DatasetProfile = {
      ...profileFixture,
      dataset: { ...profileFixture.dataset, sample: { size: 100, seed: 0, population: 400 } },
      classes: profileFixture.classes.map((c) => ({ ...c, pixelShareCI95: [c.pixelShare * 0.8, c.pixelShare * 1.2] as [number, number] })),
    };
    const frame = frameOf(render(<ProfileView profile={sampled} width={60} color={false} />).lastFrame());
    expect(frame.replace(/\s+/g, ' ')).toContain('seeded sample of 100 from 400');
    expect(frame).toContain('95% CI 0.024% to 0.036%'); // solar panel: 0.03% x 0.8 .. x 1.2
    expect(widestLine(frame)).toBeLessThanOrEqual(60);
  });
});

describe('lockstep racing in the dashboard', () => {
  const eliminatedReport: VerificationReport = {
    ...verificationFixture,
    candidates: verificationFixture.candidates.map((c) =>
      c.id === 'ce' ? { ...c, status: 'eliminated' as const, statusDetail: 'Cross-entropy stopped: mean Dice 0.071 below Combo at rung 2', stepsDone: 60, curve: c.curve!.slice(0, 2) } : c,
    ),
    verdict: {
      ...verificationFixture.verdict,
      steps: 120, seeds: 3, tieMargin: 0.01, orderStillMoving: true, minimumDetectableDifference: 0.034,
      eliminations: [{ id: 'ce', rung: 2, steps: 60, by: 'combo-satellite', metric: 'meanDice', difference: 0.071, ci: [0.031, 0.111], reason: 'Cross-entropy stopped: mean Dice 0.071 below Combo at rung 2' }],
    },
  };

  it.each(WIDTHS)('shows the learning curves, the elimination with its evidence and what the verdict ranks at %i columns', (width) => {
    const frame = frameOf(render(<VerifyDashboard report={eliminatedReport} width={width} color={false} />).lastFrame());
    expect(frame).toContain('Learning curves');
    expect(lineWith(frame, 'recommended').length).toBeGreaterThan(0);
    expect(frame).toMatch(/0\.712/);
    expect(frame).toMatch(/✂/);
    expect(frame.replace(/\s+/g, ' ')).toMatch(/stopped at rung 2 \(60 steps\), 0\.071 mean Dice behind/);
    expect(frame.replace(/\s+/g, ' ')).toMatch(/THIS budget: 120 steps per run, 3 seeds/);
    expect(frame.replace(/\s+/g, ' ')).toMatch(/Order still moving/);
    expect(frame.replace(/\s+/g, ' ')).toMatch(/could detect \(80% power\): 0\.034/);
    expect(widestLine(frame)).toBeLessThanOrEqual(width);
  });

  it('live: a row per candidate with its seeds, the lockstep plan, rung scores and eliminations', () => {
    const store = createVerifyStore();
    store.dispatch({ kind: 'candidate-start', candidateId: 'rec', label: 'Combo', totalSteps: 64, budgetSeconds: null, seeds: [0, 1, 2] });
    store.dispatch({ kind: 'candidate-start', candidateId: 'ce', label: 'CE', totalSteps: 64, budgetSeconds: null, seeds: [0, 1, 2] });
    store.dispatch({ kind: 'plan', totalSteps: 64, roundSteps: 3, rungSteps: [8, 16, 32, 64], reason: '--steps' });
    for (const seed of [0, 1, 2]) for (const id of ['rec', 'ce']) for (let step = 1; step <= 8; step++) store.dispatch({ kind: 'step', candidateId: id, seed, step, loss: 1 / step, lr: 1e-3, elapsedSeconds: step, etaSeconds: 10 });
    store.dispatch({ kind: 'step', candidateId: 'rec', seed: 0, step: 9, loss: 0.1, lr: 1e-3, elapsedSeconds: 9, etaSeconds: 9 });
    store.dispatch({ kind: 'rung', rung: 1, steps: 8, scores: [{ candidateId: 'rec', meanDice: 0.81, rarestClassDice: 0.4, perSeedMeanDice: [0.8, 0.81, 0.82] }, { candidateId: 'ce', meanDice: 0.52, rarestClassDice: 0.1, perSeedMeanDice: [0.5, 0.52, 0.54] }] });
    store.dispatch({ kind: 'elimination', candidateId: 'ce', rung: 1, steps: 8, by: 'rec', difference: 0.29, ci: [0.2, 0.38], reason: 'CE stopped' });
    store.dispatch({ kind: 'candidate-end', candidateId: 'ce', status: 'eliminated', detail: 'CE stopped' });
    const frame = frameOf(render(<LiveVerifyDashboard store={store} width={100} color={false} />).lastFrame());
    expect(frame).toContain('lockstep: 6 runs, 64 steps each in rounds of 3; rungs at 8, 16, 32, 64 steps');
    expect(lineWith(frame, 'Combo x3 seeds')).toContain('Dice .81 (rare 0.40)');
    // The row's step is the slowest seed's: seed 0 is one step ahead, the row says 8.
    expect(frame).toMatch(/\] {1,2}8\/64/);
    expect(lineWith(frame, 'CE x3 seeds')).toContain('eliminated');
    expect(frame).toMatch(/✂ CE: stopped at rung 1 \(8 steps\), 0\.290 behind \(CI 0\.200 to 0\.380\)/);
  });
});
