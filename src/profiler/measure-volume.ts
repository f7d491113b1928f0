/**
 * Measures one 3D volume: the 2D measures on every slice (shares, the article's area bins on slice
 * objects, boundary ambiguity from in-plane neighbours with the image), summed into one MaskStats
 * so a case counts as one cluster in the sampling statistics, plus 3D objects (26-connected
 * components) with sizes in voxels and mm³ from the header's spacing.
 *
 * Slices are cut across the coarsest axis (nnU-Net's 2d configuration; see dataset/volume.ts). The
 * boundary measure sees every channel (_0000, _0001, ...) as a band of its own (never RGB, even
 * with three: T1, T2, FLAIR are not colours): an edge visible in any channel counts.
 */
import { interleavedSlice, sliceAxis, sliceOf, sliceShape, type DecodedVolume } from '../dataset/volume.js';
import { AreaAccumulator, type AreaSketch } from './area-sketch.js';
import type { ClassBoundaryCounts } from './boundary.js';
import { components3d } from './components3d.js';
import { measureMask, type MaskStats, type MeasureOptions } from './mask-stats.js';
import { ValueAccumulator, type ValueSketch } from './value-sketch.js';

export interface VolumeStats {
  dims: [number, number, number];
  spacing: [number, number, number];
  sliceAxis: 0 | 1 | 2;
  slices: number;
  /** The background class (no 3D objects), null when every class is foreground. */
  background: number | null;
  /** mm³ of one voxel. */
  voxelMm3: number;
  /** 3D objects per class id: sizes in voxels and mm³; null for the background class and the ignore index. */
  objects: Array<{ voxels: AreaSketch; mm3: ValueSketch } | null>;
}

export function measureVolume(volume: DecodedVolume, options: MeasureOptions): MaskStats & { volume: VolumeStats } {
  const { dims, labels } = volume;
  const axis = sliceAxis(volume.spacing);
  const shape = sliceShape(dims, axis);
  const pixelCounts: number[] = [];
  const sliceObjects: AreaAccumulator[] = [];
  let perClassBoundary: ClassBoundaryCounts[] | null = null;
  let noiseSum = 0;
  let boundarySlices = 0;
  let validPixels = 0;
  let ignoredPixels = 0;
  for (let s = 0; s < shape.count; s++) {
    const channels = volume.channels;
    const image = !channels ? null : channels.length === 1 ? { channels: 1, data: sliceOf(channels[0], dims, axis, s) } : { channels: channels.length, data: interleavedSlice(channels, dims, axis, s), rgb: false };
    const stats = measureMask({ id: `${volume.id}#${s}`, width: shape.width, height: shape.height, labels: sliceOf(labels, dims, axis, s), image }, options);
    validPixels += stats.validPixels;
    ignoredPixels += stats.ignoredPixels;
    stats.pixelCounts.forEach((n, c) => (pixelCounts[c] = (pixelCounts[c] ?? 0) + n));
    stats.objects.forEach((sketch, c) => (sliceObjects[c] ??= new AreaAccumulator()).merge(sketch));
    if (stats.boundary) {
      boundarySlices++;
      noiseSum += stats.boundary.noiseSigma;
      perClassBoundary ??= [];
      stats.boundary.perClass.forEach((b, c) => {
        const sum = (perClassBoundary![c] ??= { boundaryPixels: 0, ambiguousPixels: 0, contrastSum: 0 });
        sum.boundaryPixels += b.boundaryPixels;
        sum.ambiguousPixels += b.ambiguousPixels;
        sum.contrastSum += b.contrastSum;
      });
    }
  }
  const classCount = pixelCounts.length;
  for (let c = 0; c < classCount; c++) {
    pixelCounts[c] ??= 0;
    sliceObjects[c] ??= new AreaAccumulator();
    if (perClassBoundary) perClassBoundary[c] ??= { boundaryPixels: 0, ambiguousPixels: 0, contrastSum: 0 };
  }

  const labelValues = labels instanceof Uint8Array ? 256 : 65536;
  const background = options.background === undefined ? 0 : options.background;
  const isObjectClass = new Uint8Array(labelValues);
  for (let c = 0; c < Math.min(classCount, labelValues); c++) if (c !== options.ignoreIndex && c !== background) isObjectClass[c] = 1;
  const found = components3d(labels, dims, isObjectClass);
  const voxelMm3 = volume.spacing[0] * volume.spacing[1] * volume.spacing[2];
  const voxels = Array.from({ length: classCount }, (_, c) => (isObjectClass[c] ? new AreaAccumulator() : null));
  const mm3 = Array.from({ length: classCount }, (_, c) => (isObjectClass[c] ? new ValueAccumulator() : null));
  for (let o = 0; o < found.count; o++) {
    const c = found.objectClass[o];
    voxels[c]!.add(found.objectVoxels[o]);
    mm3[c]!.add(found.objectVoxels[o] * voxelMm3);
  }

  return {
    id: volume.id,
    width: shape.width,
    height: shape.height,
    validPixels,
    ignoredPixels,
    pixelCounts,
    objects: sliceObjects.map((a) => a.toSketch()),
    ...(volume.channels ? { imageBands: volume.channels.length } : {}),
    boundary: perClassBoundary ? { noiseSigma: boundarySlices > 0 ? noiseSum / boundarySlices : 0, perClass: perClassBoundary } : null,
    volume: {
      dims: [...dims],
      spacing: [...volume.spacing],
      sliceAxis: axis,
      slices: shape.count,
      background,
      voxelMm3,
      objects: voxels.map((v, c) => (v ? { voxels: v.toSketch(), mm3: mm3[c]!.toSketch() } : null)),
    },
  };
}
