import { readFile } from 'node:fs/promises';
import { UserError } from '../common/errors.js';
import { LOSS_NAMES } from '../contracts/losses.js';
import { RECOMMENDATION_SCHEMA_VERSION, type Recommendation } from '../contracts/recommendation.js';

/**
 * Reads a recommendation.json (from `segloss recommend --out`), or the `recommendation` inside a
 * combined report, and checks the parts verify relies on; every problem names the file.
 */
export async function readRecommendationFile(path: string): Promise<Recommendation> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { fix: 'pass the recommendation.json that `segloss recommend --out DIR` wrote' });
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
  if (!rec || rec.kind !== 'Recommendation') throw problem('not a Recommendation (its "kind" is not "Recommendation")');
  if (rec.schemaVersion !== RECOMMENDATION_SCHEMA_VERSION) throw problem(`schemaVersion ${String(rec.schemaVersion)} is not supported (expected ${RECOMMENDATION_SCHEMA_VERSION})`);
  if (!rec.input || !Number.isInteger(rec.input.numClasses) || rec.input.numClasses < 2) throw problem('input.numClasses must be a whole number >= 2');
  if (!rec.recipe || !rec.recipe.loss || !LOSS_NAMES.includes(rec.recipe.loss.name)) throw problem(`recipe.loss.name must be one of ${LOSS_NAMES.join(', ')}`);
  if (!rec.recipe.optimizer || !(rec.recipe.optimizer.lr > 0)) throw problem('recipe.optimizer.lr must be a positive number');
  if (!rec.recipe.schedule) throw problem('recipe.schedule is missing');
  if (!Array.isArray(rec.alternatives)) throw problem('alternatives must be an array');
  return rec as Recommendation;
}
