/**
 * A recipe in words, one labelled row per part (loss, class weights, optimiser, schedule, ...).
 * Shared by the terminal views, report.md and the export snippets' header comments.
 */
import { LOSS_CATALOGUE, type LossSpec, type LossParamValue } from '../contracts/losses.js';
import type { Recipe } from '../contracts/recommendation.js';
import { foldRecipeExtras } from '../losses/recipe-extras.js';
import { formatNumber, formatPercent } from '../ui/format.js';

function paramText(value: LossParamValue): string {
  if (typeof value === 'number') return formatNumber(value);
  return String(value);
}

/** The loss's parameters with catalogue defaults filled in, in catalogue order. */
export function resolvedLossParams(loss: LossSpec): Record<string, LossParamValue> {
  const specs = Object.hasOwn(LOSS_CATALOGUE, loss.name) ? LOSS_CATALOGUE[loss.name].params : {};
  const resolved: Record<string, LossParamValue> = {};
  // Own keys only: a key such as "constructor" or "__proto__" is data here, never a lookup.
  for (const [name, spec] of Object.entries(specs)) resolved[name] = Object.hasOwn(loss.params, name) ? loss.params[name] : spec.default;
  for (const [name, value] of Object.entries(loss.params)) if (!Object.hasOwn(resolved, name)) Object.defineProperty(resolved, name, { value, enumerable: true, writable: true, configurable: true });
  return resolved;
}

/** e.g. `combo (diceWeight 0.7, ceWeight 0.3, includeBackground false)`: only non-default params. */
export function describeLoss(loss: LossSpec): string {
  const known = Object.hasOwn(LOSS_CATALOGUE, loss.name);
  const specs = known ? LOSS_CATALOGUE[loss.name].params : {};
  const changed = Object.entries(loss.params).filter(([name, value]) => !Object.hasOwn(specs, name) || specs[name].default !== value);
  const title = known ? LOSS_CATALOGUE[loss.name].title : loss.name;
  return changed.length === 0 ? `${title} (defaults)` : `${title} (${changed.map(([n, v]) => `${n} ${paramText(v)}`).join(', ')})`;
}

export function describeOptimizer(optimizer: Recipe['optimizer']): string {
  const name = { adam: 'Adam', adamw: 'AdamW', sgd: 'SGD' }[optimizer.name] ?? optimizer.name;
  const parts = [`lr ${formatNumber(optimizer.lr)}`, `weight decay ${formatNumber(optimizer.weightDecay)}`];
  if (optimizer.momentum !== null) parts.push(`momentum ${formatNumber(optimizer.momentum)}`);
  if (optimizer.nesterov) parts.push('Nesterov');
  return `${name}, ${parts.join(', ')}`;
}

export function describeSchedule(schedule: Recipe['schedule']): string {
  const parts: string[] = [schedule.name];
  if (schedule.name === 'poly') parts.push(`power ${formatNumber(schedule.power ?? 0.9)}`);
  if (schedule.name !== 'constant') parts.push(`down to ${formatNumber(schedule.minLrFactor)} x lr`);
  parts.push(schedule.warmupFraction > 0 ? `linear warm-up over ${formatPercent(schedule.warmupFraction)} of steps` : 'no warm-up');
  return parts.join(', ');
}

/** Labelled rows describing every part of a recipe. */
export function recipeRows(recipe: Recipe): Array<[label: string, value: string]> {
  // The loss as trained: recipe-level OHEM and label smoothing folded in (as verify and export do).
  const rows: Array<[string, string]> = [['loss', describeLoss(foldRecipeExtras(recipe).loss)]];
  rows.push([
    'class weights',
    recipe.classWeights ? `[${recipe.classWeights.values.map(formatNumber).join(', ')}] (${recipe.classWeights.method}: ${recipe.classWeights.formula})` : 'none',
  ]);
  if (recipe.scaleAware) {
    rows.push([
      'scale-aware',
      `per-image weights [${recipe.scaleAware.binWeights.map(formatNumber).join(', ')}] by object area, bin edges [${recipe.scaleAware.binEdges.join(', ')}] px`,
    ]);
  }
  rows.push(['optimiser', describeOptimizer(recipe.optimizer)]);
  rows.push(['schedule', describeSchedule(recipe.schedule)]);
  rows.push(['grad clip', recipe.gradientClipNorm === null ? 'none' : `global norm ${formatNumber(recipe.gradientClipNorm)}`]);
  rows.push(['oversampling', recipe.rareClassOversampling > 0 ? `${formatPercent(recipe.rareClassOversampling)} of crops centred on a rare-class pixel` : 'none (uniform crops)']);
  return rows;
}
