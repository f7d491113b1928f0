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
