/**
 * Folds per-volume 3D facts (VolumeStats) into the profile's optional `volumes` section. Bounded
 * like the rest of the profile: sums per class and mergeable size sketches, never per-case lists.
 */
import type { ClassProfile, VolumeClassProfile, VolumeProfile } from '../contracts/profile.js';
import { AreaAccumulator, type AreaSketch } from './area-sketch.js';
import type { VolumeStats } from './measure-volume.js';
import { ValueAccumulator, type ValueSketch } from './value-sketch.js';

const AXIS_NAMES = ['i (first)', 'j (second)', 'k (third)'];

type Triple = [number, number, number];
const minOf = (a: Triple | null, b: Triple): Triple => (a ? [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.min(a[2], b[2])] : [...b]);
const maxOf = (a: Triple | null, b: Triple): Triple => (a ? [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.max(a[2], b[2])] : [...b]);

/** A VolumeAccumulator as plain JSON (in a profile shard's accumulator state; `segloss merge` adds them). */
export interface VolumeAccumulatorState {
  /** The background class (undefined: none seen yet; null: every class is foreground). */
  background?: number | null;
  cases: number;
  slices: number;
  axes: [number, number, number];
  shapeMin: Triple | null;
  shapeMax: Triple | null;
  spacingMin: Triple | null;
  spacingMax: Triple | null;
  mm3: number[];
  voxels: Array<AreaSketch | null>;
  sizes: Array<ValueSketch | null>;
}

export class VolumeAccumulator {
  private cases = 0;
  private slices = 0;
  /** The background class, as the volumes were measured (0 unless a label convention says otherwise). */
  private background: number | null | undefined = undefined;
  private readonly axes = [0, 0, 0];
  private shapeMin: Triple | null = null;
  private shapeMax: Triple | null = null;
  private spacingMin: Triple | null = null;
  private spacingMax: Triple | null = null;
  private readonly mm3: number[] = [];
  private readonly voxels: AreaAccumulator[] = [];
  private readonly sizes: ValueAccumulator[] = [];

  add(stats: VolumeStats, pixelCounts: readonly number[]): void {
    this.cases++;
    this.slices += stats.slices;
    if (this.background === undefined) this.background = stats.background;
    this.axes[stats.sliceAxis]++;
    this.shapeMin = minOf(this.shapeMin, stats.dims);
    this.shapeMax = maxOf(this.shapeMax, stats.dims);
    this.spacingMin = minOf(this.spacingMin, stats.spacing);
    this.spacingMax = maxOf(this.spacingMax, stats.spacing);
    pixelCounts.forEach((n, c) => (this.mm3[c] = (this.mm3[c] ?? 0) + n * stats.voxelMm3));
    stats.objects.forEach((o, c) => {
      if (!o) return;
      (this.voxels[c] ??= new AreaAccumulator()).merge(o.voxels);
      (this.sizes[c] ??= new ValueAccumulator()).merge(o.mm3);
    });
  }

  toState(): VolumeAccumulatorState {
    const dense = <T, S>(list: T[], f: (t: T) => S): Array<S | null> => Array.from({ length: list.length }, (_, c) => (list[c] ? f(list[c]) : null));
    return {
      ...(this.background !== undefined ? { background: this.background } : {}),
      cases: this.cases,
      slices: this.slices,
      axes: [this.axes[0], this.axes[1], this.axes[2]],
      shapeMin: this.shapeMin,
      shapeMax: this.shapeMax,
      spacingMin: this.spacingMin,
      spacingMax: this.spacingMax,
      mm3: Array.from({ length: this.mm3.length }, (_, c) => this.mm3[c] ?? 0),
      voxels: dense(this.voxels, (a) => a.toSketch()),
      sizes: dense(this.sizes, (a) => a.toSketch()),
    };
  }

  addState(state: VolumeAccumulatorState): void {
    this.cases += state.cases;
    this.slices += state.slices;
    if (this.background === undefined && state.background !== undefined) this.background = state.background;
    state.axes.forEach((n, a) => (this.axes[a] += n));
    if (state.shapeMin) this.shapeMin = minOf(this.shapeMin, state.shapeMin);
    if (state.shapeMax) this.shapeMax = maxOf(this.shapeMax, state.shapeMax);
    if (state.spacingMin) this.spacingMin = minOf(this.spacingMin, state.spacingMin);
    if (state.spacingMax) this.spacingMax = maxOf(this.spacingMax, state.spacingMax);
    state.mm3.forEach((v, c) => (this.mm3[c] = (this.mm3[c] ?? 0) + v));
    state.voxels.forEach((sketch, c) => sketch && (this.voxels[c] ??= new AreaAccumulator()).merge(sketch));
    state.sizes.forEach((sketch, c) => sketch && (this.sizes[c] ??= new ValueAccumulator()).merge(sketch));
  }

