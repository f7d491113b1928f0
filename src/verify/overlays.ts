/**
 * Val prediction pictures: the image with each predicted foreground class blended in its colour
 * (50%), one PNG per candidate per val image (the first few), plus the ground truth the same way,
 * so predictions can be compared by eye; and, once every candidate has predicted, one contact sheet
 * of those images (image | ground truth | each candidate, src/report/pictures/contact-sheet.ts).
 * Encoded with sharp, written atomically (temp + rename). A run first clears the overlays an
 * earlier run left in the same --out (createOverlayWriter), so overlays/ never mixes candidates or
 * images of two runs.
 */
import { readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { prepareOutputFolder, writeFileAtomic } from '../common/output.js';
import { blendOverlay } from '../report/pictures/colours.js';
import { contactSheetPng } from '../report/pictures/contact-sheet.js';
import { shortNames, type NamedCandidate } from '../report/short-names.js';
import type { VerifyImage } from './data.js';

export { blendOverlay, OVERLAY_PALETTE } from '../report/pictures/colours.js';

/** Where the contact sheet is written, relative to the --out folder. */
export const CONTACT_SHEET_PATH = join('pictures', 'contact-sheet.png');

async function writePng(path: string, image: VerifyImage, rgb: Uint8Array): Promise<void> {
  const png = await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
  await writeFileAtomic(path, png);
}

/** A file name from an id: letters (any script), digits, '.', '_' and '-' kept, the rest '_', at most 120 characters. */
function safeName(text: string): string {
  return text.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^\.+/, '_').slice(0, 120);
}

/** The folder of a candidate's overlays: never `truth`, which holds the ground truth (a rule file may name a recipe so). */
export function candidateFolderName(candidateId: string): string {
  const name = safeName(candidateId);
  return name === 'truth' ? 'truth-candidate' : name;
}

/**
 * The file names of `ids`, one each: ids that differ only in what safeName replaces ("a b" and
 * "a_b", or two names in a script it once dropped) get -2, -3 ..., instead of one picture
 * silently overwriting another.
 */
export function overlayFileNames(ids: readonly string[]): string[] {
  const used = new Set<string>();
  return ids.map((id) => {
    const base = safeName(id);
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}-${k}`;
    used.add(name);
    return `${name}.png`;
  });
}

/**
 * Writes DIR/overlays/<candidate>/<image>.png for the first `count` images and, once per image,
 * DIR/overlays/truth/<image>.png. Returns the candidate's paths.
 */
export async function writeOverlays(dir: string, candidateId: string, images: readonly VerifyImage[], predictions: readonly Uint8Array[], numClasses: number, count: number, background = 0): Promise<string[]> {
  const candidateDir = join(dir, 'overlays', candidateFolderName(candidateId));
  const truthDir = join(dir, 'overlays', 'truth');
  await prepareOutputFolder(candidateDir);
  await prepareOutputFolder(truthDir);
  const paths: string[] = [];
  const shown = images.slice(0, Math.max(0, count));
  const names = overlayFileNames(shown.map((image) => image.id));
  for (let i = 0; i < shown.length; i++) {
    const image = shown[i];
    const path = join(candidateDir, names[i]);
    await writePng(path, image, blendOverlay(image, predictions[i], numClasses, background));
    await writePng(join(truthDir, names[i]), image, blendOverlay(image, image.labels, numClasses, background));
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
export function createOverlayWriter(dir: string, numClasses: number, count: number, background = 0): (candidateId: string, images: readonly VerifyImage[], predictions: readonly Uint8Array[]) => Promise<string[]> {
  let cleared: Promise<void> | null = null;
  return async (candidateId, images, predictions) => {
    cleared ??= clearOverlays(dir);
    await cleared;
    return writeOverlays(dir, candidateId, images, predictions, numClasses, count, background);
  };
}

export interface PredictionPictures {
  /** For RunHooks.onPredictions: writes the candidate's overlays and keeps its first predictions. */
  onPredictions: (plan: { id: string; label: string; isRecommended?: boolean; recipe?: NamedCandidate['recipe'] }, images: VerifyImage[], predictions: Uint8Array[]) => Promise<string[]>;
  /**
   * Writes DIR/pictures/contact-sheet.png from the kept predictions, columns in `order` (candidate
   * ids; others after them). Returns its path, or null when no candidate predicted.
   */
  writeContactSheet: (order?: readonly string[]) => Promise<string | null>;
}

/** Overlays as each candidate's predictions arrive (its latest call wins), and one contact sheet at the end. */
export function createPredictionPictures(dir: string, options: { numClasses: number; classNames: readonly string[]; count: number; background?: number }): PredictionPictures {
  const kept = new Map<string, { id: string; label: string; isRecommended: boolean; recipe?: NamedCandidate['recipe']; images: VerifyImage[]; predictions: Uint8Array[] }>();
  const writeCandidateOverlays = createOverlayWriter(dir, options.numClasses, options.count, options.background ?? 0);
  return {
    async onPredictions(plan, images, predictions) {
      kept.set(plan.id, { id: plan.id, label: plan.label, isRecommended: plan.isRecommended ?? false, recipe: plan.recipe, images: images.slice(0, options.count), predictions: predictions.slice(0, options.count) });
      return writeCandidateOverlays(plan.id, images, predictions);
    },
    async writeContactSheet(order = []) {
      const ids = [...order.filter((id) => kept.has(id)), ...[...kept.keys()].filter((id) => !order.includes(id))];
      if (ids.length === 0) return null;
      const images = kept.get(ids[0])!.images;
      if (images.length === 0) return null;
      const png = await contactSheetPng({
        images,
        // Column headers by short name (src/report/short-names.ts), as in every other table and legend.
        candidates: ids.map((id, _, all) => ({ ...kept.get(id)!, label: shortNames(all.map((x) => kept.get(x)!)).get(id)! })),
        classNames: options.classNames,
        numClasses: options.numClasses,
        background: options.background ?? 0,
      });
      const path = join(dir, CONTACT_SHEET_PATH);
      await prepareOutputFolder(join(dir, 'pictures'));
      await writeFileAtomic(path, png);
      return path;
    },
  };
}
