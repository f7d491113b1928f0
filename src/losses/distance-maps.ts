/**
 * Per-class distance maps of label masks, computed from the labels outside the gradient (they are
 * constants of the loss, as in the reference implementations, which compute them in the data
 * loader or under torch.no_grad()).
 *
 * - signedDistanceMaps: Kervadec et al.'s `one_hot2dist` (LIVIAETS/boundary-loss utils.py), per
 *   image and class k: outside k, the distance to the nearest k pixel (>= 1); inside k, minus
 *   (the distance to the nearest non-k pixel - 1), so the inner rim is 0 and the interior negative.
 *   A class absent from the image gets 0 everywhere ("another class will supervise that pixel").
 * - unsignedDistanceField: MONAI HausdorffDTLoss.distance_field: every pixel's distance to the
 *   nearest pixel on the other side of the mask (edt(fg) + edt(bg)), no offset.
 * Both leave a mask that is empty or covers the whole image at 0: there is no boundary to measure
 * (MONAI skips it explicitly; scipy's transform has no valid answer there, scipy issue #15585).
 *
 * Ignored pixels (label = ignore index) belong to no class: the class-k mask is the labelled k
 * pixels, the one-hot row of an ignored pixel being all zero, exactly as every other loss builds
 * its targets. So an object's rim next to an ignored band sits at the band (its interior depth is
 * never overstated by guessing labels there), and the maps are what `one_hot2dist` gives on the
 * masked one-hot. The losses leave ignored pixels out of their means; the maps are 0 there.
 */
import { squaredDistanceToSites } from './distance-transform.js';

/**
 * Distance from each pixel to the nearest pixel on the other side of `mask` (h x w, row-major),
 * or null when the mask is empty or full.
 */
export function unsignedDistanceField(mask: Uint8Array, height: number, width: number): Float64Array | null {
  let inside = 0;
  for (let i = 0; i < mask.length; i++) inside += mask[i];
  if (inside === 0 || inside === mask.length) return null;
  const toInside = squaredDistanceToSites(mask, height, width);
  const outsideMask = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) outsideMask[i] = 1 - mask[i];
  const toOutside = squaredDistanceToSites(outsideMask, height, width);
  const field = new Float64Array(mask.length);
  for (let i = 0; i < mask.length; i++) field[i] = Math.sqrt(mask[i] ? toOutside[i] : toInside[i]);
  return field;
}

/** The class-k mask of one image: labelled k (ignored pixels are in no class). */
export function classMask(labels: ArrayLike<number>, offset: number, size: number, classId: number): Uint8Array {
  const mask = new Uint8Array(size);
  for (let i = 0; i < size; i++) mask[i] = labels[offset + i] === classId ? 1 : 0;
  return mask;
}

/**
 * one_hot2dist for a batch of labels [N,H,W] (row-major): signed distance maps [N,H,W,C] (NHWC,
 * float32 for the tensor), 0 at ignored pixels and for absent or image-filling classes.
 */
export function signedDistanceMaps(labels: ArrayLike<number>, shape: [number, number, number], numClasses: number, ignoreIndex: number | null): Float32Array {
  const [n, h, w] = shape;
  const size = h * w;
  const maps = new Float32Array(n * size * numClasses);
  for (let image = 0; image < n; image++) {
    for (let k = 0; k < numClasses; k++) {
      if (k === ignoreIndex) continue;
      const mask = classMask(labels, image * size, size, k);
      const field = unsignedDistanceField(mask, h, w);
      if (!field) continue;
      for (let i = 0; i < size; i++) {
        if (labels[image * size + i] === ignoreIndex) continue;
        maps[(image * size + i) * numClasses + k] = mask[i] ? -(field[i] - 1) : field[i];
      }
    }
  }
  return maps;
}
