/**
 * Reading NIfTI-1/NIfTI-2 volumes (`.nii`, `.nii.gz`), bounded, for nnU-Net's raw layout.
 *
 * Why this shape: the header is parsed by the maintained nifti-reader-js (no hand-written parser);
 * what that library leaves unbounded is done here. A `.nii.gz` is first inflated only far enough
 * to read its header (a few kB of compressed input), the declared voxel count is checked against
 * --max-pixels (a voxel limit here) before anything the size of the volume is allocated, and the
 * full inflate is capped at the size the header declares. A truncated or corrupt file is a
 * PairProblem naming the file and the fix, never a stack trace or an exhausted machine.
 */
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import { NIFTI1, NIFTI2, isNIFTI1, isNIFTI2 } from 'nifti-reader-js';
import { formatPixels, MAX_PIXELS_CEILING } from './limits.js';
import { PairProblem } from './types.js';

export type VoxelArray = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

export interface NiftiHeaderInfo {
  /** Voxels along i, j, k (NIfTI dim[1..3]; a 2D file has k = 1). */
  dims: [number, number, number];
  /** Voxel size in mm along i, j, k (pixdim[1..3], absolute; 0 or missing taken as 1). */
  spacing: [number, number, number];
  /** NIfTI datatype code and its name (uint8, int16, float32, ...). */
  datatype: number;
  datatypeName: string;
  /** scl_slope / scl_inter (slope 0 = no scaling, as the standard says). */
  sclSlope: number;
  sclInter: number;
  /**
   * Voxel (i, j, k) to world (mm) as the 3 x 4 rows of the affine, from the sform or qform the
   * standard says to prefer (nifti-reader-js's method); null when neither code is set (the file
   * says nothing about where it lies, as some label writers leave it).
   */
  affine: number[][] | null;
}

export interface NiftiVolume extends NiftiHeaderInfo {
  /** Voxel values in file order (i fastest, then j, then k), scaling not applied. */
  data: VoxelArray;
}

/** Supported datatypes: code -> [name, bytes per voxel, typed-array constructor]. */
const DATATYPES = new Map<number, [string, number, new (buffer: ArrayBuffer, offset: number, length: number) => VoxelArray]>([
  [NIFTI1.TYPE_UINT8, ['uint8', 1, Uint8Array]],
  [NIFTI1.TYPE_INT8, ['int8', 1, Int8Array]],
  [NIFTI1.TYPE_INT16, ['int16', 2, Int16Array]],
  [NIFTI1.TYPE_UINT16, ['uint16', 2, Uint16Array]],
  [NIFTI1.TYPE_INT32, ['int32', 4, Int32Array]],
  [NIFTI1.TYPE_UINT32, ['uint32', 4, Uint32Array]],
  [NIFTI1.TYPE_FLOAT32, ['float32', 4, Float32Array]],
  [NIFTI1.TYPE_FLOAT64, ['float64', 8, Float64Array]],
]);

const FLOAT_TYPES = new Set([NIFTI1.TYPE_FLOAT32, NIFTI1.TYPE_FLOAT64]);

/** Compressed bytes inflated to find the header: far more than a header needs, at most ~4 MB out. */
const HEADER_PREFIX_BYTES = 4096;

export function isNiftiPath(path: string): boolean {
  return /\.nii(\.gz)?$/i.test(path);
}

const REEXPORT = 're-export the volume as NIfTI (e.g. with SimpleITK or nibabel), or remove the case';

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function asArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  // Uint8Array.prototype.slice copies (Buffer's own slice is a view of the shared pool).
  return Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer;
}

function inflateProblem(path: string, error: unknown, what: string): PairProblem {
  const message = (error as Error).message ?? String(error);
  const truncated = /unexpected end|end of file|truncat/i.test(message);
  return new PairProblem(
    path,
    truncated ? `the gzip data ends early (${what}): the file is truncated` : `the gzip data is corrupt (${what}: ${message})`,
    `copy or download the file again; ${REEXPORT}`,
  );
}

/** The first bytes of the uncompressed file: enough for the header, never the whole volume. */
function headerBytes(path: string, bytes: Uint8Array): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    // Z_SYNC_FLUSH: give back what the prefix inflates to, without requiring the stream's end.
    return gunzipSync(bytes.subarray(0, HEADER_PREFIX_BYTES), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  } catch (error) {
    throw inflateProblem(path, error, 'reading the header');
  }
}

