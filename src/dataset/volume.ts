/**
 * One nnU-Net case in memory: its label volume (class ids), its channel volumes as 8-bit
 * intensities, spacing, and how it is cut into 2D slices.
 *
 * Why 8-bit: the profiler's boundary measure and verify's engine both take 8-bit samples (as they
 * do for PNG/TIFF). Each channel is windowed per case to its own 0.5-99.5 percentiles and scaled to
 * 0..255: nnU-Net clips CT to percentiles (0.5/99.5 of the foreground, dataset-wide) and z-scores
 * MR per case; a per-case percentile window does both jobs without a dataset-wide pass, and verify
 * then z-scores every channel over the training slices. Only one case is held at a time.
 */
import { checkLabels, classIdsOf, readBytes, type DecodeContext } from './decode.js';
import { DEFAULT_MAX_PIXELS } from './limits.js';
import { decodeNifti, isNiftiPath, labelVolume, scaledIntensities, type VoxelArray } from './nifti.js';
import { PairProblem, type DatasetPair } from './types.js';

export type Dims3 = [number, number, number];

export interface DecodedVolume {
  id: string;
  /** The case (nnU-Net's case id): slices of one volume stay on one side of verify's split. */
  group: string;
  /** Voxels along i, j, k. */
  dims: Dims3;
  /** Voxel size in mm along i, j, k (from the label file's header). */
  spacing: Dims3;
  /** Class id per voxel (i fastest); the ignore index may appear. */
  labels: Uint8Array | Uint16Array;
  maxLabel: number;
  /** One windowed 8-bit volume per channel file (_0000, _0001, ...); null without images. */
  channels: Uint8Array[] | null;
}

/** Whether a pair is a NIfTI volume (its label file is .nii or .nii.gz). */
export function isVolumePair(pair: Pick<DatasetPair, 'maskPath'>): boolean {
  return isNiftiPath(pair.maskPath);
}

/** Percentiles of the window each channel is scaled by (nnU-Net's CT clipping percentiles). */
export const WINDOW_PERCENTILES: [number, number] = [0.005, 0.995];
/** Voxels sampled (evenly spaced) to find the window: exact enough, bounded time. */
const WINDOW_SAMPLE = 1 << 20;

/** The [low, high] window of a channel: its 0.5 and 99.5 percentiles over an even sample of voxels. */
export function intensityWindow(values: ArrayLike<number>): [number, number] {
  const step = Math.max(1, Math.floor(values.length / WINDOW_SAMPLE));
  const sample = new Float64Array(Math.ceil(values.length / step));
  let n = 0;
  for (let i = 0; i < values.length; i += step) {
    const v = values[i];
    if (Number.isFinite(v)) sample[n++] = v;
  }
  if (n === 0) return [0, 0];
  const sorted = sample.subarray(0, n).sort();
  const at = (q: number): number => sorted[Math.min(n - 1, Math.max(0, Math.round(q * (n - 1))))];
  return [at(WINDOW_PERCENTILES[0]), at(WINDOW_PERCENTILES[1])];
}

/** Intensities clipped to the window and scaled to 0..255 (a flat channel becomes all 0). */
export function windowTo8Bit(values: VoxelArray): Uint8Array {
  const small = smallIntegerRange(values);
  if (small) return windowByHistogram(values as SmallIntegerArray, small);
  const [low, high] = intensityWindow(values);
  const out = new Uint8Array(values.length);
  const scale = high > low ? 255 / (high - low) : 0;
  for (let i = 0; i < values.length; i++) out[i] = byteOf((values[i] - low) * scale);
  return out;
}

type SmallIntegerArray = Uint8Array | Int8Array | Uint16Array | Int16Array;

function byteOf(t: number): number {
  return t <= 0 || !(t === t) ? 0 : t >= 255 ? 255 : Math.round(t);
}

