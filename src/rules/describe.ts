/** Words for facts, conditions and effects: used in traces, recommendations and `segloss rules`. */
import type { FactValue, Facts } from './facts.js';
import { OPERATOR_SYMBOLS, type ConditionNode, type OperatorName, type RuleEffect, type RecipeSettings } from './rule-types.js';

/** A fact or threshold value for people: 3 significant digits, 'unknown' for null. */
export function formatValue(value: FactValue | FactValue[] | undefined): string {
  if (value === undefined || value === null) return 'unknown';
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    const abs = Math.abs(value);
    if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(2).replace(/\.?0+e/, 'e');
    return String(Number(value.toPrecision(3)));
  }
  return String(value);
}

/** Replaces `{factName}` with the fact's formatted value. */
export function fillPlaceholders(text: string, facts: Facts): string {
  return text.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => (Object.hasOwn(facts, name) ? formatValue(facts[name]) : whole));
}

export function describeLeaf(fact: string, operator: OperatorName, value: FactValue | FactValue[]): string {
  return `${fact} ${OPERATOR_SYMBOLS[operator]} ${formatValue(value)}`;
}

/**
 * A condition tree as one expression. With `outcomes`, each leaf is followed by ✓/✗ (or ? when
 * its fact was unknown); outcomes are consumed in leaf order.
 */
export function describeTree(node: ConditionNode, outcomes?: Array<{ outcome: boolean; unknown: boolean }>): string {
  const cursor = { index: 0 };
  const walk = (n: ConditionNode): string => {
    if ('all' in n) return n.all.length === 0 ? 'always' : `all(${n.all.map(walk).join(', ')})`;
    if ('any' in n) return n.any.length === 0 ? 'never' : `any(${n.any.map(walk).join(', ')})`;
    if ('not' in n) return `not(${walk(n.not)})`;
    const text = describeLeaf(n.fact, n.operator, n.value);
    if (!outcomes) return text;
    const result = outcomes[cursor.index++];
    if (!result) return text;
    return `${text} ${result.unknown ? '?' : result.outcome ? '✓' : '✗'}`;
  };
  // A group of one reads better without the wrapper.
  if ('all' in node && node.all.length === 1) return walk(node.all[0]);
  if ('any' in node && node.any.length === 1) return walk(node.any[0]);
  return walk(node);
}

const orNone = (value: unknown) => (value === null ? 'none' : formatValue(value as FactValue));

function describeSettings(settings: RecipeSettings): string[] {
  const parts: string[] = [];
  if (settings.optimizer) parts.push(`optimizer ${Object.entries(settings.optimizer).map(([k, v]) => `${k} ${orNone(v)}`).join(', ')}`);
  if (settings.schedule) parts.push(`schedule ${Object.entries(settings.schedule).map(([k, v]) => `${k} ${orNone(v)}`).join(', ')}`);
  if (settings.gradientClipNorm !== undefined) parts.push(`gradient clipping ${settings.gradientClipNorm === null ? 'off' : `at norm ${settings.gradientClipNorm}`}`);
  if (settings.rareClassOversampling !== undefined) parts.push(`rare-class oversampling ${settings.rareClassOversampling}`);
  if (settings.labelSmoothing !== undefined) parts.push(`label smoothing ${settings.labelSmoothing}`);
  if (settings.ohem !== undefined) parts.push(settings.ohem ? `OHEM keeping the hardest ${settings.ohem.keepRatio * 100}% of pixels` : 'no OHEM');
  if (settings.classWeights !== undefined) {
    const cw = settings.classWeights;
    parts.push(cw ? `class weights ${cw.method}${cw.clip ? ` clipped to [${cw.clip.join(', ')}]` : ''}${cw.values ? ` [${cw.values.join(', ')}]` : ''}` : 'no class weights');
  }
  if (settings.scaleAware !== undefined) {
    const sa = settings.scaleAware;
    parts.push(sa ? `scale-aware weights ${sa.binWeights.join('/')} over area bins split at ${sa.binEdges.join('/')} px` : 'no scale-aware weights');
  }
  return parts;
}

/** What an effect does, in words (placeholders filled from facts when given). */
export function describeEffect(effect: RuleEffect, facts?: Facts): string {
  const fill = (text: string) => (facts ? fillPlaceholders(text, facts) : text);
  const parts: string[] = [];
  if (effect.decide) parts.push(...Object.entries(effect.decide).map(([k, v]) => `${k} = ${v}`));
  if (effect.use) {
    const params = Object.entries(effect.use.loss.params ?? {}).map(([k, v]) => `${k} ${formatValue(v)}`);
    parts.push(`use ${effect.use.loss.name}${params.length ? ` (${params.join(', ')})` : ''}: ${effect.use.title}`);
  }
  if (effect.lossParams) parts.push(`loss ${Object.entries(effect.lossParams).map(([k, v]) => `${k} ${formatValue(v)}`).join(', ')}`);
  if (effect.set) parts.push(...describeSettings(effect.set));
  if (effect.note) parts.push(`note: ${fill(effect.note)}`);
  if (effect.alternatives?.length) parts.push(`alternatives: ${effect.alternatives.map((alt) => alt.id).join(', ')}`);
  if (effect.assume) parts.push(`assume: ${fill(effect.assume)}`);
  if (parts.length === 0 && effect.path) parts.push(`path: ${fill(effect.path)}`);
  return parts.join('; ');
}
