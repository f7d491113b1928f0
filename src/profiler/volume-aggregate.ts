/**
 * Folds per-volume 3D facts (VolumeStats) into the profile's optional `volumes` section. Bounded
 * like the rest of the profile: sums per class and mergeable size sketches, never per-case lists.
 */
import type { ClassProfile, VolumeClassProfile, VolumeProfile } from '../contracts/profile.js';
import { AreaAccumulator } from './area-sketch.js';
import type { VolumeStats } from './measure-volume.js';
import { ValueAccumulator } from './value-sketch.js';

const AXIS_NAMES = ['i (first)', 'j (second)', 'k (third)'];

type Triple = [number, number, number];
const minOf = (a: Triple | null, b: Triple): Triple => (a ? [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.min(a[2], b[2])] : [...b]);
const maxOf = (a: Triple | null, b: Triple): Triple => (a ? [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.max(a[2], b[2])] : [...b]);

export class VolumeAccumulator {
  private cases = 0;
  private slices = 0;
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
    const volumeClasses: VolumeClassProfile[] = classes.map((c) => {
      const v = c.id !== 0 ? this.voxels[c.id] : undefined;
      const m = c.id !== 0 ? this.sizes[c.id] : undefined;
      if (v) all.merge(v.toSketch());
      if (m) allMm3.merge(m.toSketch());
      return {
        id: c.id,
        name: c.name,
        voxelCount: c.pixelCount,
        volumeMm3: this.mm3[c.id] ?? 0,
        casesWithClass: c.imagesWithClass,
        objects:
          c.id === 0
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
