/**
 * `segloss report OUT`: the JSON contracts a segloss --out folder holds (profile.json,
 * recommendation.json, verification.json), each read through its own checked reader, bounded in
 * size and nesting. Missing files are fine (the report says so); a folder with none of them, or a
 * file that is not what its name says, is a clear error naming the file.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../common/errors.js';
import { CONTRACT_FILE_LIMITS, checkJsonDepth, readBoundedTextFile } from '../common/input-file.js';
import type { DatasetProfile } from '../contracts/profile.js';
import type { Recommendation } from '../contracts/recommendation.js';
import { SUPPORTED_VERIFICATION_SCHEMAS, type VerificationReport } from '../contracts/verification.js';
import { readProfileFile } from '../rules/profile-input.js';
import { readRecommendationFile } from '../verify/recommendation-file.js';

export interface ReportContracts {
  profile: DatasetProfile | null;
  recommendation: Recommendation | null;
  verification: VerificationReport | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}

/** A verification.json, checked in the parts the report reads. */
export async function readVerificationFile(path: string): Promise<VerificationReport> {
  const fix = 'pass the folder where `segloss verify DATASET --out DIR` (or `segloss demo`) wrote verification.json';
  const text = await readBoundedTextFile(path, { what: 'verification', maxBytes: CONTRACT_FILE_LIMITS.maxBytes, fix });
  checkJsonDepth(text, CONTRACT_FILE_LIMITS.maxJsonDepth, path, 'verification', fix);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${path} is not valid JSON (${(error as Error).message})`, { fix });
  }
  const problem = (what: string) => new UserError(`${path}: ${what}`, { fix: 'regenerate it with `segloss verify DATASET --out DIR`' });
  if (!isObject(value) || value.kind !== 'VerificationReport') throw problem('not a VerificationReport (its "kind" is not "VerificationReport")');
  if (!SUPPORTED_VERIFICATION_SCHEMAS.includes(value.schemaVersion as number)) throw problem(`schemaVersion ${String(value.schemaVersion)} is not supported (expected one of ${SUPPORTED_VERIFICATION_SCHEMAS.join(', ')})`);
  const settings = value.settings;
  if (!isObject(settings) || !Array.isArray(settings.seeds) || !isObject(settings.model)) throw problem('"settings" is missing or incomplete');
  if (!isObject(value.backend) || typeof value.backend.name !== 'string') throw problem('"backend" is missing');
  if (!Array.isArray(value.candidates)) throw problem('"candidates" is not a list');
  value.candidates.forEach((c, i) => {
    if (!isObject(c) || typeof c.id !== 'string' || typeof c.label !== 'string' || !isObject(c.recipe) || !isObject(c.recipe.loss) || typeof c.status !== 'string' || !Array.isArray(c.lossCurve) || !Array.isArray(c.overlays)) {
      throw problem(`candidate ${i + 1} lacks its id, label, recipe, status, loss curve or overlays`);
    }
  });
  const verdict = value.verdict;
  if (!isObject(verdict) || typeof verdict.outcome !== 'string' || typeof verdict.sentence !== 'string' || !Array.isArray(verdict.details)) throw problem('"verdict" lacks its outcome, sentence or details');
  return value as unknown as VerificationReport;
}

/** The contracts in DIR; at least one must be there. */
export async function readReportContracts(dir: string): Promise<ReportContracts> {
  const info = await stat(dir).catch(() => null);
  if (!info) throw new UserError(`${dir} does not exist`, { fix: 'pass the --out folder of a segloss run (it holds verification.json, recommendation.json or profile.json)' });
  if (!info.isDirectory()) throw new UserError(`${dir} is not a folder`, { fix: 'pass the --out folder of a segloss run, not a file in it' });
  const path = (name: string) => join(dir, name);
  const [hasProfile, hasRecommendation, hasVerification] = await Promise.all(['profile.json', 'recommendation.json', 'verification.json'].map((n) => exists(path(n))));
  if (!hasProfile && !hasRecommendation && !hasVerification) {
    throw new UserError(`${dir} holds no profile.json, recommendation.json or verification.json`, { fix: 'run `segloss verify DATASET --out DIR` (or profile/recommend --out DIR) first, then `segloss report DIR`' });
  }
  return {
    profile: hasProfile ? await readProfileFile(path('profile.json')) : null,
    recommendation: hasRecommendation ? await readRecommendationFile(path('recommendation.json')) : null,
    verification: hasVerification ? await readVerificationFile(path('verification.json')) : null,
  };
}
