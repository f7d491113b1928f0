/**
 * Folds per-mask statistics into a DatasetProfile. Memory depends on the number of classes,
 * never on the number of images: counts are summed, object areas go into bounded sketches and
 * sampling variances into running sums.
 */
import { OBJECT_AREA_BIN_EDGES, PROFILE_SCHEMA_VERSION, type ClassProfile, type DatasetProfile, type Interval, type SkippedItem } from '../contracts/profile.js';
import { TOOL_INFO } from '../common/version.js';
import { AreaAccumulator, type AreaSketch } from './area-sketch.js';
import { boundaryDescription, type BoundaryOptions } from './boundary.js';
import type { MaskStats } from './mask-stats.js';
import { proportionInterval, ratioInterval, RatioSums } from './sampling.js';
import { VolumeAccumulator, type VolumeAccumulatorState } from './volume-aggregate.js';

/** With an inferred class count, more unused ids than this (and than ids in use) list ids in use only. */
export const SPARSE_UNUSED_IDS = 32;

/** A foreground class is rare below this share of valid pixels. */
export const RARE_CLASS_SHARE = 0.01;

interface ClassTotals {
  pixelCount: number;
  imagesWithClass: number;
  /** sum(y), sum(y^2), sum(x*y) over images, y = this class's pixels, x = the image's valid pixels. */
  sumY: number;
  sumYY: number;
  sumXY: number;
  objects: AreaAccumulator;
  boundaryPixels: number;
  ambiguousPixels: number;
  contrastSum: number;
}

export interface ProfileContext {
  root: string | null;
  imagesDir: string | null;
  masksDir: string;
  hasImages: boolean;
  pairsFound: number;
  ignoreIndex: number | null;
  classNames: string[] | null;
  numClasses: number | null;
  skipped: SkippedItem[];
  sample: { size: number; seed: number; population: number } | null;
  boundary: BoundaryOptions;
  /** The dataset layout read, recorded in the profile's dataset section. */
  format?: DatasetProfile['dataset']['format'];
  /** --bands: the image bands measured (1-based); absent = every band. */
  bands?: number[];
}

/**
 * Everything a ProfileAccumulator holds, as plain JSON: what a profile shard writes and `merge`
 * adds up. Every field is a sum, a min/max or a mergeable sketch, so the merged state is the state
 * one machine would have reached (floating-point sums aside, equal to about 1e-15 relative).
 */
export interface AccumulatorState {
  images: number;
  validPixels: number;
  ignoredPixels: number;
  valid: { n: number; sumX: number; sumXX: number };
  ambiguous: { n: number; sumY: number; sumX: number; sumYY: number; sumXX: number; sumXY: number };
  imagesWithBoundary: number;
  /** Images per band count ("4": 24); absent in parts written before multi-band images. */
  imageBands?: Record<string, number>;
  minSize: [number, number] | null;
  maxSize: [number, number] | null;
  classes: Array<Omit<ClassTotals, 'objects'> & { objects: AreaSketch }>;
  /** 3D facts of volume datasets (absent for 2D). */
  volumes?: VolumeAccumulatorState;
}

export class ProfileAccumulator {
  private readonly classes: ClassTotals[] = [];
  private images = 0;
  private validPixels = 0;
  private ignoredPixels = 0;
  /** n, sum(x), sum(x^2) over images of valid pixels x: the shared denominator of class shares. */
  private readonly valid = { n: 0, sumX: 0, sumXX: 0 };
  private readonly ambiguous = new RatioSums();
  private imagesWithBoundary = 0;
  private readonly imageBands: Record<string, number> = {};
  private minSize: [number, number] | null = null;
  private maxSize: [number, number] | null = null;
  /** 3D facts, when the pairs are volumes (NIfTI). */
  private volumes: VolumeAccumulator | null = null;

  get imagesProfiled(): number {
    return this.images;
  }

