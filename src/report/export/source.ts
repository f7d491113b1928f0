/**
 * Reads what `segloss export` was given: a recommendation.json (its recipe) or a
 * verification.json (the winner's recipe, or the candidate asked for).
 */
import { CONTRACT_FILE_LIMITS, checkJsonDepth, readBoundedTextFile } from '../../common/input-file.js';
import { UserError } from '../../common/errors.js';
import { RECOMMENDATION_SCHEMA_VERSION, type Recommendation, type Recipe } from '../../contracts/recommendation.js';
import { SUPPORTED_VERIFICATION_SCHEMAS, type VerificationReport } from '../../contracts/verification.js';
import { isWholeNumber, recipeProblem } from '../../contracts/recipe-check.js';
import { MAX_BANDS } from '../../dataset/band-option.js';

export interface ExportSource {
  recipe: Recipe;
  /** Which recipe this is and where it came from, in words (goes in the snippet's header). */
  provenance: string;
  numClasses: number | null;
  classNames: string[] | null;
  /** Label value left out of every loss term; null: none. */
  ignoreIndex: number | null;
  /** The network's input channels verify trained with (one per image band) and the --bands chosen; null when the file does not say. */
  inputChannels?: number | null;
  bands?: number[] | null;
  /** Notes for the snippet's header (assumptions made while reading the file). */
  notes: string[];
}

/** segloss's default --ignore-index, assumed when the file does not say. */
export const DEFAULT_IGNORE_INDEX = 255;

const FIX = 'pass a recommendation.json (segloss recommend --out DIR) or verification.json (segloss verify --out DIR)';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks every value of a recipe the snippet uses (as verify does), naming the first thing wrong. */
export function checkRecipe(value: unknown, where: string, numClasses: number | null = null): Recipe {
  const problem = recipeProblem(value, 'recipe', numClasses);
  if (problem) throw new UserError(`${where}: ${problem}`, { fix: FIX });
  return value as Recipe;
}

/** The class count, names and ignore index a contract carries, checked before they reach code. */
function checkInput(file: string, input: { numClasses?: unknown; classNames?: unknown; ignoreIndex?: unknown }): { numClasses: number | null; classNames: string[] | null; ignoreIndex: number | null } {
  const fail = (what: string): never => {
    throw new UserError(`${file}: ${what}`, { fix: FIX });
  };
  const numClasses = input.numClasses ?? null;
  if (numClasses !== null && !isWholeNumber(numClasses, 2, MAX_CLASSES)) fail(`input.numClasses must be a whole number from 2 to ${MAX_CLASSES}`);
  const ignoreIndex = input.ignoreIndex ?? null;
  if (ignoreIndex !== null && !isWholeNumber(ignoreIndex, 0, 65535)) fail('input.ignoreIndex must be null or a whole number from 0 to 65535');
  const classNames = input.classNames ?? null;
  if (classNames !== null && !(Array.isArray(classNames) && classNames.every((n) => typeof n === 'string' && n.length <= 200) && (numClasses === null || classNames.length === numClasses))) {
    fail(`input.classNames must be ${numClasses === null ? 'a list of' : numClasses} names of at most 200 characters`);
  }
  return { numClasses: numClasses as number | null, classNames: classNames as string[] | null, ignoreIndex: ignoreIndex as number | null };
}

