/**
 * Train/validation assignment for verify: a single split or K cross-validation folds, by group.
 *
 * Why groups: tiles of one scene, slices of one volume or frames of one sequence are near copies of
 * each other; one of them in training and another in validation scores memory, not learning. The
 * unit of assignment is therefore the group (DecodedPair.group, from --group or a reader; absent =
 * the image id, so images without groups are their own unit), and no group is ever on both sides.
 * Why folds (issue 22): with a single 20% split a small dataset validates 6-8 images, and the
 * validation set was the limit of what the verdict could tell; K folds validate every image once
 * (nnU-Net's default is 5), and the fold is a replicate of the comparison.
 *
 * Stratification by class presence, as far as the groups allow: classes are visited from the one in
 * the fewest units to the most common, and their holders are spread (single split: a share of them
 * to validation, never all; folds: round-robin over the folds, so every fold's training part keeps a
 * class whenever two or more units hold it). Seeded: the same data and seed give the same folds.
 */
import { createRng, shuffled } from './random.js';

export interface SplitOptions {
  /** Share of images held out for validation (default 0.2). */
  valFraction: number;
  seed: number;
}

export interface Split {
  train: number[];
  val: number[];
}

/**
 * Splits images (by index) into train and val, seeded and stratified by class presence.
 *
 * `classPixels[i][c]` is the pixel count of class c in image i. Classes are visited from the one
 * in the fewest images to the most common; for each, val receives round(valFraction * m) of the m
 * images that contain it (at least 1 when m >= 2, and never all m, so train keeps one), picked
 * from the seeded shuffle, counting images already assigned. The rest of val is then filled from
 * the shuffle up to round(valFraction * n) images (at least 1, at most n - 1). So the rarest class
 * is in val whenever two or more images contain it, and in train always.
 */
export function splitByImage(classPixels: readonly ArrayLike<number>[], options: SplitOptions): Split {
  const n = classPixels.length;
  if (n < 2) return { train: [...Array(n).keys()], val: [] };
  const order = shuffled([...Array(n).keys()], createRng(options.seed));
  const valTarget = Math.min(n - 1, Math.max(1, Math.round(options.valFraction * n)));
  const inVal = new Uint8Array(n);
  let valCount = 0;

  const numClasses = classPixels.reduce((m, counts) => Math.max(m, counts.length), 0);
  const imagesWith = Array.from({ length: numClasses }, (_, c) => order.filter((i) => (classPixels[i][c] ?? 0) > 0));
  const classesRarestFirst = [...Array(numClasses).keys()]
    .filter((c) => imagesWith[c].length > 0)
    .sort((a, b) => imagesWith[a].length - imagesWith[b].length || a - b);

  for (const c of classesRarestFirst) {
    const holders = imagesWith[c];
    if (holders.length < 2) continue;
    const wanted = Math.min(holders.length - 1, Math.max(1, Math.round(options.valFraction * holders.length)));
    let have = holders.filter((i) => inVal[i]).length;
    for (const i of holders) {
      if (have >= wanted || valCount >= valTarget) break;
      if (inVal[i] || wouldEmptyTrainOfAClass(i, classPixels, imagesWith, inVal)) continue;
      inVal[i] = 1;
      valCount++;
      have++;
    }
  }
  for (const i of order) {
    if (valCount >= valTarget) break;
    if (inVal[i] || wouldEmptyTrainOfAClass(i, classPixels, imagesWith, inVal)) continue;
    inVal[i] = 1;
    valCount++;
  }
  return {
    train: order.filter((i) => !inVal[i]).sort((a, b) => a - b),
    val: order.filter((i) => inVal[i]).sort((a, b) => a - b),
  };
}

/** True when moving image i to val would leave some class it contains with no train image. */
function wouldEmptyTrainOfAClass(i: number, classPixels: readonly ArrayLike<number>[], imagesWith: number[][], inVal: Uint8Array): boolean {
  for (let c = 0; c < imagesWith.length; c++) {
    if (!((classPixels[i][c] ?? 0) > 0)) continue;
    if (imagesWith[c].filter((j) => !inVal[j]).length <= 1) return true;
  }
  return false;
}

/** Images grouped into units: `members[u]` are the image indices of unit u, in first-seen order. */
export interface Units {
  keys: string[];
  members: number[][];
}

/** The units of assignment: one per distinct group key (`groups[i]` is image i's). */
export function unitsOf(groups: readonly string[]): Units {
  const index = new Map<string, number>();
  const keys: string[] = [];
  const members: number[][] = [];
  groups.forEach((key, i) => {
    let u = index.get(key);
    if (u === undefined) {
      u = keys.length;
      index.set(key, u);
      keys.push(key);
      members.push([]);
    }
    members[u].push(i);
  });
  return { keys, members };
}

