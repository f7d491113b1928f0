/**
 * The synthetic sample dataset: satellite-like tiles in the article's setting (or a balanced
 * urban variant) with exact ground truth. Pure and seeded: the same options give the same bytes.
 */
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { UserError } from '../../common/errors.js';
import type { SampleTruth } from '../../contracts/sample.js';
import { articleLayout, balancedLayout, newBudget, ARTICLE_TARGETS, BALANCED_TARGETS, SAMPLE_CLASS_NAMES, type Layout, type LayoutBudget } from './layout.js';
import { mixSeed, Random } from './prng.js';
import { renderImage } from './render.js';
import { resolveSampleOptions, type SampleOptions } from './options.js';
import { AMBIGUITY_RULE, measureLayout } from './truth.js';

export { SAMPLE_CLASS_NAMES, AMBIGUITY_RULE };

export interface SampleItem {
  /** File basename, e.g. 'tile_0003'. */
  id: string;
  width: number;
  height: number;
  /** Class id per pixel. */
  mask: Uint8Array;
  /** Interleaved 8-bit RGB. */
  image: Uint8Array;
  /** Luma noise sigma of the image in grey levels, for the record. */
  noiseSigma: number;
}

export interface GeneratedSample {
  items: SampleItem[];
  truth: SampleTruth;
}


/**
 * Generates the sample one tile at a time (memory stays flat for any --images), accumulating the
 * truth; call `truth()` after the last tile.
 */
export class SampleGenerator {
  readonly options: SampleOptions;
  private readonly budgetRandom: Random;
  private readonly budget: LayoutBudget;
  private index = 0;
  private readonly classCount = SAMPLE_CLASS_NAMES.length;
  private readonly pixelCounts: number[];
  private readonly imagesWithClass: number[];
  private readonly objectAreas: number[][];
  private readonly boundaryPixels: number[];
  private readonly ambiguousPixels: number[];
  private readonly digits: number;

  constructor(options: Partial<SampleOptions> = {}) {
    this.options = resolveSampleOptions(options);
    const { seed, size, balanced } = this.options;
    this.budgetRandom = new Random(mixSeed(seed, 0xb0d6e7));
    this.budget = newBudget(this.budgetRandom, balanced ? BALANCED_TARGETS : ARTICLE_TARGETS, size, size);
    this.pixelCounts = new Array<number>(this.classCount).fill(0);
    this.imagesWithClass = new Array<number>(this.classCount).fill(0);
    this.objectAreas = Array.from({ length: this.classCount }, () => []);
    this.boundaryPixels = new Array<number>(this.classCount).fill(0);
    this.ambiguousPixels = new Array<number>(this.classCount).fill(0);
    this.digits = Math.max(4, String(this.options.images).length);
  }

  /** The next tile, or null after the last. */
  next(): SampleItem | null {
    if (this.index >= this.options.images) return null;
    const k = this.index++;
    const { seed, size, balanced, blurredShare } = this.options;
    // Layout decisions share one stream (the budgets carry over); each image's pixels have their own.
    const layoutRandom = new Random(mixSeed(seed, k, 1));
    const layout: Layout = (balanced ? balancedLayout : articleLayout)(size, size, this.budget, blurredShare, layoutRandom);
    const { rgb, info } = renderImage(layout, new Random(mixSeed(seed, k, 2)), balanced);
    this.record(layout);
    return { id: `tile_${String(k + 1).padStart(this.digits, '0')}`, width: size, height: size, mask: layout.mask, image: rgb, noiseSigma: info.noiseSigma };
  }

  private record(layout: Layout): void {
    const t = measureLayout(layout, this.classCount);
    for (let c = 0; c < this.classCount; c++) {
      this.pixelCounts[c] += t.pixelCounts[c];
      if (t.pixelCounts[c] > 0) this.imagesWithClass[c]++;
      for (const area of t.objectAreas[c]) this.objectAreas[c].push(area);
      this.boundaryPixels[c] += t.boundaryPixels[c];
      this.ambiguousPixels[c] += t.ambiguousPixels[c];
    }
  }

