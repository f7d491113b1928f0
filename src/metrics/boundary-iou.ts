/**
 * Boundary IoU (Cheng et al. 2021, "Boundary IoU: Improving Object-Centric Image Segmentation
 * Evaluation"), exactly as their reference `mask_to_boundary` computes it:
 *   d = round(0.02 * sqrt(H^2 + W^2)) with Python's round (half to even), at least 1 px
 *   the mask is zero-padded by 1 px and eroded d times with a 3x3 square (cv2.erode), i.e. a
 *   pixel survives iff the (2d+1)x(2d+1) window around it lies inside the image and is all mask
 *   boundary = mask minus its erosion
 *   Boundary IoU = |B_label ∩ B_pred| / |B_label ∪ B_pred|, null when both boundaries are empty
 * Per class c the masks are (label == c) and (prediction == c) over the whole image; pixels with
 * the ignore index are in neither label mask, and (as in the reference cases) still count for
 * the prediction. Erosion uses run lengths per row then per column (O(H*W)); per class, all
 * classes are done in one pass over the label map (uniformWindows).
 */

/** Python's round(): to the nearest integer, halves to the even neighbour. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The erosion depth in pixels for an image: round(ratio * diagonal), at least 1. */
export function boundaryDilation(width: number, height: number, ratio = 0.02): number {
  return Math.max(1, roundHalfEven(ratio * Math.sqrt(width * width + height * height)));
}

/** Erodes a 0/1 mask with a (2d+1)^2 square, outside the image counting as 0. */
export function erodeMask(mask: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const horizontal = new Uint8Array(mask.length);
  const run = new Int32Array(Math.max(width, height));
  const need = depth + 1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    // run[x] = ones ending at x from the left; then scan from the right and require both sides.
    let left = 0;
    for (let x = 0; x < width; x++) {
      left = mask[row + x] ? left + 1 : 0;
      run[x] = left;
    }
    let right = 0;
    for (let x = width - 1; x >= 0; x--) {
      right = mask[row + x] ? right + 1 : 0;
      horizontal[row + x] = run[x] >= need && right >= need ? 1 : 0;
    }
  }
  const eroded = new Uint8Array(mask.length);
  for (let x = 0; x < width; x++) {
    let up = 0;
    for (let y = 0; y < height; y++) {
      up = horizontal[y * width + x] ? up + 1 : 0;
      run[y] = up;
    }
    let down = 0;
    for (let y = height - 1; y >= 0; y--) {
      down = horizontal[y * width + x] ? down + 1 : 0;
      eroded[y * width + x] = run[y] >= need && down >= need ? 1 : 0;
    }
  }
  return eroded;
}

/** The inner boundary band of a 0/1 mask: mask minus its erosion. */
export function maskBoundary(mask: Uint8Array, width: number, height: number, dilation: number): Uint8Array {
  const eroded = erodeMask(mask, width, height, dilation);
  const boundary = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) boundary[i] = mask[i] && !eroded[i] ? 1 : 0;
  return boundary;
}

function iouOfBoundaries(a: Uint8Array, b: Uint8Array): number | null {
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    intersection += a[i] & b[i];
    union += a[i] | b[i];
  }
  return union === 0 ? null : intersection / union;
}

/** Boundary IoU of two 0/1 masks of one image (row-major, width x height). */
export function boundaryIoU(labelMask: Uint8Array, predMask: Uint8Array, width: number, height: number, dilationRatio = 0.02): number | null {
  if (labelMask.length !== width * height || predMask.length !== width * height) {
    throw new RangeError(`masks must have ${width * height} pixels, got ${labelMask.length} and ${predMask.length}`);
  }
  const d = boundaryDilation(width, height, dilationRatio);
  return iouOfBoundaries(maskBoundary(labelMask, width, height, d), maskBoundary(predMask, width, height, d));
}

/**
 * 1 where the (2d+1)x(2d+1) window around a pixel lies inside the image and holds a single value.
 * For a 0/1 mask, mask AND this is the erosion; for a label map, a class-c pixel is on the class-c
 * boundary exactly when its window is not uniform. Run lengths of equal values per row, then per
 * column over the rows that passed: O(H*W) for all classes at once.
 */
export function uniformWindows(values: ArrayLike<number>, width: number, height: number, depth: number): Uint8Array {
  const need = depth + 1;
  const horizontal = new Uint8Array(width * height);
  const run = new Int32Array(Math.max(width, height));
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) run[x] = x > 0 && values[row + x] === values[row + x - 1] ? run[x - 1] + 1 : 1;
    let right = 0;
    for (let x = width - 1; x >= 0; x--) {
      right = x < width - 1 && values[row + x] === values[row + x + 1] ? right + 1 : 1;
      horizontal[row + x] = run[x] >= need && right >= need ? 1 : 0;
    }
  }
  const uniform = new Uint8Array(width * height);
  const sameAbove = (i: number) => horizontal[i] && horizontal[i - width] && values[i] === values[i - width];
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const i = y * width + x;
      run[y] = !horizontal[i] ? 0 : y > 0 && sameAbove(i) ? run[y - 1] + 1 : 1;
    }
    let down = 0;
    for (let y = height - 1; y >= 0; y--) {
      const i = y * width + x;
      down = !horizontal[i] ? 0 : y < height - 1 && sameAbove(i + width) ? down + 1 : 1;
      uniform[i] = run[y] >= need && down >= need ? 1 : 0;
    }
  }
  return uniform;
}

/**
 * Boundary IoU per class for one image: entry c compares (labels == c) with (predictions == c);
 * null where both boundaries are empty (the class is in neither). One pass for all classes; equal
 * to boundaryIoU on each class's pair of masks.
 */
export function boundaryIoUPerClass(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  width: number,
  height: number,
  numClasses: number,
  ignoreIndex: number | null,
  dilationRatio = 0.02,
): Array<number | null> {
  const size = width * height;
  if (labels.length !== size || predictions.length !== size) {
    throw new RangeError(`labels and predictions must have ${size} pixels, got ${labels.length} and ${predictions.length}`);
  }
  const d = boundaryDilation(width, height, dilationRatio);
  const labelInterior = uniformWindows(labels, width, height, d);
  const predInterior = uniformWindows(predictions, width, height, d);
  const intersection = new Float64Array(numClasses);
  const union = new Float64Array(numClasses);
  for (let i = 0; i < size; i++) {
    const l = labels[i];
    const p = predictions[i];
    const labelBoundary = !labelInterior[i] && l !== ignoreIndex && l >= 0 && l < numClasses ? l : -1;
    const predBoundary = !predInterior[i] && p >= 0 && p < numClasses ? p : -1;
    if (labelBoundary >= 0) union[labelBoundary]++;
    if (predBoundary >= 0 && predBoundary !== labelBoundary) union[predBoundary]++;
    if (labelBoundary >= 0 && labelBoundary === predBoundary) intersection[labelBoundary]++;
  }
  return Array.from(union, (u, c) => (u > 0 ? intersection[c] / u : null));
}
