/** Builds valid DatasetProfile objects from a few aggregates, for rule tests. */
import type { ClassProfile, DatasetProfile, ProfileAggregates } from '../../src/contracts/profile.js';

export interface ProfileSpec {
  /** Pixel share per class id (class 0 = background). Aggregates derive from it unless overridden. */
  shares?: number[];
  hasImages?: boolean;
  aggregates?: Partial<ProfileAggregates>;
}

const PIXELS = 1_000_000;

export function buildProfile(spec: ProfileSpec = {}): DatasetProfile {
  const shares = spec.shares ?? [0.5, 0.2, 0.15, 0.15];
  const present = shares.map((share, id) => ({ share, id })).filter((c) => c.share > 0);
  const foreground = present.filter((c) => c.id > 0);
  const smallest = foreground.reduce((min, c) => (c.share < min.share ? c : min), foreground[0] ?? { share: 0, id: 0 });
  const largest = Math.max(...present.map((c) => c.share));
  const hasImages = spec.hasImages ?? true;
  const classes: ClassProfile[] = shares.map((share, id) => ({
    id,
    name: id === 0 ? 'background' : `class${id}`,
    pixelCount: Math.round(share * PIXELS),
    pixelShare: share,
    pixelShareCI95: null,
    imagesWithClass: share > 0 ? 10 : 0,
    imageShare: share > 0 ? 1 : 0,
    imageShareCI95: null,
    objects: { count: 0, areaHistogram: [0, 0, 0, 0], areaP10: null, areaP50: null, areaP90: null, areaMin: null, areaMax: null },
    boundary: null,
  }));
  const aggregates: ProfileAggregates = {
    numClasses: shares.length,
    imagesProfiled: 10,
    validPixels: PIXELS,
    ignoredPixels: 0,
    backgroundShare: shares[0],
    backgroundShareCI95: null,
    foregroundShare: 1 - shares[0],
    foregroundShareCI95: null,
    smallestForegroundShare: smallest.share,
    smallestForegroundShareCI95: null,
    smallestForegroundClassId: smallest.id,
    absentClassIds: shares.map((s, id) => ({ s, id })).filter((c) => c.id > 0 && c.s === 0).map((c) => c.id),
    imbalanceRatio: largest / Math.min(...present.map((c) => c.share)),
    rareClassCount: foreground.filter((c) => c.share < 0.01).length,
    objectCount: 100,
    smallObjectShare: 0.1,
    scaleSpreadDecades: 0.5,
    objectAreaP10: 300,
    objectAreaP50: 600,
    objectAreaP90: 1000,
    ambiguousBoundaryShare: hasImages ? 0.1 : null,
    ambiguousBoundaryShareCI95: null,
    meanBoundaryContrast: hasImages ? 5 : null,
    ...spec.aggregates,
  };
  return {
    schemaVersion: 1,
    kind: 'DatasetProfile',
    createdAt: '2026-01-01T00:00:00.000Z',
    tool: { name: 'segloss', version: 'test' },
    dataset: {
      root: '/data',
      imagesDir: hasImages ? '/data/images' : null,
      masksDir: '/data/masks',
      hasImages,
      pairsFound: 10,
      pairsProfiled: 10,
      ignoreIndex: 255,
      classNames: classes.map((c) => c.name),
      minSize: [64, 64],
      maxSize: [64, 64],
      skipped: [],
      sample: null,
    },
    method: { connectivity: 8, areaBinEdges: [100, 1000, 10000], boundary: null },
    classes,
    aggregates,
    elapsedSeconds: 1,
  };
}

/** The article's satellite data: background 98.7%, rarest class 0.03%. */
export const ARTICLE_SHARES = [0.987, 0.006, 0.004, 0.0017, 0.001, 0.0003];
/** Four balanced classes. */
export const BALANCED_SHARES = [0.28, 0.25, 0.24, 0.23];
