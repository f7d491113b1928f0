/**
 * Reads what `segloss export` was given: a recommendation.json (its recipe) or a
 * verification.json (the winner's recipe, or the candidate asked for).
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '../../common/errors.js';
import type { Recommendation, Recipe } from '../../contracts/recommendation.js';
import type { VerificationReport } from '../../contracts/verification.js';
import { LOSS_CATALOGUE } from '../../contracts/losses.js';

export interface ExportSource {
  recipe: Recipe;
  /** Which recipe this is and where it came from, in words (goes in the snippet's header). */
  provenance: string;
  numClasses: number | null;
  classNames: string[] | null;
  /** Label value left out of every loss term; null: none. */
  ignoreIndex: number | null;
  /** Notes for the snippet's header (assumptions made while reading the file). */
  notes: string[];
}

/** segloss's default --ignore-index, assumed when the file does not say. */
export const DEFAULT_IGNORE_INDEX = 255;

const FIX = 'pass a recommendation.json (segloss recommend --out DIR) or verification.json (segloss verify --out DIR)';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the parts of a recipe the snippet uses, naming the first thing wrong. */
export function checkRecipe(value: unknown, where: string): Recipe {
  const fail = (what: string): never => {
    throw new UserError(`${where}: ${what}`, { fix: FIX });
  };
  if (!isObject(value)) return fail('recipe is missing');
  const loss = value.loss;
  if (!isObject(loss) || typeof loss.name !== 'string') return fail('recipe.loss.name is missing');
  if (!(loss.name in LOSS_CATALOGUE)) return fail(`unknown loss "${loss.name}" (known: ${Object.keys(LOSS_CATALOGUE).join(', ')})`);
  if (!isObject(loss.params)) return fail('recipe.loss.params is missing');
  const optimizer = value.optimizer;
  if (!isObject(optimizer) || !['adam', 'adamw', 'sgd'].includes(String(optimizer.name)) || typeof optimizer.lr !== 'number') {
    return fail('recipe.optimizer must have name adam|adamw|sgd and a numeric lr');
  }
  const schedule = value.schedule;
  if (!isObject(schedule) || !['constant', 'cosine', 'poly'].includes(String(schedule.name))) return fail('recipe.schedule.name must be constant|cosine|poly');
  const weights = value.classWeights;
  if (weights !== null && (!isObject(weights) || !Array.isArray(weights.values) || !weights.values.every((w) => typeof w === 'number'))) {
    return fail('recipe.classWeights must be null or have numeric values');
  }
  return value as unknown as Recipe;
}

function fromRecommendation(rec: Recommendation, file: string): ExportSource {
  return {
    recipe: checkRecipe(rec.recipe, file),
    provenance: `the recommended recipe in ${file}`,
    numClasses: rec.input?.numClasses ?? null,
    classNames: rec.input?.classNames ?? null,
    ignoreIndex: rec.input?.ignoreIndex ?? null,
    notes: [],
  };
}

function fromVerification(report: VerificationReport, file: string, candidateId: string | null): ExportSource {
  if (!Array.isArray(report.candidates) || report.candidates.length === 0) {
    throw new UserError(`${file} has no candidates`, { fix: FIX });
  }
  let candidate;
  let why: string;
  if (candidateId) {
    candidate = report.candidates.find((c) => c.id === candidateId);
    if (!candidate) throw new UserError(`${file} has no candidate "${candidateId}"`, { fix: `use one of: ${report.candidates.map((c) => c.id).join(', ')}` });
    why = `candidate "${candidate.id}" (asked for)`;
  } else {
    ({ candidate, why } = chooseCandidate(report));
  }
  const perClass = report.candidates.find((c) => c.metrics)?.metrics?.perClass ?? null;
  const weights = candidate.recipe?.classWeights?.values;
  return {
    recipe: checkRecipe(candidate.recipe, `${file} candidate "${candidate.id}"`),
    provenance: `${why} in ${file}`,
    numClasses: perClass?.length ?? weights?.length ?? null,
    classNames: perClass ? perClass.map((p) => p.name) : null,
    ignoreIndex: DEFAULT_IGNORE_INDEX,
    notes: [`verification.json does not record the ignore index: ${DEFAULT_IGNORE_INDEX} (segloss's default) is assumed; change IGNORE_INDEX if you trained with another`],
  };
}

/**
 * Which recipe a verification supports: the winner when the verdict is decisive (confirmed or
 * beaten); the recommended recipe when it is tied or inconclusive (the evidence favours no other),
 * unless the recommended run did not finish.
 */
export function chooseCandidate(report: VerificationReport): { candidate: VerificationReport['candidates'][number]; why: string } {
  const outcome = report.verdict?.outcome ?? 'inconclusive';
  const winner = report.verdict?.winnerId ? report.candidates.find((c) => c.id === report.verdict.winnerId) : undefined;
  const recommended = report.candidates.find((c) => c.isRecommended);
  if (winner && (outcome === 'confirmed' || outcome === 'beaten')) {
    return { candidate: winner, why: `the winning recipe "${winner.id}" (verdict: ${outcome}${winner.isRecommended ? ', it is the recommended one' : ''})` };
  }
  if (recommended && recommended.status === 'ok') {
    return { candidate: recommended, why: `the recommended recipe "${recommended.id}" (verdict: ${outcome}, so no other recipe is shown better)` };
  }
  if (winner) return { candidate: winner, why: `the best finished recipe "${winner.id}" (verdict: ${outcome}; the recommended run did not finish)` };
  const first = recommended ?? report.candidates[0];
  return { candidate: first, why: `the ${first.isRecommended ? 'recommended' : 'first'} recipe "${first.id}" (verdict: ${outcome}, no winner)` };
}

/** Loads a recommendation.json or verification.json; a clear UserError (exit 2) on anything else. */
export async function loadExportSource(file: string, options: { candidate?: string | null } = {}): Promise<ExportSource> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { fix: FIX });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${file} is not valid JSON (${(error as Error).message})`, { fix: FIX });
  }
  if (!isObject(parsed)) throw new UserError(`${file} is not a segloss contract (expected a JSON object)`, { fix: FIX });
  if (parsed.kind === 'Recommendation') {
    if (options.candidate) throw new UserError('--candidate applies to verification.json only', { fix: 'drop --candidate, or pass a verification.json' });
    return fromRecommendation(parsed as unknown as Recommendation, file);
  }
  if (parsed.kind === 'VerificationReport') return fromVerification(parsed as unknown as VerificationReport, file, options.candidate ?? null);
  throw new UserError(`${file} is a ${typeof parsed.kind === 'string' ? parsed.kind : 'JSON file without a "kind"'}, not a Recommendation or VerificationReport`, { fix: FIX });
}