  private axisWords(): string {
    const used = [0, 1, 2].filter((a) => this.axes[a] > 0);
    const rule = 'the axis with the coarsest spacing, k on ties (nnU-Net 2d)';
    if (used.length === 1) return `${AXIS_NAMES[used[0]]} axis: ${rule}`;
    return `${used.map((a) => `${AXIS_NAMES[a]} in ${this.axes[a]} cases`).join(', ')}: ${rule}`;
  }

  /** The section, given the profile's class list (ids, names and voxel counts). */
  toProfile(classes: readonly ClassProfile[]): VolumeProfile {
    const all = new AreaAccumulator();
    const allMm3 = new ValueAccumulator();
    const background = this.background === undefined ? 0 : this.background;
    const volumeClasses: VolumeClassProfile[] = classes.map((c) => {
      const v = c.id !== background ? this.voxels[c.id] : undefined;
      const m = c.id !== background ? this.sizes[c.id] : undefined;
      if (v) all.merge(v.toSketch());
      if (m) allMm3.merge(m.toSketch());
      return {
        id: c.id,
        name: c.name,
        voxelCount: c.pixelCount,
        volumeMm3: this.mm3[c.id] ?? 0,
        casesWithClass: c.imagesWithClass,
        objects:
          c.id === background
            ? null
            : {
                count: v?.count ?? 0,
                voxelsP10: v?.quantile(0.1) ?? null,
                voxelsP50: v?.quantile(0.5) ?? null,
                voxelsP90: v?.quantile(0.9) ?? null,
                voxelsMin: v && v.count ? v.min : null,
                voxelsMax: v && v.count ? v.max : null,
                mm3P10: m?.quantile(0.1) ?? null,
                mm3P50: m?.quantile(0.5) ?? null,
                mm3P90: m?.quantile(0.9) ?? null,
                mm3Min: m && m.count ? m.min : null,
                mm3Max: m && m.count ? m.max : null,
              },
      };
    });
    return {
      cases: this.cases,
      slices: this.slices,
      sliceAxis: this.axisWords(),
      connectivity: 26,
      shapeMin: this.shapeMin ?? [0, 0, 0],
      shapeMax: this.shapeMax ?? [0, 0, 0],
      spacingMin: this.spacingMin ?? [0, 0, 0],
      spacingMax: this.spacingMax ?? [0, 0, 0],
      classes: volumeClasses,
      objectCount: all.count,
      objectVoxelsP50: all.quantile(0.5),
      objectMm3P10: allMm3.quantile(0.1),
      objectMm3P50: allMm3.quantile(0.5),
      objectMm3P90: allMm3.quantile(0.9),
    };
  }
}

/** Why a part file's volume state is not well formed (null when it is): checked before it is added. */
export function volumeStateProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'is not an object';
  const s = value as Record<string, unknown>;
  const whole = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  const finite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
  const triple = (v: unknown): boolean => v === null || (Array.isArray(v) && v.length === 3 && v.every(finite));
  const pairs = (v: unknown, binOk: (b: unknown) => boolean): boolean => Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && binOk(p[0]) && whole(p[1]));
  const sketch = (v: unknown, binOk: (b: unknown) => boolean): boolean => {
    if (v === null) return true;
    if (typeof v !== 'object') return false;
    const k = v as Record<string, unknown>;
    return whole(k.count) && pairs(k.bins, binOk) && (k.min === null || finite(k.min)) && (k.max === null || finite(k.max)) && (k.exact === undefined || k.exact === null || pairs(k.exact, finite));
  };
  if (!whole(s.cases) || !whole(s.slices)) return 'has no whole-number cases and slices';
  if (s.background !== undefined && s.background !== null && !whole(s.background)) return 'background is not a class id or null';
  if (!Array.isArray(s.axes) || s.axes.length !== 3 || !s.axes.every(whole)) return 'axes is not 3 counts';
  if (![s.shapeMin, s.shapeMax, s.spacingMin, s.spacingMax].every(triple)) return 'has a shape or spacing that is not 3 numbers';
  if (!Array.isArray(s.mm3) || s.mm3.length > 65536 || !s.mm3.every(finite)) return 'mm3 is not a list of numbers';
  const areaBins = (b: unknown): boolean => whole(b);
  if (!Array.isArray(s.voxels) || s.voxels.length > 65536 || !s.voxels.every((v) => sketch(v, areaBins) && (v === null || (Array.isArray((v as AreaSketch).articleBins) && (v as AreaSketch).articleBins.length === 4))))
    return 'voxels is not a list of size sketches';
  if (!Array.isArray(s.sizes) || s.sizes.length > 65536 || !s.sizes.every((v) => sketch(v, (b) => typeof b === 'number' && Number.isSafeInteger(b)))) return 'sizes is not a list of mm³ sketches';
  return null;
}