/** The value range of 8- and 16-bit integer arrays (then one exact histogram pass replaces sampling and sorting). */
function smallIntegerRange(values: VoxelArray): { min: number; size: number } | null {
  if (values instanceof Uint8Array) return { min: 0, size: 256 };
  if (values instanceof Int8Array) return { min: -128, size: 256 };
  if (values instanceof Uint16Array) return { min: 0, size: 65536 };
  if (values instanceof Int16Array) return { min: -32768, size: 65536 };
  return null;
}

/**
 * The same window from a histogram of every voxel (exact percentiles, nearest rank as
 * intensityWindow takes them), applied through a lookup table: one pass each, no sort.
 */
function windowByHistogram(values: SmallIntegerArray, range: { min: number; size: number }): Uint8Array {
  const counts = new Float64Array(range.size);
  for (let i = 0; i < values.length; i++) counts[values[i] - range.min]++;
  const n = values.length;
  const valueAtRank = (rank: number): number => {
    let seen = 0;
    for (let b = 0; b < range.size; b++) {
      seen += counts[b];
      if (seen > rank) return b + range.min;
    }
    return range.size - 1 + range.min;
  };
  const rankOf = (q: number): number => Math.min(n - 1, Math.max(0, Math.round(q * (n - 1))));
  const low = valueAtRank(rankOf(WINDOW_PERCENTILES[0]));
  const high = valueAtRank(rankOf(WINDOW_PERCENTILES[1]));
  const scale = high > low ? 255 / (high - low) : 0;
  const table = new Uint8Array(range.size);
  for (let b = 0; b < range.size; b++) table[b] = byteOf((b + range.min - low) * scale);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = table[values[i] - range.min];
  return out;
}

/**
 * How two voxel-to-world affines differ, in words, or null when they agree: the origin within
 * 1e-3 mm plus 1e-5 of its size, each direction x spacing entry within 1e-4 (float32 headers
 * written by one tool agree exactly). Null too when either file has no orientation (neither qform
 * nor sform set): nothing to compare. nnU-Net's integrity check compares origin, direction and
 * spacing the same way (np.isclose) and refuses a case that differs.
 */
export function geometryDifference(a: number[][] | null, b: number[][] | null): string | null {
  if (!a || !b) return null;
  const close = (x: number, y: number, atol: number) => Math.abs(x - y) <= atol + 1e-5 * Math.max(Math.abs(x), Math.abs(y));
  const origin = (m: number[][]) => m.map((row) => row[3]);
  const fmt = (v: number[]) => `(${v.map((x) => Number(x.toFixed(3))).join(', ')})`;
  if (!origin(a).every((x, i) => close(x, origin(b)[i], 1e-3))) return `origin ${fmt(origin(a))} mm vs ${fmt(origin(b))} mm`;
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      if (!close(a[r][c], b[r][c], 1e-4)) return `voxel axes ${fmt(a.map((row) => row[c]))} vs ${fmt(b.map((row) => row[c]))} for axis ${'ijk'[c]}`;
    }
  }
  return null;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

