/**
 * The replicate design of a verify run: how many cross-validation folds and how many seeds per fold,
 * when the user leaves them to verify (--folds / --seeds not given).
 *
 * Why (issue 22, measured): the old default, 3 seeds on one 20% split, has 2 degrees of freedom; a
 * planted recipe 0.59 mean Dice worse than Focal was "tied" after Holm over 5 comparisons (|t| had
 * to pass ~11), while the same 3 minutes spent on 5 seeds (fewer steps each) called it beaten. And
 * small datasets validated 6-8 images, which limited every comparison. So the default is at least
 * MIN_REPLICATES replicates: DEFAULT_FOLDS (10) folds, every image or group validated once, with
 * one seed each where the data has at least 2 x DEFAULT_FOLDS units (groups, or images without
 * groups), 5 folds (nnU-Net's default) on 10-19 units; fewer folds with 2 seeds each on 6-9 units; leave-one-out folds with 2 seeds each on 3-5
 * units (a single split would validate one of them); one split with MIN_REPLICATES seeds on fewer
 * units or on more than MAX_UNITS_FOR_FOLDS (the
 * validation set is then large, and a fifth of it is not the limit). Replicates cost steps: the
 * budget is shared by candidates x folds x seeds runs, so each run trains fewer steps; the issue's
 * measurement (3 -> 5 seeds at the same budget: 303 -> 173 steps, a decision where there was none)
 * is why replicates win at verify's budgets.
 * Why 10 folds from 20 units on (session 13, measured): the fold-paired t has K - 1 df, and with
 * Holm over the alternatives a 5-fold run needs |t| > 4.0-4.6 (t on 4 df), a 10-fold run 3.2-3.5
 * (9 df). The fold means' spread holds the validation images' share of the noise, which does not
 * grow when folds halve (the same images, spread over twice the folds), so the standard error is
 * no larger, while runs double and each trains half the steps. On the validity bench a recipe
 * blind to the rarest class, 0.13-0.16 mean Dice worse on every fold (balanced sample, 5-minute
 * budget), was "tied" at 5 folds (508 steps; per-fold gaps 0.06-0.33, t 3.6 short of 4.0) and
 * "beaten" by all three surviving baselines at 10 folds (269 steps); the plants caught at 5 folds
 * were caught at 10 (docs/verify.md). Under 20 units, 10 folds would validate 1 unit each, so
 * 5 folds stay.
 */
import { MIN_BUDGET_STEPS } from './budget.js';

export const DEFAULT_FOLDS = 10;
/** Folds on 10-19 units (10 folds need at least 2 units each). */
export const SMALL_DATA_FOLDS = 5;
export const MIN_REPLICATES = 5;
export const MAX_UNITS_FOR_FOLDS = 500;

export interface Design {
  folds: number;
  seedsPerFold: number;
  /** In words, for the plan line: what was chosen and why. */
  why: string;
}

export function chooseDesign(p: { units: number; folds: number | null; seeds: number | null; grouped: boolean }): Design {
  const unitName = p.grouped ? 'groups' : 'images';
  let folds: number;
  let why: string;
  if (p.folds !== null) {
    folds = Math.max(1, Math.min(p.folds, p.units));
    why = folds < p.folds ? `--folds ${p.folds} lowered to ${folds}: there are only ${p.units} ${unitName}` : `--folds ${folds}`;
  } else if (p.units > MAX_UNITS_FOR_FOLDS) {
    folds = 1;
    why = `one split (${p.units} ${unitName}: a fifth of them is a large validation set)`;
  } else if (p.units >= 2 * DEFAULT_FOLDS) {
    folds = DEFAULT_FOLDS;
    why = `${DEFAULT_FOLDS} folds, every one of the ${p.units} ${unitName} validated once (9 df for the fold-paired t: more power than 5 folds at the same budget)`;
  } else if (p.units >= 2 * SMALL_DATA_FOLDS) {
    folds = SMALL_DATA_FOLDS;
    why = `${SMALL_DATA_FOLDS} folds, every one of the ${p.units} ${unitName} validated once`;
  } else if (p.units >= 6) {
    folds = Math.floor(p.units / 2);
    why = `${folds} folds of 2 or more ${unitName} each (${p.units} in all)`;
  } else if (p.units >= 3) {
    folds = p.units;
    why = `${folds} folds, leaving one of the ${p.units} ${unitName} out each (a single split would validate one)`;
  } else {
    folds = 1;
    why = `one split (${p.units} ${unitName} are too few for folds)`;
  }
  const seedsPerFold = p.seeds ?? (folds >= MIN_REPLICATES ? 1 : Math.ceil(MIN_REPLICATES / folds));
  const replicates = folds * seedsPerFold;
  if (p.seeds === null) why += `; ${seedsPerFold} seed${seedsPerFold === 1 ? '' : 's'}${folds > 1 ? ' per fold' : ''}, ${replicates} replicates (at least ${MIN_REPLICATES} by default, for power at the budget)`;
  return { folds, seedsPerFold, why };
}

/**
 * Smaller designs to fall back on, best first, when the budget cannot pay for MIN_BUDGET_STEPS
 * steps a run at the default design (issue 22: "at least 5 replicates whenever the budget allows
 * the minimum steps"): fewer seeds per fold first, then fewer folds, never fewer than
 * `minReplicates` replicates (a verdict needs them), and never from folds to one split or back
 * (the engine's data and the rarest class are the same for every design on the same side).
 */
export function fallbackDesigns(design: Design, minReplicates: number): Design[] {
  const out: Design[] = [];
  const shapeOf = (folds: number, seeds: number) => (folds > 1 ? `${folds} folds x ${seeds} seed${seeds === 1 ? '' : 's'}` : `${seeds} seeds`);
  const was = shapeOf(design.folds, design.seedsPerFold);
  const add = (folds: number, seedsPerFold: number) => {
    out.push({ folds, seedsPerFold, why: `${shapeOf(folds, seedsPerFold)}, ${folds * seedsPerFold} replicates: the budget cannot pay for ${was} at ${MIN_BUDGET_STEPS} steps a run (fewer replicates, less power; a longer --budget gives the full design)` });
  };
  if (design.folds > 1) {
    for (let s = design.seedsPerFold - 1; s >= 1; s--) if (design.folds * s >= minReplicates) add(design.folds, s);
    for (let k = design.folds - 1; k >= Math.max(2, minReplicates); k--) add(k, 1);
  } else {
    for (let s = design.seedsPerFold - 1; s >= minReplicates; s--) add(1, s);
  }
  return out;
}
