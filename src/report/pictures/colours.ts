/**
 * The class colours of every picture of predictions (overlays, contact sheets, their legends):
 * each class blended in its colour over the image, the background class unpainted: class 0 by
 * default, the dataset's own background id (--background ID, e.g. 255) or none (--background none,
 * Cityscapes' 19 trainIds: every class painted). The palette follows the painted classes in order,
 * so no two of the first 12 share a colour whichever id is the background.
 */

/** Distinct colours for classes 1.. (class 0, background, is left unpainted); they repeat after 12. */
export const OVERLAY_PALETTE: Array<[number, number, number]> = [
  [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180],
  [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [170, 110, 40],
];
const ALPHA = 0.5;

/** The pixels and size of an image to paint on (a VerifyImage fits). */
export interface PaintableImage {
  width: number;
  height: number;
  /** Interleaved HWC pixels with `channels` channels (1 grey, 3 RGB, or any number of bands). */
  pixels: Uint8Array;
  channels: number;
}

/** The colour a class is painted in; `background` (default 0; -1: none) is not painted. */
export function classColour(classId: number, background = 0): [number, number, number] {
  // Painted classes in order: ids above the background move down one.
  const rank = background >= 0 && classId > background ? classId - 1 : classId;
  return OVERLAY_PALETTE[rank % OVERLAY_PALETTE.length];
}

/**
 * RGB pixels of `image` with `classes` (per pixel) blended over it. A multi-band image is shown
 * through its first three channels as red, green and blue (bands 1-3, or the first three chosen
 * with --bands, e.g. 4,3,2 for NIR false colour); one or two channels as grey (the first).
 */
export function blendOverlay(image: PaintableImage, classes: ArrayLike<number>, numClasses: number, background = 0): Uint8Array {
  const out = new Uint8Array(image.width * image.height * 3);
  const colours = Array.from({ length: numClasses }, (_, c) => classColour(c, background));
  for (let i = 0; i < image.width * image.height; i++) {
    const c = classes[i];
    const painted = c >= 0 && c < numClasses && c !== background;
    for (let k = 0; k < 3; k++) {
      const base = image.pixels[i * image.channels + (image.channels >= 3 ? k : 0)];
      out[i * 3 + k] = painted ? Math.round((1 - ALPHA) * base + ALPHA * colours[c][k]) : base;
    }
  }
  return out;
}
