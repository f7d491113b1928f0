/**
 * Short display names of the verify candidates (at most SHORT_NAME_MAX characters): "recommended",
 * "recommended, plain", "Focal γ2", "alt 1: Tversky". Full labels run to 70+ characters ("Combo
 * (Dice + CE) without class weights, OHEM and scale-aware weights (ablation)"); repeated in every
 * table row and legend they bury the numbers. Tables, legends, the dashboard and the headline use
 * these names; the full label appears once, in a key (`candidateKey`). Derived from the candidate's
 * id and recipe alone, so a verification.json of any age gets the same names.
 */
import { LOSS_CATALOGUE, type LossName, type LossParamValue } from '../contracts/losses.js';
import type { Recipe } from '../contracts/recommendation.js';
import { safeLine } from '../common/safe-text.js';

export const SHORT_NAME_MAX = 24;

/** What a short name is made from (a CandidateResult, a CandidatePlan or a verdict candidate fits). */
export interface NamedCandidate {
  id: string;
  label: string;
  isRecommended: boolean;
  recipe?: Pick<Recipe, 'loss'>;
}

const LOSS_SHORT: Record<LossName, string> = {
  ce: 'CE',
  focal: 'Focal',
  dice: 'Dice',
  stable_log_dice: 'log Dice',
  combo: 'Combo',
  generalized_dice: 'Gen. Dice',
  tversky: 'Tversky',
  focal_tversky: 'Focal Tversky',
  ohem_ce: 'OHEM CE',
  boundary: 'Boundary',
  dice_boundary: 'Dice+Boundary',
  hausdorff_dt: 'Hausdorff DT',
};

/** Baselines whose id says more than their loss does. */
const BY_ID: Record<string, string> = { 'recommended-plain': 'recommended, plain', nnunet: 'nnU-Net DiceCE' };

function numberText(value: LossParamValue | undefined): string | null {
  return typeof value === 'number' && Number.isFinite(value) ? String(Number(value.toPrecision(3))) : null;
}

/** A loss in a few characters: "Focal γ2", "Combo 0.7/0.3", "Tversky α0.3". */
export function shortLossName(loss: Pick<Recipe['loss'], 'name' | 'params'>): string {
  const name = Object.hasOwn(LOSS_SHORT, loss.name) ? LOSS_SHORT[loss.name as LossName] : safeLine(String(loss.name));
  const params = loss.params ?? {};
  const specs = Object.hasOwn(LOSS_CATALOGUE, loss.name) ? LOSS_CATALOGUE[loss.name as LossName].params : {};
  const param = (key: string) => numberText(Object.hasOwn(params, key) ? params[key] : specs[key]?.default);
  if (loss.name === 'focal' || loss.name === 'focal_tversky') {
    const gamma = param('gamma');
    return gamma !== null ? `${name} γ${gamma}` : name;
  }
  if (loss.name === 'combo') {
    const dice = param('diceWeight');
    const ce = param('ceWeight');
    return dice !== null && ce !== null ? `${name} ${dice}/${ce}` : name;
  }
  if (loss.name === 'tversky') {
    const alpha = param('alpha');
    return alpha !== null ? `${name} α${alpha}` : name;
  }
  return name;
}

function cut(text: string, max = SHORT_NAME_MAX): string {
  const clean = safeLine(text).trim();
  return clean.length <= max ? clean : `${clean.slice(0, max - 1).trimEnd()}…`;
}

/** The short name of one candidate, before making names unique. */
export function shortName(candidate: NamedCandidate): string {
  if (candidate.isRecommended) return 'recommended';
  if (Object.hasOwn(BY_ID, candidate.id)) return BY_ID[candidate.id];
  const alt = /^alt-(\d+)$/.exec(candidate.id);
  if (alt) return cut(candidate.recipe ? `alt ${alt[1]}: ${shortLossName(candidate.recipe.loss)}` : `alt ${alt[1]}`);
  if (candidate.recipe?.loss && typeof candidate.recipe.loss.name === 'string') return cut(shortLossName(candidate.recipe.loss));
  return cut(candidate.id || candidate.label);
}

/** Short names by candidate id, unique within the list (a repeat gets " #2", " #3"). */
export function shortNames(candidates: readonly NamedCandidate[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const c of candidates) {
    const base = shortName(c);
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${cut(base, SHORT_NAME_MAX - 3)} #${n}`;
    used.add(name);
    out.set(c.id, name);
  }
  return out;
}

/** A lookup from id to short name that falls back to the id (a comparison with a candidate not in the list). */
export function shortNameLookup(candidates: readonly NamedCandidate[]): (id: string) => string {
  const names = shortNames(candidates);
  return (id) => names.get(id) ?? cut(id);
}

/** The key: each short name with the full label, once per report. */
export function candidateKey(candidates: readonly NamedCandidate[]): Array<{ id: string; name: string; label: string }> {
  const names = shortNames(candidates);
  return candidates.map((c) => ({ id: c.id, name: names.get(c.id)!, label: safeLine(c.label) }));
}

/**
 * Text written with full labels (the verdict's sentence and details) with each label replaced by
 * its short name, longest label first; "the recommended <label>" becomes "the recommended recipe".
 */
export function withShortNames(text: string, candidates: readonly NamedCandidate[]): string {
  const names = shortNames(candidates);
  const byLength = [...candidates].filter((c) => c.label.length > 0).sort((a, b) => b.label.length - a.label.length);
  let out = text;
  for (const c of byLength) {
    if (c.isRecommended) out = out.split(`the recommended ${c.label}`).join('the recommended recipe').split(`The recommended ${c.label}`).join('The recommended recipe');
    out = out.split(c.label).join(names.get(c.id)!);
  }
  return out;
}