/** Reads a case: the label volume first, then each channel in turn (one raw channel in memory at a time). */
export async function decodeVolumePair(pair: DatasetPair, context: DecodeContext): Promise<DecodedVolume> {
  const maxVoxels = context.maxPixels ?? DEFAULT_MAX_PIXELS;
  const labelFile = decodeNifti(pair.maskPath, await readBytes(pair.maskPath, 'mask', maxVoxels), maxVoxels);
  // Stored ids through the label convention (--label-map, --reduce-zero-label, ...), as for masks.
  const labels = classIdsOf(pair.maskPath, labelVolume(pair.maskPath, labelFile), context);
  const maxLabel = checkLabels(pair.maskPath, labels, context);
  const channelPaths = pair.imagePaths ?? (pair.imagePath ? [pair.imagePath] : []);
  let channels: Uint8Array[] | null = null;
  if (channelPaths.length > 0) {
    channels = [];
    for (const path of channelPaths) {
      if (!isNiftiPath(path)) throw new PairProblem(path, `the label ${pair.maskPath} is a NIfTI volume but this image is not (.nii or .nii.gz)`, 'save every channel of the case as NIfTI with the same file ending as its label');
      const image = decodeNifti(path, await readBytes(path, 'image', maxVoxels), maxVoxels);
      if (!sameDims(image.dims, labelFile.dims)) {
        throw new PairProblem(
          pair.maskPath,
          `the label volume is ${labelFile.dims.join('x')} voxels but its image ${path} is ${image.dims.join('x')}`,
          'resample the label with nearest-neighbour onto the image grid (nnU-Net requires the same geometry), or fix the pairing',
        );
      }
      const moved = geometryDifference(labelFile.affine, image.affine);
      if (moved) {
        throw new PairProblem(
          pair.maskPath,
          `the label volume lies elsewhere in space than its image ${path} (${moved}): the same voxel of the two is not the same place`,
          'resample the label with nearest-neighbour onto the image grid (SimpleITK Resample with the image as reference; nnU-Net refuses cases whose geometry differs), or fix the pairing',
        );
      }
      channels.push(windowTo8Bit(scaledIntensities(image)));
    }
  }
  return { id: pair.id, group: pair.group ?? pair.id, dims: labelFile.dims, spacing: labelFile.spacing, labels, maxLabel, channels };
}

/**
 * The axis 2D slices are cut across, as nnU-Net's 2d configuration does: the axis with the
 * coarsest spacing (nnU-Net's transpose_forward puts argmax(spacing) first), the third axis (k)
 * when spacings tie, i.e. axial slices for the usual NIfTI orientation. Decided per case.
 */
export function sliceAxis(spacing: readonly number[]): 0 | 1 | 2 {
  let axis: 0 | 1 | 2 = 2;
  for (const a of [1, 0] as const) if (spacing[a] > spacing[axis]) axis = a;
  return axis;
}

/** Width, height and count of the slices across `axis`. */
export function sliceShape(dims: readonly number[], axis: 0 | 1 | 2): { width: number; height: number; count: number } {
  if (axis === 2) return { width: dims[0], height: dims[1], count: dims[2] };
  if (axis === 1) return { width: dims[0], height: dims[2], count: dims[1] };
  return { width: dims[1], height: dims[2], count: dims[0] };
}

/**
 * Slice `index` across `axis` of a volume (i fastest, then j, then k), row-major: a view for
 * axis k, a copy otherwise. Rows are j (axis k), k (axis j or i).
 */
export function sliceOf<T extends Uint8Array | Uint16Array>(volume: T, dims: readonly number[], axis: 0 | 1 | 2, index: number): T {
  const [nx, ny] = dims;
  const plane = nx * ny;
  if (axis === 2) return volume.subarray(index * plane, (index + 1) * plane) as T;
  const { width, height } = sliceShape(dims, axis);
  const out = (volume instanceof Uint16Array ? new Uint16Array(width * height) : new Uint8Array(width * height)) as T;
  for (let z = 0, o = 0; z < height; z++) {
    const base = z * plane;
    if (axis === 1) {
      out.set(volume.subarray(base + index * nx, base + index * nx + nx), o);
      o += nx;
    } else {
      for (let y = 0; y < width; y++) out[o++] = volume[base + y * nx + index];
    }
  }
  return out;
}

/** Interleaves the channel slices into one HWC 8-bit slice (the layout 2D images have). */
export function interleavedSlice(channels: readonly Uint8Array[], dims: readonly number[], axis: 0 | 1 | 2, index: number): Uint8Array {
  const planes = channels.map((c) => sliceOf(c, dims, axis, index));
  if (planes.length === 1) return planes[0].slice();
  const n = planes[0].length;
  const out = new Uint8Array(n * planes.length);
  for (let c = 0; c < planes.length; c++) {
    const plane = planes[c];
    for (let i = 0, o = c; i < n; i++, o += planes.length) out[o] = plane[i];
  }
  return out;
}
