import { describe, expect, it } from 'vitest';
import { formatLevel, formatPercent } from '../../src/common/percent.js';

describe('percentages', () => {
  it('formatPercent: three significant digits', () => {
    expect([0.05, 1 / 3, 0.975, 0.9625].map((f) => formatPercent(f))).toEqual(['5%', '33.3%', '97.5%', '96.3%']);
  });

  it('formatLevel: a level as it was used, near 100% by what it leaves out', () => {
    expect([0.95, 0.975, 0.9625, 1 - 0.0125 / 15, 0.99, 1].map(formatLevel)).toEqual(['95%', '97.5%', '96.25%', '99.9167%', '99%', '100%']);
    expect([0.05, 0.05 / 64, 0.0125, 0.15 / 64].map(formatLevel)).toEqual(['5%', '0.07813%', '1.25%', '0.2344%']);
  });
});
