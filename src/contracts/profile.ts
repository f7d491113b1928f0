/**
 * DatasetProfile: what profiler/ measures, what rules/ reads. Plain JSON, versioned.
 * Every share is in [0, 1]; every count is a plain integer; `null` means "not measurable here"
 * (for example boundary measures on a masks-only dataset), never "zero".
 */
export const PROFILE_SCHEMA_VERSION = 1 as const;

/** Upper edges (exclusive) of the article's object-area bins in pixels: <100, 100-1k, 1k-10k, >=10k. */
export const OBJECT_AREA_BIN_EDGES = [100, 1000, 10000] as const;
export const OBJECT_AREA_BIN_LABELS = ['<100', '100-1k', '1k-10k', '>=10k'] as const;

/** A 95% confidence interval [low, high]; null when the whole dataset was profiled (no sampling error). */
export type Interval = [number, number];

/** A pair (or lone file) the run left out, and what the user can do about it. */
export interface SkippedItem {
  file: string;
  problem: string;
  fix: string;
  /** 'class-ids': the mask was read, but its class ids do not fit (out of range, not in the label map). */
  cause?: 'class-ids';
}

export interface ObjectScaleStats {
  /** 8-connected components of this class over all profiled masks. */
  count: number;
  /** Counts per OBJECT_AREA_BIN_LABELS bin. */
  areaHistogram: [number, number, number, number];
  /** Area percentiles in pixels (null when the class has no objects). */
  areaP10: number | null;
  areaP50: number | null;
  areaP90: number | null;
  areaMin: number | null;
  areaMax: number | null;
}

export interface ClassBoundaryStats {
  /** Label-boundary pixels of this class (a 4-neighbour has another valid class). */
  boundaryPixels: number;
  /** Share of those pixels lying on low-contrast edges (see README for the exact rule). */
  ambiguousShare: number | null;
  /** Mean contrast-to-noise ratio across this class's boundary rings. */
  meanContrast: number | null;
}

export interface ClassProfile {
  id: number;
  name: string;
  pixelCount: number;
  /** pixelCount / all valid (non-ignored) pixels. */
  pixelShare: number;
  pixelShareCI95: Interval | null;
  /** Number of profiled images whose mask contains this class. */
  imagesWithClass: number;
  imageShare: number;
  imageShareCI95: Interval | null;
  objects: ObjectScaleStats;
  boundary: ClassBoundaryStats | null;
}

/**
 * The flat facts the rule engine reads. Names are stable API: rule files refer to them.
 * Documented in README (section "Profile facts").
 */
export interface ProfileAggregates {
  numClasses: number;
  imagesProfiled: number;
  validPixels: number;
  ignoredPixels: number;
  /**
   * Share of the background class (dataset.background, default 0) among valid pixels; 0 when the
   * dataset has no background class (every class is foreground: foregroundShare is then 1).
   */
  backgroundShare: number;
  backgroundShareCI95: Interval | null;
  /** 1 - backgroundShare. */
  foregroundShare: number;
  foregroundShareCI95: Interval | null;
  /** Smallest share among foreground classes present in the profile (every class but the background, with pixels > 0). */
  smallestForegroundShare: number;
  smallestForegroundShareCI95: Interval | null;
  smallestForegroundClassId: number;
  /** Foreground classes that never appear in the profiled masks. */
  absentClassIds: number[];
  /** Largest class share / smallest present class share. */
  imbalanceRatio: number;
  /** Foreground classes with a share below 1% of valid pixels. */
  rareClassCount: number;
  /** All 8-connected foreground objects. */
  objectCount: number;
  /** Share of foreground objects with area < 100 px. */
  smallObjectShare: number | null;
  /** log10(p90 / p10) of foreground object areas: how many decades object sizes span. */
  scaleSpreadDecades: number | null;
  objectAreaP10: number | null;
  objectAreaP50: number | null;
  objectAreaP90: number | null;
  /** Share of label-boundary pixels on low-contrast edges; null without images. */
  ambiguousBoundaryShare: number | null;
  ambiguousBoundaryShareCI95: Interval | null;
  meanBoundaryContrast: number | null;
}