function parseHeader(path: string, head: Uint8Array, compressed: boolean): NIFTI1 | NIFTI2 {
  // A gzip stream that inflates to less than a header was cut off (a whole file inflates further).
  if (compressed && head.length < 348) {
    throw new PairProblem(path, `the gzip data ends after ${head.length} bytes, before the end of the 348-byte NIfTI header: the file is truncated`, `copy or download the file again; ${REEXPORT}`);
  }
  const buffer = asArrayBuffer(head.subarray(0, Math.min(head.length, 1024)));
  const notNifti = (): PairProblem =>
    new PairProblem(path, `not a NIfTI file (no NIfTI-1 or NIfTI-2 header${head.length < 348 ? `: only ${head.length} bytes` : ''})`, REEXPORT);
  let header: NIFTI1 | NIFTI2;
  if (isNIFTI1(buffer)) header = new NIFTI1();
  else if (isNIFTI2(buffer)) header = new NIFTI2();
  else throw notNifti();
  try {
    header.readHeader(buffer);
  } catch (error) {
    throw new PairProblem(path, `the NIfTI header cannot be read: ${(error as Error).message}`, REEXPORT);
  }
  return header;
}

/** Header facts, checked: 3 spatial dimensions at most, one time point, a supported datatype. */
function headerInfo(path: string, header: NIFTI1 | NIFTI2): NiftiHeaderInfo {
  const d = header.dims;
  const rank = d[0];
  if (!Number.isInteger(rank) || rank < 1 || rank > 7) throw new PairProblem(path, `the NIfTI header declares ${rank} dimensions (dim[0] must be 1..7): the header is corrupt`, REEXPORT);
  const size = (axis: number): number => (axis <= rank ? d[axis] : 1);
  const dims: [number, number, number] = [size(1), size(2), size(3)];
  if (dims.some((n) => !Number.isInteger(n) || n < 1)) throw new PairProblem(path, `the NIfTI header declares a size of ${dims.join('x')} voxels: the header is corrupt`, REEXPORT);
  for (let axis = 4; axis <= rank; axis++) {
    if (d[axis] > 1) {
      throw new PairProblem(
        path,
        `the volume has ${rank} dimensions (${d.slice(1, rank + 1).join('x')}): a time series or several volumes in one file`,
        'nnU-Net keeps one 3D volume per file: save each channel as its own <case>_000K file',
      );
    }
  }
  const type = DATATYPES.get(header.datatypeCode);
  if (!type) {
    throw new PairProblem(
      path,
      `the voxel type ${header.getDatatypeCodeString(header.datatypeCode) || header.datatypeCode} is not supported (use uint8, int8, int16, uint16, int32, uint32, float32 or float64)`,
      'convert the volume to one of those types (e.g. SimpleITK.Cast), or remove the case',
    );
  }
  const spacing = [1, 2, 3].map((axis) => {
    const s = Math.abs(header.pixDims[axis] ?? 0);
    return Number.isFinite(s) && s > 0 ? s : 1;
  }) as [number, number, number];
  const slope = Number.isFinite(header.scl_slope) ? header.scl_slope : 0;
  const inter = Number.isFinite(header.scl_inter) ? header.scl_inter : 0;
  const oriented = header.qform_code > 0 || header.sform_code > 0;
  const affine = oriented && header.affine.slice(0, 3).every((row) => row.slice(0, 4).every(Number.isFinite)) ? header.affine.slice(0, 3).map((row) => row.slice(0, 4)) : null;
  return { dims, spacing, datatype: header.datatypeCode, datatypeName: type[0], sclSlope: slope, sclInter: slope === 0 ? 0 : inter, affine };
}

/** Throws when a volume's voxel count is above the --max-pixels limit. */
export function checkVoxelLimit(path: string, dims: readonly number[], maxVoxels: number): void {
  const voxels = dims[0] * dims[1] * dims[2];
  if (voxels <= maxVoxels) return;
  throw new PairProblem(
    path,
    `the volume is ${dims.join('x')} (${formatPixels(voxels)} voxels, as its header declares), over the limit of ${formatPixels(maxVoxels)} voxels per volume (--max-pixels)`,
    voxels <= MAX_PIXELS_CEILING
      ? `raise the limit with --max-pixels ${voxels} (a volume takes about ${Math.ceil((voxels * 12) / 1e6)} MB while profiled), or crop or resample the volume`
      : `crop or resample the volume to at most ${formatPixels(MAX_PIXELS_CEILING)} voxels; if it is not really that large, its header is corrupt: re-export it`,
  );
}

/** Reads only the header of a NIfTI file already in memory (cheap: inflates a few kB). */
export function readNiftiHeader(path: string, bytes: Uint8Array): NiftiHeaderInfo {
  return headerInfo(path, parseHeader(path, headerBytes(path, bytes), isGzip(bytes)));
}

/**
 * Decodes a whole NIfTI volume from its file bytes. Checks the voxel limit from the header before
 * inflating, caps the inflate at the declared size, and copies the voxels into their own typed
 * array (native byte order).
 */
