/**
 * Value checks for a recipe read back from a JSON file (recommendation.json, verification.json).
 * Types alone are not enough: a learning rate of -5, a class weight of 1e308 or three weights for
 * six classes would train nonsense or be pasted into generated code. verify and export both run
 * every recipe they read through recipeProblem, so they accept and refuse the same values.
 */
import { UserError } from '../common/errors.js';
import { resolveLossParams } from '../losses/params.js';
import type { Recipe } from './recommendation.js';

const OPTIMIZERS = ['adam', 'adamw', 'sgd'];
const SCHEDULES = ['constant', 'cosine', 'poly'];

/** Bounds a real recipe never comes near; a value past them is a broken or hostile file. */
export const RECIPE_BOUNDS = {
  maxLearningRate: 10,
  maxClassWeight: 1e4,
  maxClipNorm: 1e6,
  maxSchedulePower: 10,
  maxTextLength: 2000,
} as const;

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const fraction = (v: unknown) => isNumber(v) && v >= 0 && v <= 1;
const text = (v: unknown) => typeof v === 'string' && v.length <= RECIPE_BOUNDS.maxTextLength;

/** A class id or count as the contracts carry it: a whole number in [min, max]. */
export function isWholeNumber(value: unknown, min: number, max: number): value is number {
  return Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
}

/**
 * The first problem with a recipe's values, or null. `numClasses` (when known) fixes the length of
 * the class weights. The loss spec is checked by the loss library's own validator.
 */
export function recipeProblem(recipe: unknown, where: string, numClasses: number | null, options: { checkLoss?: boolean } = {}): string | null {
  if (!isObject(recipe)) return `${where} is missing`;
  const r = recipe as Partial<Recipe> & Record<string, unknown>;
  if (!text(r.id) || !text(r.title)) return `${where}.id and ${where}.title must be strings`;
  if (!isObject(r.loss)) return `${where}.loss is missing`;
  // verify leaves the loss to the loss library when its candidate starts (a bad loss then fails
  // only that candidate); export has no such later check.
  if (options.checkLoss !== false) {
    try {
      resolveLossParams(r.loss as Recipe['loss']);
    } catch (error) {
      return `${where}.loss: ${error instanceof UserError ? error.message : String(error)}`;
    }
  }
  const o = r.optimizer;
  if (!isObject(o)) return `${where}.optimizer is missing`;
  if (!OPTIMIZERS.includes(o.name as string)) return `${where}.optimizer.name ${JSON.stringify(o.name)} is not one of ${OPTIMIZERS.join(', ')}`;
  if (!isNumber(o.lr) || o.lr <= 0 || o.lr > RECIPE_BOUNDS.maxLearningRate) return `${where}.optimizer.lr must be a number above 0 and at most ${RECIPE_BOUNDS.maxLearningRate} (got ${JSON.stringify(o.lr)})`;
  if (o.weightDecay != null && !(isNumber(o.weightDecay) && o.weightDecay >= 0 && o.weightDecay <= 1)) return `${where}.optimizer.weightDecay must be a number from 0 to 1`;
  if (o.momentum != null && !(isNumber(o.momentum) && o.momentum >= 0 && o.momentum < 1)) return `${where}.optimizer.momentum must be null or a number from 0 to below 1`;
  if (o.nesterov != null && typeof o.nesterov !== 'boolean') return `${where}.optimizer.nesterov must be true or false`;
  const s = r.schedule;
  if (!isObject(s)) return `${where}.schedule is missing`;
  if (!SCHEDULES.includes(s.name as string)) return `${where}.schedule.name ${JSON.stringify(s.name)} is not one of ${SCHEDULES.join(', ')}`;
  if (!fraction(s.warmupFraction)) return `${where}.schedule.warmupFraction must be a number from 0 to 1`;
  if (!fraction(s.minLrFactor)) return `${where}.schedule.minLrFactor must be a number from 0 to 1`;
  if (s.power != null && !(isNumber(s.power) && s.power > 0 && s.power <= RECIPE_BOUNDS.maxSchedulePower)) return `${where}.schedule.power must be null or a number above 0 and at most ${RECIPE_BOUNDS.maxSchedulePower}`;
  if (r.gradientClipNorm != null && !(isNumber(r.gradientClipNorm) && r.gradientClipNorm > 0 && r.gradientClipNorm <= RECIPE_BOUNDS.maxClipNorm)) {
    return `${where}.gradientClipNorm must be null or a number above 0 and at most ${RECIPE_BOUNDS.maxClipNorm}`;
  }
  if (!fraction(r.rareClassOversampling)) return `${where}.rareClassOversampling must be a number from 0 to 1`;
  if (r.labelSmoothing != null && !(isNumber(r.labelSmoothing) && r.labelSmoothing >= 0 && r.labelSmoothing < 1)) return `${where}.labelSmoothing must be null or a number from 0 to below 1`;
  if (r.ohem != null && !(isObject(r.ohem) && isNumber(r.ohem.keepRatio) && r.ohem.keepRatio > 0 && r.ohem.keepRatio <= 1)) return `${where}.ohem must be null or {"keepRatio": a number above 0 and at most 1}`;
  const w = r.classWeights;
  if (w != null) {
    if (!isObject(w) || !Array.isArray(w.values)) return `${where}.classWeights must be null or have a "values" array`;
    if (!w.values.every((v) => isNumber(v) && v >= 0 && v <= RECIPE_BOUNDS.maxClassWeight) || !w.values.some((v) => (v as number) > 0)) {
      return `${where}.classWeights.values must be numbers from 0 to ${RECIPE_BOUNDS.maxClassWeight}, not all 0`;
    }
    if (numClasses !== null && w.values.length !== numClasses) return `${where}.classWeights has ${w.values.length} values for ${numClasses} classes`;
    if (!text(w.method) || !text(w.formula)) return `${where}.classWeights.method and .formula must be strings`;
  }
  const sa = r.scaleAware;
  if (sa != null) {
    if (!isObject(sa) || !Array.isArray(sa.binEdges) || !Array.isArray(sa.binWeights)) return `${where}.scaleAware must be null or have binEdges and binWeights arrays`;
    const edges = sa.binEdges as unknown[];
    if (!edges.every((e, i) => isNumber(e) && e > 0 && (i === 0 || e > (edges[i - 1] as number)))) return `${where}.scaleAware.binEdges must be increasing positive numbers`;
    if (sa.binWeights.length !== edges.length + 1) return `${where}.scaleAware.binWeights must have one more value than binEdges`;
    if (!sa.binWeights.every((v) => isNumber(v) && v > 0 && v <= RECIPE_BOUNDS.maxClassWeight)) return `${where}.scaleAware.binWeights must be numbers above 0 and at most ${RECIPE_BOUNDS.maxClassWeight}`;
  }
  if (r.derivedFrom != null && !(Array.isArray(r.derivedFrom) && r.derivedFrom.every(text))) return `${where}.derivedFrom must be a list of rule names`;
  if (r.notes != null && !(Array.isArray(r.notes) && r.notes.every(text))) return `${where}.notes must be a list of strings`;
  return null;
}
