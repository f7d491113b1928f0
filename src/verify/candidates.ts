/**
 * Which recipes verify trains: the recommended one plus baselines, each a full Recipe.
 *
 * Baselines are the plain losses of the article's comparison table. They copy the recommended
 * recipe's optimiser, learning rate, schedule, gradient clipping and rare-class oversampling, so
 * the loss is the one thing that differs, except:
 *  - class weights, scale-aware weighting, OHEM and label smoothing are dropped (a baseline is
 *    the plain loss);
 *  - Dice-family losses get at least 10% linear warm-up (the article: pure Dice did not converge
 *    early without warm-up / a lower LR);
 *  - `nnunet` is nnU-Net's whole recipe (its own optimiser and schedule), as a reference point.
 * `plain` is the ablation of the recommended recipe: the same recipe (loss parameters, optimiser,
 * schedule, oversampling) without its additions (class weights, OHEM, label smoothing,
 * scale-aware weights), so the report says whether the additions helped. It exists only when the
 * recommended recipe has an addition. Duplicates are found on what is trained: the loss with the
 * extras folded in AND its class weights and scale-aware weighting (a weighted Combo is not "the
 * same loss" as the plain Combo).
 */
import { listAnd } from '../common/list.js';
import { UserError } from '../common/errors.js';
import { LOSS_CATALOGUE, LOSS_NAMES, type LossName, type LossSpec } from '../contracts/losses.js';
import type { Recipe, Recommendation } from '../contracts/recommendation.js';
import { trainableLoss } from './trainer.js';
import { lossForBackground } from '../rules/background-loss.js';

export interface CandidatePlan {
  id: string;
  label: string;
  isRecommended: boolean;
  recipe: Recipe;
  /** How this recipe was derived from the recommended one, for the report. */
  derivation: string;
  /**
   * Added to every seed of this candidate (default 0: paired with the others). Only the validity
   * benchmark's A/A copy sets it, so that a recipe compared with itself differs by seed noise alone.
   */
  seedOffset?: number;
}

export const DEFAULT_CANDIDATES = ['recommended', 'plain', 'ce', 'focal', 'dice', 'combo'] as const;
export const DICE_WARMUP_FRACTION = 0.1;

interface Baseline {
  title: string;
  loss: LossSpec;
  /** Replace the optimiser and schedule too (a whole reference recipe). */
  recipe?: Pick<Recipe, 'optimizer' | 'schedule' | 'gradientClipNorm'>;
}

const DICE_FAMILY = new Set<LossName>(['dice', 'stable_log_dice', 'combo', 'generalized_dice', 'tversky', 'focal_tversky', 'dice_boundary']);

/** Baselines by name. `ce`, `focal`, `dice`, `combo` are the article's four; every catalogue loss is available with its defaults. */
export const BASELINES: Record<string, Baseline> = {
  ...Object.fromEntries(LOSS_NAMES.map((name) => [name, { title: `${LOSS_CATALOGUE[name].title} (baseline)`, loss: { name, params: {} } }])),
  focal: { title: 'Focal gamma=2 (baseline)', loss: { name: 'focal', params: { gamma: 2 } } },
  combo: { title: 'Combo 0.7 Dice + 0.3 CE (baseline)', loss: { name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3 } } },
  nnunet: {
    title: 'nnU-Net DiceCE, SGD 1e-2 poly (reference)',
    loss: { name: 'combo', params: { diceWeight: 1, ceWeight: 1, includeBackground: false, batch: true } },
    recipe: {
      optimizer: { name: 'sgd', lr: 1e-2, weightDecay: 3e-5, momentum: 0.99, nesterov: true },
      schedule: { name: 'poly', warmupFraction: 0, power: 0.9, minLrFactor: 0 },
      gradientClipNorm: 12,
    },
  },
};

export const CANDIDATE_NAMES = ['recommended', 'plain', 'alternatives', ...Object.keys(BASELINES)];

/** The id of the ablation candidate (`plain`). */
export const PLAIN_ID = 'recommended-plain';

/** Parses `--candidates a,b,c`; unknown names are a usage error listing the valid ones. */
export function parseCandidateNames(text: string): string[] {
  const names = text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (names.length === 0) throw new UserError('--candidates is empty', { fix: `list some of: ${CANDIDATE_NAMES.join(', ')}` });
  const unknown = names.filter((n) => !CANDIDATE_NAMES.includes(n));
  if (unknown.length > 0) {
    throw new UserError(`unknown candidate${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}`, {
      fix: `valid candidates: ${CANDIDATE_NAMES.join(', ')}`,
    });
  }
  return [...new Set(names)];
}

/** What a recipe trains, as a canonical string (for deduplication): the folded loss, its class weights and scale-aware weighting. */
export function trainingKey(recipe: Recipe): string {
  return JSON.stringify([lossKey(trainableLoss(recipe).loss), recipe.classWeights?.values ?? null, recipe.scaleAware ?? null]);
}