export function decodeNifti(path: string, bytes: Uint8Array, maxVoxels: number): NiftiVolume {
  const header = parseHeader(path, headerBytes(path, bytes), isGzip(bytes));
  const info = headerInfo(path, header);
  checkVoxelLimit(path, info.dims, maxVoxels);
  const [, bytesPerVoxel, ArrayType] = DATATYPES.get(info.datatype)!;
  const voxels = info.dims[0] * info.dims[1] * info.dims[2];
  const offset = Math.max(0, Math.round(Number(header.vox_offset)));
  const needed = offset + voxels * bytesPerVoxel;
  let raw: Uint8Array;
  if (isGzip(bytes)) {
    try {
      // Room for trailing bytes some writers add; anything far beyond the declared size is refused.
      raw = gunzipSync(bytes, { maxOutputLength: needed + 1024 * 1024 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new PairProblem(path, `the file inflates to more than its header declares (${info.dims.join('x')} ${info.datatypeName} voxels): the header is wrong`, REEXPORT);
      }
      throw inflateProblem(path, error, 'reading the voxels');
    }
  } else {
    raw = bytes;
  }
  if (raw.length < needed) {
    throw new PairProblem(
      path,
      `the file ends early: its header declares ${info.dims.join('x')} ${info.datatypeName} voxels (${formatPixels(needed)} bytes with the header), but it holds ${formatPixels(raw.length)} bytes`,
      `copy or download the file again; ${REEXPORT}`,
    );
  }
  const data = new ArrayType(new ArrayBuffer(voxels * bytesPerVoxel), 0, voxels);
  const source = raw.subarray(offset, needed);
  if (header.littleEndian === isLittleEndianHost()) {
    new Uint8Array(data.buffer).set(source);
  } else {
    swapInto(new Uint8Array(data.buffer), source, bytesPerVoxel);
  }
  return { ...info, data };
}

function isLittleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

function swapInto(target: Uint8Array, source: Uint8Array, width: number): void {
  for (let i = 0; i < source.length; i += width) for (let b = 0; b < width; b++) target[i + b] = source[i + width - 1 - b];
}

/** Whether the header's scl_slope / scl_inter change the stored values. */
export function hasScaling(info: Pick<NiftiHeaderInfo, 'sclSlope' | 'sclInter'>): boolean {
  return info.sclSlope !== 0 && (info.sclSlope !== 1 || info.sclInter !== 0);
}

/** Image intensities with scl_slope / scl_inter applied (the stored array itself when there is no scaling). */
export function scaledIntensities(volume: NiftiVolume): VoxelArray {
  if (!hasScaling(volume)) return volume.data;
  const out = new Float32Array(volume.data.length);
  const { sclSlope: slope, sclInter: inter, data } = volume;
  for (let i = 0; i < data.length; i++) out[i] = data[i] * slope + inter;
  return out;
}

/**
 * A label volume as class ids (Uint8Array when every id fits, else Uint16Array). Labels must be
 * whole numbers in 0..65535; float label files are accepted only when every value is whole
 * (as nnU-Net's own label files often are float32 after resampling tools).
 */
export function labelVolume(path: string, volume: NiftiVolume): Uint8Array | Uint16Array {
  const scaled = hasScaling(volume);
  // Unsigned 8/16-bit ids without scaling are class ids as stored.
  if (!scaled && (volume.data instanceof Uint8Array || volume.data instanceof Uint16Array)) return volume.data;
  const { data, sclSlope, sclInter } = volume;
  const isFloat = FLOAT_TYPES.has(volume.datatype) || scaled;
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const v = scaled ? data[i] * sclSlope + sclInter : data[i];
    if (v < 0 || v > 65535 || (isFloat && !Number.isInteger(v))) {
      const whatIsWrong = v < 0 ? `a negative label (${v})` : v > 65535 ? `a label above 65535 (${v})` : `a fractional label (${v})`;
      throw new PairProblem(
        path,
        `the label volume (${volume.datatypeName}${scaled ? `, scl_slope ${sclSlope} scl_inter ${sclInter}` : ''}) has ${whatIsWrong} at voxel ${i}: labels must be whole class ids 0..65535`,
        isFloat
          ? 'save the labels as an integer type (uint8 or uint16) with nearest-neighbour resampling, never linear interpolation'
          : 'map the label values to class ids 0..N-1 (e.g. with numpy) and save as uint8 or uint16',
      );
    }
    if (v > max) max = v;
  }
  const out = max <= 255 ? new Uint8Array(data.length) : new Uint16Array(data.length);
  if (scaled) for (let i = 0; i < data.length; i++) out[i] = data[i] * sclSlope + sclInter;
  else out.set(data as ArrayLike<number>);
  return out;
}
