import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../common/errors.js';
import { LOSS_NAMES } from '../contracts/losses.js';
import { RECOMMENDATION_SCHEMA_VERSION, type Recipe, type Recommendation } from '../contracts/recommendation.js';

/**
 * Reads a recommendation.json (from `segloss recommend --out`), or the `recommendation` inside a
 * combined report, and checks the parts verify relies on; every problem names the file.
 */
export async function readRecommendationFile(path: string): Promise<Recommendation> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') {
      throw new UserError(`cannot read ${path}: it is a folder`, { fix: `pass the file in it: --recommendation ${join(path, 'recommendation.json')}` });
    }
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : (code ?? (error as Error).message);
    throw new UserError(`cannot read ${path}: ${why}`, { fix: 'pass the recommendation.json that `segloss recommend --out DIR` wrote' });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${path} is not valid JSON (${(error as Error).message})`, { fix: 'pass the recommendation.json that `segloss recommend --out DIR` wrote' });
  }
  const candidate = (value as { kind?: string; recommendation?: unknown })?.kind === 'Recommendation' ? value : (value as { recommendation?: unknown })?.recommendation;
  const rec = candidate as Partial<Recommendation> | undefined;
  const problem = (what: string) => new UserError(`${path}: ${what}`, { fix: 'regenerate it with `segloss recommend DIR --out DIR`' });
  if (!rec || rec.kind !== 'Recommendation') {
    const kind = (value as { kind?: unknown } | null)?.kind;
    if (kind === 'DatasetProfile') {
      throw new UserError(`${path}: not a Recommendation: it is a DatasetProfile (profile.json)`, { fix: `make the recommendation from it with \`segloss recommend --profile ${path} --out DIR\` and pass DIR/recommendation.json` });
    }
    if (kind === 'VerificationReport') {
      throw new UserError(`${path}: not a Recommendation: it is a VerificationReport (verification.json)`, { fix: 'pass the recommendation.json it verified (`segloss recommend DIR --out DIR` writes one)' });
    }
    throw problem('not a Recommendation (its "kind" is not "Recommendation")');
  }
  if (rec.schemaVersion !== RECOMMENDATION_SCHEMA_VERSION) throw problem(`schemaVersion ${String(rec.schemaVersion)} is not supported (expected ${RECOMMENDATION_SCHEMA_VERSION})`);
  if (!rec.input || !Number.isInteger(rec.input.numClasses) || rec.input.numClasses < 2) throw problem('input.numClasses must be a whole number >= 2');
  if (!rec.recipe || !rec.recipe.loss || !LOSS_NAMES.includes(rec.recipe.loss.name)) throw problem(`recipe.loss.name must be one of ${LOSS_NAMES.join(', ')}`);
  const recipeProblem = recipeTrainingProblem(rec.recipe, 'recipe');
  if (recipeProblem) throw problem(recipeProblem);
  if (!Array.isArray(rec.alternatives)) throw problem('alternatives must be an array');
  for (const [i, alternative] of rec.alternatives.entries()) {
    const alternativeProblem = alternative?.recipe ? recipeTrainingProblem(alternative.recipe, `alternatives[${i}].recipe`) : `alternatives[${i}].recipe is missing`;
    if (alternativeProblem) throw problem(alternativeProblem);
  }
  return rec as Recommendation;
}

const OPTIMIZERS = ['adam', 'adamw', 'sgd'];
const SCHEDULES = ['constant', 'cosine', 'poly'];

/**
 * The first problem with the parts of a recipe the trainer reads (optimiser, schedule, clipping,
 * oversampling), or null. The loss is checked by the loss library when its candidate starts, so a
 * bad loss fails only that candidate; these would crash the run or give NaN learning rates.
 */
function recipeTrainingProblem(recipe: Partial<Recipe>, where: string): string | null {
  const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const fraction = (v: unknown) => isNumber(v) && v >= 0 && v <= 1;
  const { optimizer, schedule } = recipe;
  if (!optimizer) return `${where}.optimizer is missing`;
  if (!OPTIMIZERS.includes(optimizer.name)) return `${where}.optimizer.name ${JSON.stringify(optimizer.name)} is not one of ${OPTIMIZERS.join(', ')}`;
  if (!isNumber(optimizer.lr) || optimizer.lr <= 0) return `${where}.optimizer.lr must be a positive number (got ${JSON.stringify(optimizer.lr)})`;
  if (optimizer.weightDecay != null && !(isNumber(optimizer.weightDecay) && optimizer.weightDecay >= 0)) return `${where}.optimizer.weightDecay must be a number >= 0`;
  if (optimizer.momentum != null && !(isNumber(optimizer.momentum) && optimizer.momentum >= 0 && optimizer.momentum < 1)) return `${where}.optimizer.momentum must be null or a number from 0 to below 1`;
  if (!schedule) return `${where}.schedule is missing`;
  if (!SCHEDULES.includes(schedule.name)) return `${where}.schedule.name ${JSON.stringify(schedule.name)} is not one of ${SCHEDULES.join(', ')}`;
  if (!fraction(schedule.warmupFraction)) return `${where}.schedule.warmupFraction must be a number from 0 to 1`;
  if (!fraction(schedule.minLrFactor)) return `${where}.schedule.minLrFactor must be a number from 0 to 1`;
  if (schedule.power != null && !(isNumber(schedule.power) && schedule.power > 0)) return `${where}.schedule.power must be null or a positive number`;
  if (recipe.gradientClipNorm != null && !(isNumber(recipe.gradientClipNorm) && recipe.gradientClipNorm > 0)) return `${where}.gradientClipNorm must be null or a positive number`;
  if (!fraction(recipe.rareClassOversampling)) return `${where}.rareClassOversampling must be a number from 0 to 1`;
  return null;
}
