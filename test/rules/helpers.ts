import type { Domain, Priority, Recommendation } from '../../src/contracts/recommendation.js';
import { recommend } from '../../src/rules/engine.js';
import { loadRuleSet, type RuleSet } from '../../src/rules/load.js';
import { buildProfile, type ProfileSpec } from './profile-builder.js';

let builtIn: Promise<RuleSet> | null = null;
export function builtInRules(): Promise<RuleSet> {
  builtIn ??= loadRuleSet();
  return builtIn;
}

export const FIXED_NOW = new Date('2026-01-01T00:00:00.000Z');

export async function recommendFor(
  spec: ProfileSpec,
  intent: { domain?: Domain; priority?: Priority } = {},
  ruleSet?: RuleSet,
): Promise<Recommendation> {
  return recommend(buildProfile(spec), {
    intent: { domain: intent.domain ?? null, priority: intent.priority ?? null },
    ruleSet: ruleSet ?? (await builtInRules()),
    profileSource: 'test-profile.json',
    now: FIXED_NOW,
  });
}

export function traceOf(rec: Recommendation, rule: string) {
  const entry = rec.trace.find((e) => e.rule === rule);
  if (!entry) throw new Error(`no trace entry for ${rule}`);
  return entry;
}