  truth(): SampleTruth {
    const total = this.pixelCounts.reduce((a, b) => a + b, 0);
    const boundary = this.boundaryPixels.reduce((a, b) => a + b, 0);
    const ambiguous = this.ambiguousPixels.reduce((a, b) => a + b, 0);
    const { seed, images, size, blurredShare, balanced } = this.options;
    return {
      schemaVersion: 1,
      kind: 'SampleTruth',
      seed,
      images: this.index,
      width: size,
      height: size,
      classNames: [...SAMPLE_CLASS_NAMES],
      pixelCounts: [...this.pixelCounts],
      classShares: this.pixelCounts.map((n) => n / total),
      imagesWithClass: [...this.imagesWithClass],
      objectCounts: this.objectAreas.map((a) => a.length),
      objectAreas: this.objectAreas.map((a) => [...a]),
      boundaryPixels: boundary,
      ambiguousBoundaryShare: boundary > 0 ? ambiguous / boundary : 0,
      ambiguousBoundaryPixels: ambiguous,
      boundaryPixelsPerClass: [...this.boundaryPixels],
      ambiguousBoundaryPixelsPerClass: [...this.ambiguousPixels],
      ambiguityRule: AMBIGUITY_RULE,
      options: { seed, images, size, blurredShare, balanced },
    };
  }
}

/** The whole sample in memory (for tests and small sets; use writeSampleDataset for big ones). */
export function generateSample(options: Partial<SampleOptions> = {}): GeneratedSample {
  const generator = new SampleGenerator(options);
  const items: SampleItem[] = [];
  for (let item = generator.next(); item; item = generator.next()) items.push(item);
  return { items, truth: generator.truth() };
}

export function encodeSampleImage(item: SampleItem): Promise<Buffer> {
  return sharp(item.image, { raw: { width: item.width, height: item.height, channels: 3 } }).png({ compressionLevel: 1, adaptiveFiltering: false }).toBuffer();
}

export function encodeSampleMask(item: SampleItem): Promise<Buffer> {
  return sharp(item.mask, { raw: { width: item.width, height: item.height, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 1, adaptiveFiltering: false }).toBuffer();
}

/**
 * An earlier sample in OUT (it has truth.json) is replaced: its tiles are removed so a smaller
 * run does not leave stale pairs behind. Any other files in OUT/images or OUT/masks stop the run.
 */
async function clearPreviousSample(outDir: string, dirs: string[]): Promise<void> {
  const hasTruth = await stat(join(outDir, 'truth.json')).then(
    (s) => s.isFile(),
    () => false,
  );
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    const foreign = names.filter((n) => !/^tile_\d+\.png$/.test(n));
    if (names.length > 0 && (!hasTruth || foreign.length > 0)) {
      throw new UserError(`${dir} already holds files (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''})`, {
        fix: 'write the sample to a new or empty folder',
      });
    }
    await Promise.all(names.map((n) => rm(join(dir, n), { force: true })));
  }
}

/**
 * Writes OUT/images/*.png (RGB), OUT/masks/*.png (8-bit class ids), OUT/classes.json and
 * OUT/truth.json. Encoding runs on libvips threads while the next tile is generated.
 */
export async function writeSampleDataset(outDir: string, options: Partial<SampleOptions> = {}, onProgress?: (done: number, total: number) => void): Promise<SampleTruth> {
  const generator = new SampleGenerator(options);
  const imagesDir = join(outDir, 'images');
  const masksDir = join(outDir, 'masks');
  await clearPreviousSample(outDir, [imagesDir, masksDir]);
  try {
    await mkdir(imagesDir, { recursive: true });
    await mkdir(masksDir, { recursive: true });
  } catch (error) {
    throw new UserError(`cannot create ${outDir}: ${(error as Error).message}`, { fix: 'choose an output folder you can write to', exitCode: 1 });
  }
  const inFlight = new Set<Promise<void>>();
  let done = 0;
  const write = async (item: SampleItem): Promise<void> => {
    const [image, mask] = await Promise.all([encodeSampleImage(item), encodeSampleMask(item)]);
    await Promise.all([writeFile(join(imagesDir, `${item.id}.png`), image), writeFile(join(masksDir, `${item.id}.png`), mask)]);
    onProgress?.(++done, generator.options.images);
  };
  for (let item = generator.next(); item; item = generator.next()) {
    const task = write(item).finally(() => inFlight.delete(task));
    inFlight.add(task);
    if (inFlight.size >= 4) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const truth = generator.truth();
  await writeFile(join(outDir, 'classes.json'), `${JSON.stringify(truth.classNames, null, 2)}\n`);
  await writeFile(join(outDir, 'truth.json'), `${JSON.stringify(truth, null, 2)}\n`);
  return truth;
}
