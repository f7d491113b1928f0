/**
 * A Recommendation as plain text: the path through the flowchart first, then each decision with
 * its facts and thresholds, the recipe, the alternatives, and the assumptions.
 */
import type { Recipe, Recommendation, TraceCondition, TraceEntry } from '../contracts/recommendation.js';
import { FACT_BY_NAME } from '../rules/facts.js';
import { OPERATOR_SYMBOLS } from '../rules/rule-types.js';
import { foldRecipeExtras } from '../losses/recipe-extras.js';

export interface TextOptions {
  color: boolean;
}


function painter(color: boolean) {
  const wrap = (code: string) => (text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { bold: wrap('1'), dim: wrap('2'), green: wrap('32'), red: wrap('31'), yellow: wrap('33'), cyan: wrap('36') };
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(2).replace(/\.?0+e/, 'e');
  return String(Number(value.toPrecision(3)));
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'unknown';
  if (typeof value === 'number') return formatNumber(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  return String(value);
}

function describeCondition(condition: TraceCondition, paint: ReturnType<typeof painter>): string {
  // A null user intent (no --domain / --priority) is a choice, not a missing measurement.
  const origin = FACT_BY_NAME.get(condition.fact)?.origin;
  const unknown = condition.value === null && origin === 'profile';
  const mark = unknown ? paint.yellow('?') : condition.outcome ? paint.green('✓') : paint.red('✗');
  const op = (OPERATOR_SYMBOLS as Record<string, string>)[condition.operator] ?? condition.operator;
  const value = condition.value === null ? (origin === 'intent' ? 'not given' : origin === 'decision' ? 'undecided' : 'unknown') : formatValue(condition.value);
  return `${condition.fact} ${paint.bold(value)} ${op} ${formatValue(condition.threshold)} ${mark}`;
}

function decisionLine(entry: TraceEntry, paint: ReturnType<typeof painter>): string[] {
  const mark = entry.fired ? paint.green('✓') : paint.red('✗');
  const conditions = entry.conditions.filter((c) => c.role !== 'when').map((c) => describeCondition(c, paint));
  // The decision part of `logic` starts with any( / all( when several conditions combine.
  const decisionLogic = (entry.logic ?? '').replace(/^when [^:]*: /, '');
  const combinator = conditions.length > 1 && /^any\(/.test(decisionLogic) ? paint.dim('any of: ') : conditions.length > 1 && /^all\(/.test(decisionLogic) ? paint.dim('all of: ') : '';
  const test = conditions.length === 0 ? paint.dim('always') : `${combinator}${conditions.join(paint.dim(' · '))}`;
  const lines = [`  ${mark} ${paint.bold(entry.rule)} ${paint.dim(`[${entry.step}]`)}  ${test}`];
  if (entry.effect) lines.push(`      ${paint.cyan('→')} ${entry.effect}`);
  return lines;
}

/**
 * The loss as it is trained: the recipe-level OHEM and label smoothing folded in (as verify and
 * export do), so the line never says `ohemKeepRatio 1` beside an OHEM row of "hardest 25%".
 */
function describeLoss(recipe: Recipe): string {
  const { loss } = foldRecipeExtras(recipe);
  const params = Object.entries(loss.params).map(([key, value]) => `${key} ${formatValue(value)}`);
  return `${loss.name}${params.length ? `  ${params.join(', ')}` : ''}`;
}

function describeSchedule(recipe: Recipe): string {
  const { schedule } = recipe;
  const parts: string[] = [schedule.name];
  if (schedule.power !== null) parts.push(`power ${formatNumber(schedule.power)}`);
  if (schedule.warmupFraction > 0) parts.push(`warm-up over the first ${formatNumber(schedule.warmupFraction * 100)}% of steps`);
  if (schedule.minLrFactor > 0) parts.push(`down to ${formatNumber(schedule.minLrFactor)} x LR`);
  return parts.join(', ');
}

export function recipeLines(recipe: Recipe, paint = painter(false)): string[] {
  const row = (label: string, value: string) => `  ${paint.dim(label.padEnd(24))}${value}`;
  const { optimizer } = recipe;
  const optimizerText = [
    `${optimizer.name} lr ${formatNumber(optimizer.lr)}`,
    optimizer.weightDecay > 0 ? `weight decay ${formatNumber(optimizer.weightDecay)}` : null,
    optimizer.momentum !== null ? `momentum ${formatNumber(optimizer.momentum)}${optimizer.nesterov ? ' (Nesterov)' : ''}` : null,
  ]
    .filter(Boolean)
    .join(', ');
  const lines = [
    row('loss', describeLoss(recipe)),
    row('class weights', recipe.classWeights ? `${recipe.classWeights.method} [${recipe.classWeights.values.map(formatNumber).join(', ')}]` : 'none'),
  ];
  if (recipe.classWeights) lines.push(row('', paint.dim(recipe.classWeights.formula)));
  lines.push(
    row('optimizer', optimizerText),
    row('schedule', describeSchedule(recipe)),
    row('gradient clipping', recipe.gradientClipNorm === null ? 'off' : `norm ${formatNumber(recipe.gradientClipNorm)}`),
    row('OHEM', describeOhem(recipe)),
    row('label smoothing', describeLabelSmoothing(recipe)),
    row('rare-class oversampling', recipe.rareClassOversampling > 0 ? `${formatNumber(recipe.rareClassOversampling * 100)}% of crops centred on a rare-class pixel` : 'off (uniform crops)'),
    row(
      'scale-aware weights',
      recipe.scaleAware
        ? `${recipe.scaleAware.binWeights.map(formatNumber).join(' / ')} for smallest-object areas split at ${recipe.scaleAware.binEdges.join(' / ')} px`
        : 'off',
    ),
    row('set by rules', recipe.derivedFrom.join(', ') || 'none'),
  );
  for (const note of recipe.notes ?? []) lines.push(row('note', note));
  return lines;
}

export function formatRecommendationText(rec: Recommendation, options: TextOptions): string {
  const paint = painter(options.color);
  const out: string[] = [];
  out.push(`${paint.bold('Recommended:')} ${paint.green(rec.recipe.title)}`);
  const intent = [rec.input.domain ? `domain ${rec.input.domain}` : null, rec.input.priority ? `priority ${rec.input.priority}` : null].filter(Boolean);
  out.push(paint.dim(`from ${rec.input.profileSource}${intent.length ? ` (${intent.join(', ')})` : ''}; rules: ${rec.input.ruleFiles.join(', ')}`));
  out.push('');
  out.push(`${paint.bold('Path')}  ${rec.path.map((step, i) => (i === rec.path.length - 1 ? paint.bold(step) : step)).join(paint.cyan(' → '))}`);
  out.push('');

  const decided = rec.trace.filter((entry) => entry.applicable !== false && entry.phase !== 'finish');
  const tuned = rec.trace.filter((entry) => entry.applicable !== false && entry.phase === 'finish');
  const skipped = rec.trace.filter((entry) => entry.applicable === false);
  out.push(paint.bold('Decisions'));
  for (const entry of decided) out.push(...decisionLine(entry, paint));
  if (tuned.length) {
    out.push(paint.bold('Tuning by loss'));
    for (const entry of tuned) out.push(...decisionLine(entry, paint));
  }
  if (skipped.length) out.push(paint.dim(`  not applicable here: ${skipped.map((entry) => entry.rule).join(', ')}`));
  out.push('');

  out.push(paint.bold(`Recipe  ${rec.recipe.id}`));
  out.push(...recipeLines(rec.recipe, paint));
  out.push('');

  if (rec.alternatives.length) {
    out.push(paint.bold('Alternatives'));
    for (const alt of rec.alternatives) {
      out.push(`  ${alt.rank}. ${paint.bold(alt.recipe.title)} ${paint.dim(`(${alt.recipe.loss.name})`)}`);
      out.push(`     ${paint.dim('lost because')} ${alt.reason}`);
    }
    out.push('');
  }
  if (rec.assumptions.length) {
    out.push(paint.bold('Assumptions'));
    for (const assumption of rec.assumptions) out.push(`  ${paint.yellow('!')} ${assumption}`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** OHEM as it is trained: the recipe-level extra folded into the loss, as verify and export do. */
function describeOhem(recipe: Recipe): string {
  const hardest = (ratio: number) => `hardest ${formatNumber(ratio * 100)}% of pixels`;
  const { loss, unsupported } = foldRecipeExtras(recipe);
  if (loss.name === 'ohem_ce') return `${hardest(Number(loss.params.keepRatio))} (ohem_ce)`;
  if (loss.params.ohemKeepRatio != null && Number(loss.params.ohemKeepRatio) < 1) return `${hardest(Number(loss.params.ohemKeepRatio))} in the CE term`;
  const dropped = unsupported.find((u) => u.startsWith('OHEM'));
  return dropped ? `${hardest(recipe.ohem!.keepRatio)}: not trained (the ${loss.name} loss has no CE term)` : 'off';
}

/** Label smoothing as it is trained (recipe-level smoothing folded into the loss). */
function describeLabelSmoothing(recipe: Recipe): string {
  const { loss, unsupported } = foldRecipeExtras(recipe);
  if (unsupported.some((u) => u.startsWith('label smoothing'))) return `${formatNumber(recipe.labelSmoothing ?? 0)}: not trained (the ${loss.name} loss has no CE term)`;
  return formatNumber(Number(loss.params.labelSmoothing ?? 0));
}