/** Class pixel counts of each unit (summed over its images). */
function unitCounts(classPixels: readonly ArrayLike<number>[], units: Units): number[][] {
  const numClasses = classPixels.reduce((m, counts) => Math.max(m, counts.length), 0);
  return units.members.map((images) => {
    const out = new Array<number>(numClasses).fill(0);
    for (const i of images) for (let c = 0; c < numClasses; c++) out[c] += classPixels[i][c] ?? 0;
    return out;
  });
}

const toImages = (unitIds: readonly number[], units: Units) => unitIds.flatMap((u) => units.members[u]).sort((a, b) => a - b);

/**
 * The single split by group: splitByImage over the units (groups), then back to images. With every
 * image its own group this is exactly splitByImage (same seed, same split). valFraction counts units.
 */
export function splitByGroup(classPixels: readonly ArrayLike<number>[], groups: readonly string[], options: SplitOptions): Split {
  const units = unitsOf(groups);
  const split = splitByImage(unitCounts(classPixels, units), options);
  return { train: toImages(split.train, units), val: toImages(split.val, units) };
}

/**
 * K cross-validation folds by group: every unit (and so every image) is in exactly one fold's val;
 * fold k trains on the rest. Classes rarest first (by units holding them): their unassigned holders,
 * in seeded order, go each to the fold with the fewest holders of that class so far (then fewest
 * images, then lowest index). The units holding no class left are placed largest first on the fold
 * with the fewest images. K is capped at the number of units. Returns the folds in order.
 */
export function foldsByGroup(classPixels: readonly ArrayLike<number>[], groups: readonly string[], options: { folds: number; seed: number }): Split[] {
  const units = unitsOf(groups);
  const k = Math.min(options.folds, units.keys.length);
  if (k < 2) return [splitByGroup(classPixels, groups, { valFraction: 0.2, seed: options.seed })];
  const counts = unitCounts(classPixels, units);
  const order = shuffled([...units.keys.keys()], createRng(options.seed));
  const foldOf = new Int32Array(units.keys.length).fill(-1);
  const foldImages = new Array<number>(k).fill(0);
  const numClasses = counts.reduce((m, c) => Math.max(m, c.length), 0);
  const holdersOf = Array.from({ length: numClasses }, (_, c) => order.filter((u) => counts[u][c] > 0));
  const rarestFirst = [...Array(numClasses).keys()].filter((c) => holdersOf[c].length > 0).sort((a, b) => holdersOf[a].length - holdersOf[b].length || a - b);
  const place = (u: number, f: number) => {
    foldOf[u] = f;
    foldImages[f] += units.members[u].length;
  };
  for (const c of rarestFirst) {
    const perFold = new Array<number>(k).fill(0);
    for (const u of holdersOf[c]) if (foldOf[u] >= 0) perFold[foldOf[u]]++;
    for (const u of holdersOf[c]) {
      if (foldOf[u] >= 0) continue;
      const f = argMin(k, (a, b) => perFold[a] - perFold[b] || foldImages[a] - foldImages[b]);
      place(u, f);
      perFold[f]++;
    }
  }
  const rest = order.filter((u) => foldOf[u] < 0).sort((a, b) => units.members[b].length - units.members[a].length);
  for (const u of rest) place(u, argMin(k, (a, b) => foldImages[a] - foldImages[b]));
  // A fold left empty (every unit went elsewhere: fewer holders than folds on big groups) takes the
  // smallest unit of the largest fold that has more than one.
  for (let f = 0; f < k; f++) {
    if (foldImages[f] > 0) continue;
    const donor = argMin(k, (a, b) => foldImages[b] - foldImages[a]);
    const candidates = order.filter((u) => foldOf[u] === donor).sort((a, b) => units.members[a].length - units.members[b].length);
    if (candidates.length < 2) continue;
    foldImages[donor] -= units.members[candidates[0]].length;
    place(candidates[0], f);
  }
  const all = [...Array(classPixels.length).keys()];
  return Array.from({ length: k }, (_, f) => {
    const val = toImages(order.filter((u) => foldOf[u] === f), units);
    const inVal = new Set(val);
    return { train: all.filter((i) => !inVal.has(i)), val };
  }).filter((s) => s.val.length > 0);
}

function argMin(n: number, compare: (a: number, b: number) => number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (compare(i, best) < 0) best = i;
  return best;
}
