import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../common/errors.js';
import { LOSS_NAMES } from '../contracts/losses.js';
import { RECOMMENDATION_SCHEMA_VERSION, type Recommendation } from '../contracts/recommendation.js';
import { isWholeNumber, recipeProblem } from '../contracts/recipe-check.js';

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
  if (rec.input.ignoreIndex != null && !isWholeNumber(rec.input.ignoreIndex, 0, 65535)) throw problem('input.ignoreIndex must be null or a whole number from 0 to 65535');
  // The class count is checked against the dataset later (a clearer message naming both); weights
  // of the wrong length then fail their candidate in the loss library.
  const mainProblem = recipeProblem(rec.recipe, 'recipe', null, { checkLoss: false });
  if (mainProblem) throw problem(mainProblem);
  if (!Array.isArray(rec.alternatives)) throw problem('alternatives must be an array');
  for (const [i, alternative] of rec.alternatives.entries()) {
    const alternativeProblem = recipeProblem(alternative?.recipe, `alternatives[${i}].recipe`, null, { checkLoss: false });
    if (alternativeProblem) throw problem(alternativeProblem);
  }
  return rec as Recommendation;
}
