import { beforeAll, describe, expect, it } from 'vitest';
import { defaultFixturesDirs, evaluateCase, loadReferenceCases } from '../../src/losses/conformance.js';
import { fixtureLossForKey } from '../../src/losses/fixture-keys.js';
import { BACKENDS, referenceValue, useBackend } from './helpers.js';

const cases = defaultFixturesDirs().flatMap(loadReferenceCases);

describe.each(BACKENDS)('reference cases on the %s backend (the conformance code path)', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(cases.map((c) => [c.file.split('/').pop(), c] as const))('%s: every loss and Boundary IoU within 1e-5', (_name, referenceCase) => {
    const rows = evaluateCase(referenceCase);
    expect(rows.length).toBeGreaterThanOrEqual(Object.keys(referenceCase.expected).length);
    for (const row of rows) {
      expect(row.problem, row.key).toBeUndefined();
      expect(row.ok, `${row.key}: ours ${row.ours}, expected ${row.expected}`).toBe(true);
    }
  });
});

describe('the float64 test reference', () => {
  it.each(cases.map((c) => [c.file.split('/').pop(), c] as const))('%s: reproduces every fixture loss to 1e-9', (_name, referenceCase) => {
    for (const [key, expected] of Object.entries(referenceCase.expected)) {
      const mapped = fixtureLossForKey(key);
      expect(mapped, key).not.toBeNull();
      const context = {
        numClasses: referenceCase.shape[3],
        ignoreIndex: referenceCase.ignoreIndex,
        classWeights: mapped!.useClassWeights ? referenceCase.classWeights : null,
        scaleAware: null,
      };
      const batch = { shape: referenceCase.shape, logits: Float64Array.from(referenceCase.logits), labels: Int32Array.from(referenceCase.labels) };
      expect(Math.abs(referenceValue(mapped!.spec, context, batch, mapped!.progress) - expected), key).toBeLessThan(1e-9 * Math.max(1, Math.abs(expected)));
    }
  });
});

describe('the project cases', () => {
  it('are part of the default set and cover an absent class and an ignored region', () => {
    const project = cases.filter((c) => /case-boundary\d\.json$/.test(c.file));
    expect(project.map((c) => c.file.split('/').pop())).toEqual(['case-boundary0.json', 'case-boundary1.json']);
    const [first] = project;
    expect(first.labels.filter((y) => y === first.ignoreIndex).length).toBeGreaterThan(5);
    const secondImage = first.labels.slice(first.shape[1] * first.shape[2]);
    expect(secondImage.includes(2)).toBe(false);
    for (const key of ['boundary', 'dice_boundary_progress0.5', 'hausdorff_dt']) expect(Object.keys(first.expected)).toContain(key);
  });
});

describe('fixture key patterns', () => {
  it('parse parameterised names generically', () => {
    expect(fixtureLossForKey('focal_gamma0.5_alpha0.75')?.spec).toEqual({ name: 'focal', params: { gamma: 0.5, alpha: 0.75 } });
    expect(fixtureLossForKey('ce_label_smoothing_0.05')?.spec).toEqual({ name: 'ce', params: { labelSmoothing: 0.05 } });
    expect(fixtureLossForKey('tversky_a0.5_b0.5')?.spec).toEqual({ name: 'tversky', params: { alpha: 0.5, beta: 0.5 } });
    expect(fixtureLossForKey('ohem_ce_keep0.7')?.spec).toEqual({ name: 'ohem_ce', params: { keepRatio: 0.7 } });
    expect(fixtureLossForKey('combo_0.5dice_0.5ce')?.spec).toEqual({ name: 'combo', params: { diceWeight: 0.5, ceWeight: 0.5 } });
    expect(fixtureLossForKey('focal_gamma2_weighted')).toEqual({ spec: { name: 'focal', params: { gamma: 2 } }, useClassWeights: true, progress: 1 });
    expect(fixtureLossForKey('dice_boundary_increase_progress0.25')).toEqual({ spec: { name: 'dice_boundary', params: { schedule: 'increase' } }, useClassWeights: false, progress: 0.25 });
    expect(fixtureLossForKey('hausdorff_dt_alpha1.5')?.spec).toEqual({ name: 'hausdorff_dt', params: { alpha: 1.5 } });
    expect(fixtureLossForKey('lovasz')).toBeNull();
  });
});