/** Sizes of one class's 3D objects (connected components) in voxels and in mm³. */
export interface VolumeObjectStats {
  /** 26-connected components of this class over all profiled volumes. */
  count: number;
  voxelsP10: number | null;
  voxelsP50: number | null;
  voxelsP90: number | null;
  voxelsMin: number | null;
  voxelsMax: number | null;
  /** Volumes in mm³ (voxels x the case's voxel volume from the header's pixdim). */
  mm3P10: number | null;
  mm3P50: number | null;
  mm3P90: number | null;
  mm3Min: number | null;
  mm3Max: number | null;
}

export interface VolumeClassProfile {
  id: number;
  name: string;
  /** Voxels of this class (the same count as classes[].pixelCount: slices partition the volume). */
  voxelCount: number;
  /** Total volume in mm³ over all profiled cases. */
  volumeMm3: number;
  /** Cases (volumes) that contain this class. */
  casesWithClass: number;
  /** 3D objects; null for the background class (its regions are not objects). */
  objects: VolumeObjectStats | null;
}

/**
 * Present when the dataset is made of 3D volumes (NIfTI, nnU-Net raw). Class shares in `classes`
 * are then per voxel, `classes[].objects` are 2D objects on slices (the article's area bins, as a
 * 2D network sees them) and `classes[].boundary` is measured on slices with in-plane neighbours.
 */
export interface VolumeProfile {
  cases: number;
  /** 2D slices measured (for shares, slice objects and boundaries). */
  slices: number;
  /** Which axis the slices are cut across, in words. */
  sliceAxis: string;
  /** Object connectivity in 3D: 26 (face, edge or corner neighbours), as skimage/MONAI/nnU-Net label by default. */
  connectivity: 26;
  /** Voxels along i, j, k: smallest and largest over cases (per axis). */
  shapeMin: [number, number, number];
  shapeMax: [number, number, number];
  /** Voxel spacing in mm along i, j, k: smallest and largest over cases (per axis). */
  spacingMin: [number, number, number];
  spacingMax: [number, number, number];
  classes: VolumeClassProfile[];
  /** All foreground 3D objects: count and size percentiles. */
  objectCount: number;
  objectVoxelsP50: number | null;
  objectMm3P10: number | null;
  objectMm3P50: number | null;
  objectMm3P90: number | null;
}

export interface DatasetProfile {
  schemaVersion: typeof PROFILE_SCHEMA_VERSION;
  kind: 'DatasetProfile';
  createdAt: string;
  tool: { name: 'segloss'; version: string };
  dataset: {
    root: string | null;
    imagesDir: string | null;
    masksDir: string;
    hasImages: boolean;
    pairsFound: number;
    pairsProfiled: number;
    ignoreIndex: number | null;
    /**
     * The background class id; null when every class is a foreground class (Cityscapes, ADE20K).
     * Absent (profiles written before it existed) = 0.
     */
    background?: number | null;
    /** How stored mask values became class ids, in words (binarized, label map, 0/255 read as binary). */
    labelNotes?: string[];
    classNames: string[];
    /** Width x height range over profiled masks. */
    minSize: [number, number] | null;
    maxSize: [number, number] | null;
    skipped: SkippedItem[];
    /** Set when --sample N profiled a seeded subset. */
    sample: { size: number; seed: number; population: number } | null;
    /** The dataset layout read (src/dataset/formats): its name, why, and the split; absent with --masks/--images. */
    format?: { name: string; reason: string; split: string | null };
    /** --bands: the image bands measured, 1-based, in order (absent = every band). */
    bands?: number[];
    /** Images profiled per band count, after --bands ({"4": 24}); absent for masks-only datasets. */
    imageBands?: Record<string, number>;
  };
  /** The exact rules and parameters behind the boundary measure, so a profile explains itself. */
  method: {
    connectivity: 8;
    areaBinEdges: number[];
    boundary: { description: string; parameters: Record<string, number> } | null;
  };
  classes: ClassProfile[];
  aggregates: ProfileAggregates;
  /** 3D facts when the dataset is made of volumes (optional: absent for 2D datasets). */
  volumes?: VolumeProfile;
  /** Seconds spent, for the record. */
  elapsedSeconds: number;
}

/**
 * The profile's background class id; -1 when it has none (profiles before the field: class 0).
 * Here, beside the contract, so that the rules and the text views read it without loading the profiler.
 */
export function backgroundIdOf(profile: Pick<DatasetProfile, 'dataset'>): number {
  const background = profile.dataset.background;
  return background === undefined ? 0 : (background ?? -1);
}
