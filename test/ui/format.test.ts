import { describe, expect, it } from 'vitest';
import { bar, fit, formatDuration, formatNumber, formatShare, logFraction, logScaleFloor, sparkline, truncate, wrapText } from '../../src/ui/format.js';
import { reduceVerifyEvent, INITIAL_VERIFY_STATE, MAX_LOSS_POINTS, rowProgress } from '../../src/ui/verify-state.js';

describe('format helpers', () => {
  it('formats shares from 98.7% down to tiny classes', () => {
    expect(formatShare(0.987)).toBe('98.7%');
    expect(formatShare(0.006)).toBe('0.60%');
    expect(formatShare(0.0003)).toBe('0.03%');
    expect(formatShare(0.0000123)).toBe('0.0012%');
    expect(formatShare(0)).toBe('0%');
    expect(formatShare(null)).toBe('n/a');
  });

  it('formats recipe numbers and durations', () => {
    expect(formatNumber(3e-4)).toBe('3e-4');
    expect(formatNumber(0.01)).toBe('0.01');
    expect(formatNumber(1e-5)).toBe('1e-5');
    expect(formatNumber(0.7)).toBe('0.7');
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(3720)).toBe('1h02m');
    expect(formatDuration(null)).toBe('--');
  });

  it('puts the log-scale floor one decade under the rarest share', () => {
    expect(logScaleFloor([0.987, 0.0003])).toBeCloseTo(1e-5, 12);
    expect(logScaleFloor([0.5, 0.5])).toBe(0.01);
    expect(logFraction(1, 1e-5)).toBe(1);
    expect(logFraction(0.0003, 1e-5)).toBeCloseTo((Math.log10(0.0003) + 5) / 5, 12);
    expect(logFraction(0, 1e-5)).toBe(0);
  });

  it('draws bars, truncates and wraps to exact widths', () => {
    expect(bar(0.5, 10)).toBe('█████░░░░░');
    expect(bar(0.001, 10)).toBe('█░░░░░░░░░');
    expect(bar(0, 4)).toBe('░░░░');
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(fit('ab', 4)).toBe('ab  ');
    const wrapped = wrapText('one two three four five six', 9, '  ');
    expect(wrapped).toEqual(['one two', '  three', '  four', '  five', '  six']);
    expect(wrapText('averyveryverylongword', 5)).toEqual(['avery', 'veryv', 'erylo', 'ngwor', 'd']);
  });

  it('sparklines scale to min..max, bucket long series and mark non-finite values', () => {
    expect(sparkline([0, 1], 2)).toBe('▁█');
    expect(sparkline([3, 2, 1, 0], 4)).toBe('█▆▃▁');
    expect(sparkline(Array.from({ length: 100 }, (_, i) => i), 10)).toHaveLength(10);
    expect(sparkline([1, 0.5, Number.NaN], 3)).toBe('█▁×');
    expect(sparkline([], 5)).toBe('');
  });
});

describe('verify dashboard state', () => {
  it('tracks steps, thins long loss histories and records the end status', () => {
    let state = reduceVerifyEvent(INITIAL_VERIFY_STATE, { kind: 'candidate-start', candidateId: 'ce', label: 'CE', totalSteps: 1000, budgetSeconds: null });
    for (let step = 1; step <= 1000; step++) {
      state = reduceVerifyEvent(state, { kind: 'step', candidateId: 'ce', step, loss: 1 / step, lr: 1e-3, elapsedSeconds: step / 10, etaSeconds: (1000 - step) / 10 });
    }
    const row = state.rows[0];
    expect(row.step).toBe(1000);
    expect(row.losses.length).toBeLessThanOrEqual(MAX_LOSS_POINTS);
    expect(row.losses[row.losses.length - 1]).toBe(1 / 1000);
    expect(rowProgress(row)).toBe(1);
    state = reduceVerifyEvent(state, { kind: 'candidate-end', candidateId: 'ce', status: 'diverged', detail: 'loss exploded' });
    expect(state.rows[0].status).toBe('diverged');
    expect(state.rows[0].detail).toBe('loss exploded');
  });

  it('uses the time budget for progress when steps are unknown', () => {
    let state = reduceVerifyEvent(INITIAL_VERIFY_STATE, { kind: 'candidate-start', candidateId: 'x', label: 'X', totalSteps: null, budgetSeconds: 40 });
    state = reduceVerifyEvent(state, { kind: 'step', candidateId: 'x', step: 3, loss: 1, lr: 1, elapsedSeconds: 10, etaSeconds: 30 });
    expect(rowProgress(state.rows[0])).toBeCloseTo(0.25);
  });
});
