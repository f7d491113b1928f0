/** `segloss rules`: the rules in force, each threshold with its rationale, and the facts table. */
import { describeEffect, describeLeaf, describeTree } from './describe.js';
import { FACTS } from './facts.js';
import type { RuleSet } from './load.js';
import type { ConditionTree, LeafCondition, RuleSpec } from './rule-types.js';
import { leafConditions } from './validate.js';

export interface RuleListing {
  kind: 'RuleListing';
  files: string[];
  overrides: RuleSet['overrides'];
  disabled: string[];
  rules: Array<Omit<RuleSpec, 'file'> & { file: string; thresholds: Array<LeafCondition & { role: 'when' | 'if' }> }>;
}

function thresholds(rule: RuleSpec): Array<LeafCondition & { role: 'when' | 'if' }> {
  const tag = (role: 'when' | 'if') => (leaf: LeafCondition) => ({ ...leaf, role });
  return [...leafConditions(rule.when as ConditionTree | undefined).map(tag('when')), ...leafConditions(rule.conditions).map(tag('if'))];
}

export function ruleListing(ruleSet: RuleSet): RuleListing {
  return {
    kind: 'RuleListing',
    files: ruleSet.files,
    overrides: ruleSet.overrides,
    disabled: ruleSet.disabled.map((rule) => rule.name),
    rules: ruleSet.rules.map((rule) => ({ ...rule, thresholds: thresholds(rule) })),
  };
}

export function formatRulesText(ruleSet: RuleSet, options: { color: boolean }): string {
  const bold = (text: string) => (options.color ? `\u001b[1m${text}\u001b[0m` : text);
  const dim = (text: string) => (options.color ? `\u001b[2m${text}\u001b[0m` : text);
  const out: string[] = [`${bold('Rules in force')} ${dim(`(evaluation order; files: ${ruleSet.files.join(', ')})`)}`, ''];
  for (const rule of ruleSet.rules) {
    out.push(`${bold(rule.name)}  ${dim(`${rule.phase} · step ${rule.step} · priority ${rule.priority} · ${rule.file}`)}`);
    out.push(`  ${rule.rationale}`);
    out.push(`  ${dim('source:')} ${rule.source}`);
    if (rule.when) out.push(`  ${dim('applies when')} ${describeTree(rule.when)}`);
    out.push(`  ${dim('if')} ${describeTree(rule.conditions)}`);
    for (const leaf of thresholds(rule)) {
      if (!leaf.rationale) continue;
      out.push(`    ${describeLeaf(leaf.fact, leaf.operator, leaf.value)}: ${leaf.rationale}${leaf.source ? dim(` [${leaf.source}]`) : ''}`);
    }
    if (rule.ifUnknown) out.push(`  ${dim('if a fact is unknown:')} ${rule.ifUnknown}`);
    if (rule.then) out.push(`  ${dim('then')} ${describeEffect(rule.then) || '(nothing)'}`);
    if (rule.else) out.push(`  ${dim('else')} ${describeEffect(rule.else) || '(nothing)'}`);
    out.push('');
  }
  for (const override of ruleSet.overrides) out.push(dim(`rule ${override.name} from ${override.replaced} is overridden by ${override.by}`));
  for (const rule of ruleSet.disabled) out.push(dim(`rule ${rule.name} is switched off by ${rule.file}`));
  return `${out.join('\n').trimEnd()}\n`;
}

export function formatFactsText(options: { color: boolean }): string {
  const bold = (text: string) => (options.color ? `\u001b[1m${text}\u001b[0m` : text);
  const width = Math.max(...FACTS.map((fact) => fact.name.length));
  const out = [bold('Facts rules can read (name, type, origin: description)'), ''];
  for (const fact of FACTS) {
    const type = `${fact.type}${fact.nullable ? '|null' : ''}`;
    const values = fact.values ? ` One of: ${fact.values.join(', ')}.` : '';
    out.push(`${fact.name.padEnd(width)}  ${type.padEnd(12)} ${fact.origin.padEnd(9)} ${fact.description}${values}`);
  }
  return `${out.join('\n')}\n`;
}
