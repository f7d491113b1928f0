/** The shipped rule files: valid, and every threshold carries a rationale and a source. */
import { describe, expect, it } from 'vitest';
import { loadRuleSet } from '../../src/rules/load.js';
import { leafConditions } from '../../src/rules/validate.js';

describe('built-in rules', () => {
  it('load and validate, one rule per name', async () => {
    const ruleSet = await loadRuleSet();
    expect(ruleSet.files).toEqual(['rules/extensions.json', 'rules/flowchart.json', 'rules/scenarios.json', 'rules/training.json']);
    const names = ruleSet.rules.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['severe-imbalance', 'boundaries-ambiguous', 'stable-training-needed', 'medical-recipe', 'satellite-recipe', 'driving-recipe']));
  });

  it('every rule has a rationale and a source, and every threshold its own rationale and source', async () => {
    const ruleSet = await loadRuleSet();
    for (const rule of ruleSet.rules) {
      expect(rule.rationale.length, rule.name).toBeGreaterThan(20);
      expect(rule.source.length, rule.name).toBeGreaterThan(3);
      for (const leaf of [...leafConditions(rule.when), ...leafConditions(rule.conditions)]) {
        expect(leaf.rationale, `${rule.name}: ${leaf.fact}`).toBeTruthy();
        expect(leaf.source, `${rule.name}: ${leaf.fact}`).toBeTruthy();
      }
    }
  });
});
