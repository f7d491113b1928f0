/**
 * A recipe while rules are still shaping it, the pure functions that apply a rule's effect to it,
 * and the step that turns it into a complete Recipe.
 */
import { UserError } from '../common/errors.js';
import { LOSS_CATALOGUE, type LossName, type LossParamValue, type LossSpec, type ScaleAwareWeighting } from '../contracts/losses.js';
import type { Recipe } from '../contracts/recommendation.js';
import { lossForBackground } from './background-loss.js';
import { deriveClassWeights } from './class-weights.js';
import type { ClassWeightsSetting, LossChoice, RecipeSettings } from './rule-types.js';

export interface RecipeDraft {
  id: string | null;
  title: string | null;
  loss: LossSpec | null;
  optimizer: NonNullable<RecipeSettings['optimizer']>;
  schedule: NonNullable<RecipeSettings['schedule']>;
  gradientClipNorm: number | null;
  rareClassOversampling: number;
  labelSmoothing: number | null;
  ohem: { keepRatio: number } | null;
  classWeights: { setting: ClassWeightsSetting; rule: string } | null;
  scaleAware: ScaleAwareWeighting | null;
  notes: string[];
  derivedFrom: string[];
}

export function emptyDraft(): RecipeDraft {
  return {
    id: null,
    title: null,
    loss: null,
    optimizer: {},
    schedule: {},
    gradientClipNorm: null,
    rareClassOversampling: 0,
    labelSmoothing: null,
    ohem: null,
    classWeights: null,
    scaleAware: null,
    notes: [],
    derivedFrom: [],
  };
}

export function cloneDraft(draft: RecipeDraft): RecipeDraft {
  return structuredClone(draft);
}

/** The loss with every catalogue parameter filled: given values over catalogue defaults. */
export function fullLossSpec(name: LossName, params: Record<string, LossParamValue> = {}): LossSpec {
  const filled: Record<string, LossParamValue> = {};
  for (const [param, spec] of Object.entries(LOSS_CATALOGUE[name].params)) {
    filled[param] = Object.hasOwn(params, param) ? params[param] : spec.default;
  }
  return { name, params: filled };
}

export function useLoss(draft: RecipeDraft, choice: LossChoice): void {
  draft.id = choice.id;
  draft.title = choice.title;
  draft.loss = fullLossSpec(choice.loss.name, choice.loss.params);
}

/** Merges params into the current loss; returns the names it could not apply (not parameters of that loss). */
export function mergeLossParams(draft: RecipeDraft, params: Record<string, LossParamValue>): string[] {
  const skipped: string[] = [];
  if (!draft.loss) return Object.keys(params);
  const known = LOSS_CATALOGUE[draft.loss.name].params;
  for (const [param, value] of Object.entries(params)) {
    // Own keys only: "__proto__" or "constructor" from a rule file must never reach an assignment.
    if (Object.hasOwn(known, param)) draft.loss.params[param] = value;
    else skipped.push(param);
  }
  return skipped;
}

export function applySettings(draft: RecipeDraft, settings: RecipeSettings, ruleName: string): void {
  if (settings.optimizer) draft.optimizer = { ...draft.optimizer, ...settings.optimizer };
  if (settings.schedule) draft.schedule = { ...draft.schedule, ...settings.schedule };
  if (settings.gradientClipNorm !== undefined) draft.gradientClipNorm = settings.gradientClipNorm;
  if (settings.rareClassOversampling !== undefined) draft.rareClassOversampling = settings.rareClassOversampling;
  if (settings.labelSmoothing !== undefined) draft.labelSmoothing = settings.labelSmoothing;
  if (settings.ohem !== undefined) draft.ohem = settings.ohem;
  if (settings.classWeights !== undefined) draft.classWeights = settings.classWeights ? { setting: settings.classWeights, rule: ruleName } : null;
  if (settings.scaleAware !== undefined) draft.scaleAware = settings.scaleAware;
}

/** Losses with a cross-entropy term that class weights and OHEM act on. */
const CE_TERM_LOSSES: readonly LossName[] = ['ce', 'combo', 'ohem_ce'];

function requireField<T>(value: T | undefined | null, field: string, ruleFiles: string[]): T {
  if (value === undefined || value === null) {
    throw new UserError(`no rule set the recipe's ${field}`, {
      fix: `the rules in force (${ruleFiles.join(', ')}) must set it; keep the built-in "training-defaults" rule or set ${field} in your own rule`,
    });
  }
  return value;
}

/**
 * Completes a draft into a Recipe: class weights computed from the measured shares, label smoothing
 * and OHEM placed where the chosen loss can carry them, background-dependent loss parameters fitted
 * to the background class id (`background`, -1 = none).
 */
export function finalizeDraft(draft: RecipeDraft, classShares: number[], ruleFiles: string[], background = 0): Recipe {
  if (!draft.loss || !draft.id || !draft.title) {
    throw new UserError('no rule chose a loss for this profile', {
      fix: `the rules in force (${ruleFiles.join(', ')}) must "use" a loss on every path; keep the built-in flowchart rules or add a rule that does`,
    });
  }
  let loss: LossSpec = structuredClone(draft.loss);
  const notes = [...draft.notes];
  let title = draft.title;
  let labelSmoothing: number | null = null;
  let ohem: { keepRatio: number } | null = null;
  if (draft.labelSmoothing !== null) {
    if ('labelSmoothing' in LOSS_CATALOGUE[loss.name].params) loss.params.labelSmoothing = draft.labelSmoothing;
    else labelSmoothing = draft.labelSmoothing;
  }
  if (draft.ohem) {
    if (loss.name === 'ce') {
      loss = fullLossSpec('ohem_ce', { keepRatio: draft.ohem.keepRatio, labelSmoothing: loss.params.labelSmoothing });
      title = `${title} with OHEM`;
    }
    else if (loss.name === 'ohem_ce') loss.params.keepRatio = draft.ohem.keepRatio;
    else if (CE_TERM_LOSSES.includes(loss.name)) ohem = { ...draft.ohem };
    else notes.push(`OHEM left out: ${loss.name} has no cross-entropy term to mine hard pixels in.`);
  }
  // Parameters that assume class 0 is the background follow the dataset's background (background-loss.ts).
  const placed = lossForBackground(loss, background);
  loss = placed.loss;
  notes.push(...placed.notes);
  const optimizer = draft.optimizer;
  const schedule = draft.schedule;
  const recipe: Recipe = {
    id: draft.id,
    title,
    loss,
    classWeights: draft.classWeights ? deriveClassWeights(draft.classWeights.setting, classShares, draft.classWeights.rule) : null,
    scaleAware: draft.scaleAware ? structuredClone(draft.scaleAware) : null,
    optimizer: {
      name: requireField(optimizer.name, 'optimizer.name', ruleFiles),
      lr: requireField(optimizer.lr, 'optimizer.lr', ruleFiles),
      weightDecay: optimizer.weightDecay ?? 0,
      momentum: optimizer.momentum ?? null,
      nesterov: optimizer.nesterov ?? false,
    },
    schedule: {
      name: requireField(schedule.name, 'schedule.name', ruleFiles),
      warmupFraction: schedule.warmupFraction ?? 0,
      power: schedule.power ?? null,
      minLrFactor: schedule.minLrFactor ?? 0,
    },
    gradientClipNorm: draft.gradientClipNorm,
    rareClassOversampling: draft.rareClassOversampling,
    derivedFrom: [...draft.derivedFrom],
    labelSmoothing,
    ohem,
    notes,
  };
  return recipe;
}
