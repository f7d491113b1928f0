/**
 * Val prediction overlays: the image with each predicted foreground class blended in its colour
 * (50%), one PNG per candidate per val image (the first few), plus the ground truth the same way,
 * so predictions can be compared by eye. Encoded with sharp, written atomically (temp + rename).
 * A run first clears the overlays an earlier run left in the same --out (createOverlayWriter), so
 * overlays/ never mixes candidates or images of two runs.
 */
import { readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { prepareOutputFolder, writeFileAtomic } from '../common/output.js';
import type { VerifyImage } from './data.js';

/** Distinct colours for classes 1.. (class 0, background, is left unpainted). */
export const OVERLAY_PALETTE: Array<[number, number, number]> = [
  [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180],
  [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [170, 110, 40],
];
const ALPHA = 0.5;

/** RGB pixels of `image` with `classes` (per pixel) blended over it. */
export function blendOverlay(image: VerifyImage, classes: ArrayLike<number>, numClasses: number): Uint8Array {
  const out = new Uint8Array(image.width * image.height * 3);
  for (let i = 0; i < image.width * image.height; i++) {
    const c = classes[i];
    for (let k = 0; k < 3; k++) {
      const base = image.pixels[i * image.channels + (image.channels === 3 ? k : 0)];
      out[i * 3 + k] = c > 0 && c < numClasses ? Math.round((1 - ALPHA) * base + ALPHA * OVERLAY_PALETTE[(c - 1) % OVERLAY_PALETTE.length][k]) : base;
    }
  }
  return out;
}

async function writePng(path: string, image: VerifyImage, rgb: Uint8Array): Promise<void> {
  const png = await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
  await writeFileAtomic(path, png);
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/**
 * Writes DIR/overlays/<candidate>/<image>.png for the first `count` images and, once per image,
 * DIR/overlays/truth/<image>.png. Returns the candidate's paths.
 */
export async function writeOverlays(dir: string, candidateId: string, images: readonly VerifyImage[], predictions: readonly Uint8Array[], numClasses: number, count: number): Promise<string[]> {
  const candidateDir = join(dir, 'overlays', safeName(candidateId));
  const truthDir = join(dir, 'overlays', 'truth');
  await prepareOutputFolder(candidateDir);
  await prepareOutputFolder(truthDir);
  const paths: string[] = [];
  for (let i = 0; i < Math.min(count, images.length); i++) {
    const image = images[i];
    const path = join(candidateDir, `${safeName(image.id)}.png`);
    await writePng(path, image, blendOverlay(image, predictions[i], numClasses));
    await writePng(join(truthDir, `${safeName(image.id)}.png`), image, blendOverlay(image, image.labels, numClasses));
    paths.push(path);
  }
  return paths;
}

/**
 * Removes what segloss wrote under DIR/overlays: the PNGs in its sub-folders, then those folders
 * and overlays/ itself when empty. Anything else a user put there stays.
 */
export async function clearOverlays(dir: string): Promise<void> {
  const root = join(dir, 'overlays');
  let folders;
  try {
    folders = await readdir(root, { withFileTypes: true });
  } catch {
    return; // no overlays yet
  }
  for (const folder of folders.filter((entry) => entry.isDirectory())) {
    const path = join(root, folder.name);
    for (const file of await readdir(path, { withFileTypes: true })) {
      if (file.isFile() && file.name.endsWith('.png')) await unlink(join(path, file.name));
    }
    await rmdir(path).catch(() => {});
  }
  await rmdir(root).catch(() => {});
}

/**
 * The overlay writer of one run: its first call clears the overlays of an earlier run in DIR
 * (lazily, so a run that stops before any candidate finished leaves the earlier results whole),
 * then every call writes one candidate's overlays.
 */
export function createOverlayWriter(dir: string, numClasses: number, count: number): (candidateId: string, images: readonly VerifyImage[], predictions: readonly Uint8Array[]) => Promise<string[]> {
  let cleared: Promise<void> | null = null;
  return async (candidateId, images, predictions) => {
    cleared ??= clearOverlays(dir);
    await cleared;
    return writeOverlays(dir, candidateId, images, predictions, numClasses, count);
  };
}