/** The input channel count and --bands a verification recorded (absent before multi-band), checked before they reach code. */
function checkInputBands(file: string, settings: unknown, where = 'settings'): { inputChannels: number | null; bands: number[] | null } {
  if (!isObject(settings)) return { inputChannels: null, bands: null };
  const channels = settings.inputChannels ?? null;
  const bands = settings.bands ?? null;
  if (channels !== null && !isWholeNumber(channels, 1, MAX_BANDS)) throw new UserError(`${file}: ${where}.inputChannels must be a whole number from 1 to ${MAX_BANDS}`, { fix: FIX });
  if (bands !== null && !(Array.isArray(bands) && bands.length > 0 && bands.length <= MAX_BANDS && bands.every((b) => isWholeNumber(b, 1, MAX_BANDS)))) {
    throw new UserError(`${file}: ${where}.bands must be null or a list of band numbers from 1 to ${MAX_BANDS}`, { fix: FIX });
  }
  if (channels !== null && bands !== null && (bands as number[]).length !== channels) {
    throw new UserError(`${file}: ${where}.bands lists ${(bands as number[]).length} bands but ${where}.inputChannels is ${channels}`, { fix: FIX });
  }
  return { inputChannels: channels as number | null, bands: bands as number[] | null };
}

/** The most classes a contract may declare (16-bit masks). */
const MAX_CLASSES = 65536;

function fromRecommendation(rec: Recommendation, file: string): ExportSource {
  if (rec.schemaVersion !== RECOMMENDATION_SCHEMA_VERSION) {
    throw new UserError(`${file}: schemaVersion ${JSON.stringify(rec.schemaVersion)} is not supported (expected ${RECOMMENDATION_SCHEMA_VERSION})`, { fix: FIX });
  }
  const input = checkInput(file, isObject(rec.input) ? rec.input : {});
  return {
    recipe: checkRecipe(rec.recipe, file, input.numClasses),
    provenance: `the recommended recipe in ${file}`,
    ...input,
    ...checkInputBands(file, rec.input, 'input'),
    notes: [],
  };
}

function fromVerification(report: VerificationReport, file: string, candidateId: string | null): ExportSource {
  if (!SUPPORTED_VERIFICATION_SCHEMAS.includes(report.schemaVersion as number)) {
    throw new UserError(`${file}: schemaVersion ${JSON.stringify(report.schemaVersion)} is not supported (expected one of ${SUPPORTED_VERIFICATION_SCHEMAS.join(', ')})`, { fix: FIX });
  }
  if (!Array.isArray(report.candidates) || report.candidates.length === 0) {
    throw new UserError(`${file} has no candidates`, { fix: FIX });
  }
  const bad = report.candidates.findIndex((c: unknown) => !isObject(c) || typeof c.id !== 'string' || c.id.length === 0 || c.id.length > 200);
  if (bad >= 0) throw new UserError(`${file}: candidates[${bad}] must be an object with an id of 1 to 200 characters`, { fix: FIX });
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
  // Schema 2 records the ignore index verify trained with; schema 1 did not (the default is assumed).
  const recordsIgnore = isObject(report.settings) && 'ignoreIndex' in report.settings;
  const input = checkInput(file, {
    numClasses: Array.isArray(perClass) ? perClass.length : Array.isArray(weights) ? weights.length : null,
    classNames: Array.isArray(perClass) ? perClass.map((p) => p?.name) : null,
    ignoreIndex: recordsIgnore ? report.settings.ignoreIndex : DEFAULT_IGNORE_INDEX,
  });
  return {
    recipe: checkRecipe(candidate.recipe, `${file} candidate "${candidate.id}"`, input.numClasses),
    provenance: `${why} in ${file}`,
    numClasses: input.numClasses,
    classNames: input.classNames,
    ignoreIndex: input.ignoreIndex,
    ...checkInputBands(file, report.settings),
    notes: recordsIgnore ? [] : [`verification.json does not record the ignore index: ${DEFAULT_IGNORE_INDEX} (segloss's default) is assumed; change IGNORE_INDEX if you trained with another`],
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
  // A regular file of bounded size and nesting: a FIFO would hang, /dev/zero fill memory, and deep
  // nesting overflow the stack.
  const text = await readBoundedTextFile(file, { what: 'contract', maxBytes: CONTRACT_FILE_LIMITS.maxBytes, fix: FIX });
  checkJsonDepth(text, CONTRACT_FILE_LIMITS.maxJsonDepth, file, 'contract', FIX);
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