  add(stats: MaskStats): void {
    this.images++;
    if (stats.volume) (this.volumes ??= new VolumeAccumulator()).add(stats.volume, stats.pixelCounts);
    this.validPixels += stats.validPixels;
    this.ignoredPixels += stats.ignoredPixels;
    this.minSize = this.minSize ? [Math.min(this.minSize[0], stats.width), Math.min(this.minSize[1], stats.height)] : [stats.width, stats.height];
    this.maxSize = this.maxSize ? [Math.max(this.maxSize[0], stats.width), Math.max(this.maxSize[1], stats.height)] : [stats.width, stats.height];
    this.ensureClasses(stats.pixelCounts.length);
    const x = stats.validPixels;
    this.valid.n++;
    this.valid.sumX += x;
    this.valid.sumXX += x * x;
    // Every image is a cluster for every class; an absent class adds y = 0 (nothing to add).
    stats.pixelCounts.forEach((count, c) => {
      const totals = this.classes[c];
      totals.pixelCount += count;
      if (count > 0) totals.imagesWithClass++;
      totals.sumY += count;
      totals.sumYY += count * count;
      totals.sumXY += count * x;
      const sketch = stats.objects[c];
      if (sketch) totals.objects.merge(sketch);
    });
    if (stats.imageBands !== undefined) this.imageBands[stats.imageBands] = (this.imageBands[stats.imageBands] ?? 0) + 1;
    if (stats.boundary) {
      this.imagesWithBoundary++;
      let boundary = 0;
      let ambiguous = 0;
      stats.boundary.perClass.forEach((b, c) => {
        const totals = this.classes[c];
        totals.boundaryPixels += b.boundaryPixels;
        totals.ambiguousPixels += b.ambiguousPixels;
        totals.contrastSum += b.contrastSum;
        boundary += b.boundaryPixels;
        ambiguous += b.ambiguousPixels;
      });
      this.ambiguous.add(ambiguous, boundary);
    }
  }

  /** The accumulator as plain JSON (a profile shard's payload). */
  toState(): AccumulatorState {
    const { n, sumY, sumX, sumYY, sumXX, sumXY } = this.ambiguous;
    return {
      images: this.images,
      validPixels: this.validPixels,
      ignoredPixels: this.ignoredPixels,
      valid: { ...this.valid },
      ambiguous: { n, sumY, sumX, sumYY, sumXX, sumXY },
      imagesWithBoundary: this.imagesWithBoundary,
      imageBands: { ...this.imageBands },
      minSize: this.minSize,
      maxSize: this.maxSize,
      classes: this.classes.map((t) => ({ ...t, objects: t.objects.toSketch() })),
      ...(this.volumes ? { volumes: this.volumes.toState() } : {}),
    };
  }

  /** Adds another accumulator's state (a shard's) to this one, as if its masks had been added here. */
  addState(state: AccumulatorState): void {
    this.images += state.images;
    this.validPixels += state.validPixels;
    this.ignoredPixels += state.ignoredPixels;
    this.valid.n += state.valid.n;
    this.valid.sumX += state.valid.sumX;
    this.valid.sumXX += state.valid.sumXX;
    const a = this.ambiguous;
    a.n += state.ambiguous.n;
    a.sumY += state.ambiguous.sumY;
    a.sumX += state.ambiguous.sumX;
    a.sumYY += state.ambiguous.sumYY;
    a.sumXX += state.ambiguous.sumXX;
    a.sumXY += state.ambiguous.sumXY;
    this.imagesWithBoundary += state.imagesWithBoundary;
    if (state.volumes) (this.volumes ??= new VolumeAccumulator()).addState(state.volumes);
    for (const [bands, images] of Object.entries(state.imageBands ?? {})) this.imageBands[bands] = (this.imageBands[bands] ?? 0) + images;
    if (state.minSize) this.minSize = this.minSize ? [Math.min(this.minSize[0], state.minSize[0]), Math.min(this.minSize[1], state.minSize[1])] : [...state.minSize];
    if (state.maxSize) this.maxSize = this.maxSize ? [Math.max(this.maxSize[0], state.maxSize[0]), Math.max(this.maxSize[1], state.maxSize[1])] : [...state.maxSize];
    this.ensureClasses(state.classes.length);
    state.classes.forEach((from, c) => {
      const to = this.classes[c];
      to.pixelCount += from.pixelCount;
      to.imagesWithClass += from.imagesWithClass;
      to.sumY += from.sumY;
      to.sumYY += from.sumYY;
      to.sumXY += from.sumXY;
      to.objects.merge(from.objects);
      to.boundaryPixels += from.boundaryPixels;
      to.ambiguousPixels += from.ambiguousPixels;
      to.contrastSum += from.contrastSum;
    });
  }