/** The recipe's additions to its base loss, in words (empty: none). */
export function recipeAdditions(recipe: Recipe): string[] {
  const out: string[] = [];
  if (recipe.classWeights) out.push('class weights');
  if (recipe.ohem) out.push('OHEM');
  if (recipe.labelSmoothing) out.push('label smoothing');
  if (recipe.scaleAware) out.push('scale-aware weights');
  return out;
}

/** The ablation: the recommended recipe without its additions; null when it has none. */
export function plainPlan(recommended: Recipe): CandidatePlan | null {
  const additions = recipeAdditions(recommended);
  if (additions.length === 0) return null;
  const title = `${LOSS_CATALOGUE[recommended.loss.name].title} without ${listAnd(additions)} (ablation)`;
  const recipe: Recipe = { ...recommended, id: PLAIN_ID, title, classWeights: null, ohem: null, labelSmoothing: null, scaleAware: null, notes: [], derivedFrom: ['segloss verify ablation "plain"'] };
  return { id: PLAIN_ID, label: title, isRecommended: false, recipe, derivation: `the recommended recipe exactly (loss parameters, optimiser, LR, schedule, clipping, oversampling) without its ${listAnd(additions)}: does what it adds help?` };
}

/** The loss spec with every catalogue default filled in, as a canonical string (for deduplication). */
export function lossKey(loss: LossSpec): string {
  const params: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(LOSS_CATALOGUE[loss.name].params).sort(([a], [b]) => a.localeCompare(b))) {
    params[key] = loss.params[key] ?? spec.default;
  }
  return JSON.stringify([loss.name, params]);
}

/** The background class id the recommendation was made for (older recommendations: class 0). */
function backgroundFact(recommendation: Recommendation): number {
  const id = recommendation.facts.backgroundClassId;
  return typeof id === 'number' && Number.isInteger(id) ? id : 0;
}

/**
 * Candidate recipes for the given names, in order, deduplicated by loss spec (the first wins, so
 * a baseline equal to the recommended loss and weighting is dropped). Returns the plans and notes on drops.
 */
export function buildCandidates(recommendation: Recommendation, names: readonly string[]): { plans: CandidatePlan[]; notes: string[] } {
  const recommended = recommendation.recipe;
  const wanted: CandidatePlan[] = [];
  for (const name of names) {
    if (name === 'recommended') {
      wanted.push({ id: 'recommended', label: recommended.title, isRecommended: true, recipe: recommended, derivation: 'the recommendation as given' });
    } else if (name === 'plain') {
      const plain = plainPlan(recommended);
      if (plain) wanted.push(plain);
    } else if (name === 'alternatives') {
      for (const alt of recommendation.alternatives) {
        wanted.push({ id: `alt-${alt.rank}`, label: alt.recipe.title, isRecommended: false, recipe: alt.recipe, derivation: `ranked alternative ${alt.rank}: ${alt.reason}` });
      }
    } else {
      wanted.push(baselinePlan(name, recommended, backgroundFact(recommendation)));
    }
  }
  const plans: CandidatePlan[] = [];
  const notes: string[] = [];
  const seen = new Map<string, CandidatePlan>();
  for (const plan of wanted) {
    const key = trainingKey(plan.recipe);
    const earlier = seen.get(key);
    if (earlier) {
      notes.push(`skipped ${plan.id}: trains the same loss (and weighting) as ${earlier.id} (${earlier.label})`);
      continue;
    }
    seen.set(key, plan);
    plans.push(plan);
  }
  return { plans, notes };
}

/** `background`: the dataset's background class id (the recommendation's backgroundClassId fact; -1 = none). */
export function baselinePlan(name: string, recommended: Recipe, background = 0): CandidatePlan {
  const baseline = BASELINES[name];
  const changes: string[] = ['no class weights, scale-aware weighting, OHEM or label smoothing'];
  let schedule = recommended.schedule;
  if (DICE_FAMILY.has(baseline.loss.name) && !baseline.recipe && schedule.warmupFraction < DICE_WARMUP_FRACTION) {
    schedule = { ...schedule, warmupFraction: DICE_WARMUP_FRACTION };
    changes.push(`warm-up raised to ${DICE_WARMUP_FRACTION * 100}% of steps (Dice needs it)`);
  }
  // The baseline's loss fitted to the dataset's background, as the recommendation's was (background-loss.ts).
  const placed = lossForBackground(baseline.loss, background);
  if (placed.notes.length > 0) changes.push(...placed.notes);
  const recipe: Recipe = {
    ...recommended,
    id: name,
    title: baseline.title,
    loss: placed.loss,
    classWeights: null,
    scaleAware: null,
    ohem: null,
    labelSmoothing: null,
    notes: [],
    schedule,
    derivedFrom: [`segloss verify baseline "${name}"`],
    ...(baseline.recipe ?? {}),
  };
  const derivation = baseline.recipe
    ? "nnU-Net's own optimiser, schedule and clipping"
    : `the recommended recipe's optimiser, LR, schedule and clipping; ${changes.join('; ')}`;
  return { id: name, label: baseline.title, isRecommended: false, recipe, derivation };
}
