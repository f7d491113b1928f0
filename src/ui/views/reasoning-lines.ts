/**
 * The recommendation as the path through the flowchart: every decision node with each rule's
 * conditions (fact, value, operator, threshold, outcome), the taken branch marked ▶ TAKEN,
 * then the recipe and the ranked alternatives.
 */
import type { Recommendation, TraceEntry } from '../../contracts/recommendation.js';
import { recipeRows } from '../../report/recipe-summary.js';
import { formatValue, operatorSymbol, truncate, wrapText } from '../format.js';
import { BLANK, seg, type Line } from '../lines.js';

export const TAKEN_MARK = '▶';
export const NOT_TAKEN_MARK = '·';

/** Trace entries grouped by flowchart step, steps in the order the engine first visited them. */
export function traceByStep(trace: TraceEntry[]): Array<{ step: string; entries: TraceEntry[] }> {
  const groups = new Map<string, TraceEntry[]>();
  for (const entry of trace) {
    const group = groups.get(entry.step) ?? [];
    group.push(entry);
    groups.set(entry.step, group);
  }
  return [...groups].map(([step, entries]) => ({ step, entries }));
}

/** `smallestForegroundShare = 0.0003 < 0.01 ✓` */
export function conditionText(condition: TraceEntry['conditions'][number]): string {
  return `${condition.fact} = ${formatValue(condition.value)} ${operatorSymbol(condition.operator)} ${formatValue(condition.threshold)} ${condition.outcome ? '✓' : '✗'}`;
}

function pathLines(rec: Recommendation, width: number): Line[] {
  const path = rec.path.length > 0 ? rec.path.join(' → ') : '(no rule fired: defaults)';
  return wrapText(path, width - 2, '  ').map((text) => [seg(`  ${text}`, 'accent')]);
}

function entryLines(entry: TraceEntry, width: number): Line[] {
  const marker = entry.fired ? `${TAKEN_MARK} ` : `${NOT_TAKEN_MARK} `;
  const status = entry.fired ? ' TAKEN' : ' not taken';
  const name = truncate(entry.rule, Math.max(8, width - 4 - status.length));
  const lines: Line[] = [[seg(`  ${marker}`, entry.fired ? 'good' : 'muted'), seg(name, entry.fired ? 'title' : 'muted'), seg(status, entry.fired ? 'good' : 'muted')]];
  for (const condition of entry.conditions) {
    lines.push(...wrapText(conditionText(condition), width - 6, '  ').map((text) => [seg(`      ${text}`, condition.outcome ? undefined : 'muted')]));
  }
  if (entry.fired && entry.effect) {
    lines.push(...wrapText(`→ ${entry.effect}`, width - 6, '  ').map((text) => [seg(`      ${text}`, 'good')]));
  }
  if (entry.fired && entry.rationale) {
    lines.push(...wrapText(`why: ${entry.rationale} (${entry.source})`, width - 6, '  ').map((text) => [seg(`      ${text}`, 'muted')]));
  }
  return lines;
}

export function decisionLines(rec: Recommendation, width: number): Line[] {
  const lines: Line[] = [[seg('Path through the flowchart', 'heading')], ...pathLines(rec, width)];
  for (const { step, entries } of traceByStep(rec.trace)) {
    const taken = entries.some((entry) => entry.fired);
    lines.push([seg(`${taken ? TAKEN_MARK : NOT_TAKEN_MARK} ${step}`, taken ? 'heading' : 'muted')]);
    for (const entry of entries) lines.push(...entryLines(entry, width));
  }
  return lines;
}

export function recipeLines(rec: Recommendation, width: number): Line[] {
  const labelWidth = 14;
  const lines: Line[] = [[seg('Recipe ', 'heading'), seg(truncate(rec.recipe.title, Math.max(8, width - 7)), 'winner')]];
  for (const [label, value] of recipeRows(rec.recipe)) {
    const wrapped = wrapText(value, Math.max(10, width - labelWidth - 2));
    wrapped.forEach((text, index) => lines.push([seg(`  ${(index === 0 ? label : '').padEnd(labelWidth)}`, 'muted'), seg(text)]));
  }
  return lines;
}

export function alternativeLines(rec: Recommendation, width: number): Line[] {
  if (rec.alternatives.length === 0) return [];
  const lines: Line[] = [[seg('Alternatives', 'heading')]];
  for (const alt of [...rec.alternatives].sort((a, b) => a.rank - b.rank)) {
    lines.push(...wrapText(`${alt.rank}. ${alt.recipe.title}: ${alt.reason}`, width - 2, '   ').map((text) => [seg(`  ${text}`)]));
  }
  return lines;
}

export function assumptionLines(rec: Recommendation, width: number): Line[] {
  if (rec.assumptions.length === 0) return [];
  return [[seg('Assumptions', 'heading')], ...rec.assumptions.flatMap((text) => wrapText(`- ${text}`, width - 2, '  ').map((t) => [seg(`  ${t}`, 'warn')]))];
}

export function reasoningLines(rec: Recommendation, width: number): Line[] {
  const context = [rec.input.domain ? `domain ${rec.input.domain}` : 'no domain', rec.input.priority ? `priority ${rec.input.priority}` : 'no priority'].join(', ');
  const header: Line[] = [[seg('Recommendation', 'title'), seg(` ${truncate(`(${context})`, Math.max(8, width - 15))}`, 'muted')]];
  const sections = [header, decisionLines(rec, width), recipeLines(rec, width), alternativeLines(rec, width), assumptionLines(rec, width)].filter((s) => s.length > 0);
  return sections.flatMap((section, index) => (index === 0 ? section : [BLANK, ...section]));
}