  private ensureClasses(count: number): void {
    while (this.classes.length < count) {
      this.classes.push({ pixelCount: 0, imagesWithClass: 0, sumY: 0, sumYY: 0, sumXY: 0, objects: new AreaAccumulator(), boundaryPixels: 0, ambiguousPixels: 0, contrastSum: 0 });
    }
  }

  toProfile(context: ProfileContext, elapsedSeconds: number): DatasetProfile {
    const numClasses = Math.max(context.numClasses ?? 0, context.classNames?.length ?? 0, this.classes.length);
    this.ensureClasses(numClasses);
    const sampled = context.sample !== null;
    const population = context.sample?.population ?? this.images;
    const shareCI = (c: number): Interval | null =>
      sampled ? ratioInterval({ ...this.valid, sumY: this.classes[c].sumY, sumYY: this.classes[c].sumYY, sumXY: this.classes[c].sumXY }, population) : null;
    const valid = this.validPixels;
    const measuredBoundary = context.hasImages && this.imagesWithBoundary > 0;
    const ignore = context.ignoreIndex;

    // With a class count inferred from the masks, ids that never occur are gaps, not classes: when
    // they outnumber the ids in use (sparse 16-bit ids up to 60000), only ids in use are listed.
    const declared = context.numClasses !== null || context.classNames !== null;
    const inUse = (c: number): boolean => this.classes[c].pixelCount > 0;
    let usedIds = 0;
    for (let c = 0; c < numClasses; c++) if (c !== ignore && inUse(c)) usedIds++;
    const unusedIds = numClasses - usedIds - (ignore !== null && ignore < numClasses ? 1 : 0);
    const listUsedOnly = !declared && unusedIds > Math.max(SPARSE_UNUSED_IDS, usedIds);

    const classes: ClassProfile[] = [];
    for (let c = 0; c < numClasses; c++) {
      if (c === ignore) continue;
      if (listUsedOnly && c !== 0 && !inUse(c)) continue;
      const t = this.classes[c];
      classes.push({
        id: c,
        name: context.classNames?.[c] ?? `class ${c}`,
        pixelCount: t.pixelCount,
        pixelShare: valid > 0 ? t.pixelCount / valid : 0,
        pixelShareCI95: shareCI(c),
        imagesWithClass: t.imagesWithClass,
        imageShare: this.images > 0 ? t.imagesWithClass / this.images : 0,
        imageShareCI95: sampled ? proportionInterval(t.imagesWithClass, this.images, population) : null,
        objects: {
          count: t.objects.count,
          areaHistogram: [...t.objects.articleBins],
          areaP10: t.objects.quantile(0.1),
          areaP50: t.objects.quantile(0.5),
          areaP90: t.objects.quantile(0.9),
          areaMin: t.objects.count ? t.objects.min : null,
          areaMax: t.objects.count ? t.objects.max : null,
        },
        boundary: measuredBoundary
          ? {
              boundaryPixels: t.boundaryPixels,
              ambiguousShare: t.boundaryPixels > 0 ? t.ambiguousPixels / t.boundaryPixels : null,
              meanContrast: t.boundaryPixels > 0 ? t.contrastSum / t.boundaryPixels : null,
            }
          : null,
      });
    }

    const foreground = classes.filter((c) => c.id !== 0);
    const presentForeground = foreground.filter((c) => c.pixelCount > 0);
    const smallest = presentForeground.reduce<ClassProfile | null>((min, c) => (min === null || c.pixelShare < min.pixelShare ? c : min), null);
    const presentShares = classes.filter((c) => c.pixelCount > 0).map((c) => c.pixelShare);
    const foregroundObjects = new AreaAccumulator();
    for (const c of foreground) foregroundObjects.merge(this.classes[c.id].objects.toSketch());
    const p10 = foregroundObjects.quantile(0.1);
    const p90 = foregroundObjects.quantile(0.9);
    const backgroundShare = valid > 0 && ignore !== 0 ? this.classes[0].pixelCount / valid : 0;
    // No valid pixels: neither background nor foreground (not "foreground 100%").
    const foregroundShare = valid > 0 ? 1 - backgroundShare : 0;
    const classCount = numClasses - (ignore !== null && ignore < numClasses ? 1 : 0);
    const classNames = listUsedOnly
      ? Array.from({ length: numClasses }, (_, c) => `class ${c}`).filter((_, c) => c !== ignore)
      : classes.map((c) => c.name);
    const backgroundCI = ignore !== 0 ? shareCI(0) : null;
    const totalBoundary = classes.reduce((s, c) => s + (c.boundary?.boundaryPixels ?? 0), 0);
    const totalAmbiguous = classes.reduce((s, c) => s + this.classes[c.id].ambiguousPixels, 0);
    const totalContrast = classes.reduce((s, c) => s + this.classes[c.id].contrastSum, 0);

    return {
      schemaVersion: PROFILE_SCHEMA_VERSION,
      kind: 'DatasetProfile',
      createdAt: new Date().toISOString(),
      tool: { ...TOOL_INFO },
      dataset: {
        root: context.root,
        imagesDir: context.imagesDir,
        masksDir: context.masksDir,
        hasImages: context.hasImages,
        pairsFound: context.pairsFound,
        pairsProfiled: this.images,
        ignoreIndex: context.ignoreIndex,
        classNames,
        minSize: this.minSize,
        maxSize: this.maxSize,
        skipped: context.skipped,
        sample: context.sample,
        ...(context.format ? { format: context.format } : {}),
        ...(context.bands ? { bands: context.bands } : {}),
        ...(Object.keys(this.imageBands).length > 0 ? { imageBands: { ...this.imageBands } } : {}),
      },
      method: {
        connectivity: 8,
        areaBinEdges: [...OBJECT_AREA_BIN_EDGES],
        boundary: measuredBoundary ? { description: boundaryDescription(context.boundary), parameters: { ...context.boundary } } : null,
      },
      classes,
      aggregates: {
        numClasses: classCount,
        imagesProfiled: this.images,
        validPixels: valid,
        ignoredPixels: this.ignoredPixels,
        backgroundShare,
        backgroundShareCI95: backgroundCI,
        foregroundShare,
        foregroundShareCI95: backgroundCI ? [1 - backgroundCI[1], 1 - backgroundCI[0]] : null,
        smallestForegroundShare: smallest?.pixelShare ?? 0,
        smallestForegroundShareCI95: smallest?.pixelShareCI95 ?? null,
        smallestForegroundClassId: smallest?.id ?? -1,
        absentClassIds: foreground.filter((c) => c.pixelCount === 0).map((c) => c.id),
        imbalanceRatio: presentShares.length > 0 ? Math.max(...presentShares) / Math.min(...presentShares) : 1,
        rareClassCount: presentForeground.filter((c) => c.pixelShare < RARE_CLASS_SHARE).length,
        objectCount: foregroundObjects.count,
        smallObjectShare: foregroundObjects.count > 0 ? foregroundObjects.articleBins[0] / foregroundObjects.count : null,
        scaleSpreadDecades: p10 !== null && p90 !== null ? Math.log10(p90 / p10) : null,
        objectAreaP10: p10,
        objectAreaP50: foregroundObjects.quantile(0.5),
        objectAreaP90: p90,
        ambiguousBoundaryShare: measuredBoundary && totalBoundary > 0 ? totalAmbiguous / totalBoundary : null,
        ambiguousBoundaryShareCI95: measuredBoundary && sampled ? this.ambiguous.interval(population) : null,
        meanBoundaryContrast: measuredBoundary && totalBoundary > 0 ? totalContrast / totalBoundary : null,
      },
      ...(this.volumes ? { volumes: this.volumes.toProfile(classes) } : {}),
      elapsedSeconds,
    };
  }
}
