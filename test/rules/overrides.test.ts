/** --rules FILE: add rules, override built-in rules by name, switch them off. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuleSet } from '../../src/rules/load.js';
import { recommendFor, traceOf } from './helpers.js';

function ruleFile(rules: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'segloss-user-rules-'));
  const path = join(dir, 'user.json');
  writeFileSync(path, JSON.stringify({ schema: 'segloss-rules/1', description: 'user rules', rules }, null, 2));
  return path;
}

const IMBALANCED = [0.9, 0.05, 0.032, 0.018];

describe('--rules', () => {
  it('overrides a built-in rule by name (a stricter imbalance threshold)', async () => {
    const path = ruleFile([
      {
        name: 'severe-imbalance',
        step: 'imbalance',
        priority: 900,
        rationale: 'our data: only a ratio over 100 hurts CE',
        source: 'our experiments',
        conditions: { all: [{ fact: 'imbalanceRatio', operator: 'greaterThanInclusive', value: 100 }] },
        then: { path: 'severe class imbalance', decide: { imbalanced: true } },
        else: { path: 'classes balanced enough', decide: { imbalanced: false }, use: { id: 'ce', title: 'Cross-entropy', loss: { name: 'ce' } } },
      },
    ]);
    const ruleSet = await loadRuleSet([path]);
    expect(ruleSet.overrides).toEqual([{ name: 'severe-imbalance', replaced: 'rules/flowchart.json', by: path }]);
    expect(ruleSet.files[ruleSet.files.length - 1]).toBe(path);
    const builtIn = await recommendFor({ shares: IMBALANCED });
    const overridden = await recommendFor({ shares: IMBALANCED }, {}, ruleSet);
    expect(builtIn.recipe.id).toBe('dice');
    expect(overridden.recipe.id).toBe('ce');
    const entry = traceOf(overridden, 'severe-imbalance');
    expect(entry.source).toBe(path);
    expect(entry.conditions).toEqual([{ fact: 'imbalanceRatio', value: expect.closeTo(50, 9), operator: 'greaterThanInclusive', threshold: 100, outcome: false, role: 'if' }]);
    expect(overridden.input.ruleFiles).toContain(path);
  });

  it('adds a rule (the article fixed class weights for a 4-class dataset)', async () => {
    const path = ruleFile([
      {
        name: 'our-fixed-weights',
        step: 'training',
        phase: 'finish',
        priority: 100,
        rationale: 'weights tuned on our validation set',
        source: 'our experiments',
        conditions: { all: [{ fact: 'lossName', operator: 'in', value: ['ce', 'combo'] }] },
        then: { set: { classWeights: { method: 'fixed', values: [0.1, 1, 2, 3] } } },
      },
    ]);
    const rec = await recommendFor({ shares: IMBALANCED }, { priority: 'stability' }, await loadRuleSet([path]));
    expect(rec.recipe.id).toBe('combo');
    expect(rec.recipe.classWeights).toMatchObject({ method: 'fixed', values: [0.1, 1, 2, 3] });
    expect(rec.recipe.derivedFrom).toContain('our-fixed-weights');
  });

  it('switches a built-in rule off with disabled: true', async () => {
    const path = ruleFile([{ name: 'nnunet-baseline', disabled: true, rationale: 'we do not want the baseline' }]);
    const ruleSet = await loadRuleSet([path]);
    expect(ruleSet.disabled.map((r) => r.name)).toEqual(['nnunet-baseline']);
    const rec = await recommendFor({ shares: IMBALANCED }, {}, ruleSet);
    expect(rec.alternatives.map((a) => a.recipe.id)).not.toContain('nnunet-dice-ce');
    expect(rec.trace.map((e) => e.rule)).not.toContain('nnunet-baseline');
  });

  it('a later file overrides an earlier one', async () => {
    const make = (lr: number) =>
      ruleFile([
        { name: 'our-lr', step: 'training', phase: 'finish', priority: 50, rationale: 'r', source: 's', conditions: { all: [] }, then: { set: { optimizer: { lr } } } },
      ]);
    const rec = await recommendFor({ shares: IMBALANCED }, {}, await loadRuleSet([make(0.1), make(0.2)]));
    expect(rec.recipe.optimizer.lr).toBe(0.2);
  });

  it('rules that leave no loss chosen fail clearly', async () => {
    const path = ruleFile([{ name: 'stable-training-needed', disabled: true }]);
    await expect(recommendFor({ shares: IMBALANCED }, {}, await loadRuleSet([path]))).rejects.toThrow(/no rule chose a loss/);
  });
});

describe('the shipped example rule file', () => {
  it('validates and does what it says', async () => {
    const example = new URL('../../rules/examples/stricter-imbalance.json', import.meta.url).pathname;
    const ruleSet = await loadRuleSet([example]);
    expect(ruleSet.overrides.map((o) => o.name)).toEqual(['severe-imbalance', 'nnunet-baseline']);
    expect(ruleSet.disabled.map((r) => r.name)).toEqual(['nnunet-baseline']);
    const rec = await recommendFor({ shares: IMBALANCED }, {}, ruleSet);
    expect(rec.recipe.loss).toEqual({ name: 'ce', params: { labelSmoothing: 0.05 } });
    expect(rec.path[0]).toBe('classes balanced enough');
  });
});

describe('absent classes', () => {
  it('are stated as an assumption', async () => {
    const rec = await recommendFor({ shares: [0.9, 0.06, 0.04, 0] });
    expect(rec.facts.absentClassCount).toBe(1);
    expect(rec.assumptions.join('\n')).toMatch(/1 foreground class\(es\) never appear in the profiled masks/);
  });
});
