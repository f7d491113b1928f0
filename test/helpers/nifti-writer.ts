/**
 * A tiny NIfTI-1 writer for tests and benches: a 348-byte header (+ 4 bytes of extension flag)
 * and the voxels, optionally gzipped. Why here and not in src/: segloss only reads NIfTI; tests
 * need small volumes with known contents (CI has no medical data to download).
 */
import { gzipSync } from 'node:zlib';

export type NiftiDatatype = 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'float32' | 'float64';

const CODES: Record<NiftiDatatype, [code: number, bytes: number]> = {
  uint8: [2, 1],
  int8: [256, 1],
  int16: [4, 2],
  uint16: [512, 2],
  int32: [8, 4],
  float32: [16, 4],
  float64: [64, 8],
};

export interface NiftiWriteOptions {
  dims: [number, number, number];
  spacing?: [number, number, number];
  datatype?: NiftiDatatype;
  sclSlope?: number;
  sclInter?: number;
  gzip?: boolean;
  bigEndian?: boolean;
  /** Voxel-to-world rows (srow_x, srow_y, srow_z) written with sform_code 1; none: no orientation. */
  sform?: [number[], number[], number[]];
}

/** The bytes of a NIfTI-1 single file (.nii, or .nii.gz with gzip) holding `values` (i fastest). */
export function niftiBytes(values: ArrayLike<number>, options: NiftiWriteOptions): Buffer {
  const [code, width] = CODES[options.datatype ?? 'int16'];
  const little = !options.bigEndian;
  const [nx, ny, nz] = options.dims;
  const voxels = nx * ny * nz;
  if (values.length !== voxels) throw new Error(`${values.length} values for ${nx}x${ny}x${nz}`);
  const buffer = Buffer.alloc(352 + voxels * width);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  view.setInt32(0, 348, little); // sizeof_hdr
  const dims = [3, nx, ny, nz, 1, 1, 1, 1];
  dims.forEach((d, i) => view.setInt16(40 + 2 * i, d, little));
  view.setInt16(70, code, little); // datatype
  view.setInt16(72, width * 8, little); // bitpix
  const [sx, sy, sz] = options.spacing ?? [1, 1, 1];
  [1, sx, sy, sz, 0, 0, 0, 0].forEach((p, i) => view.setFloat32(76 + 4 * i, p, little));
  view.setFloat32(108, 352, little); // vox_offset
  view.setFloat32(112, options.sclSlope ?? 1, little);
  view.setFloat32(116, options.sclInter ?? 0, little);
  view.setInt8(123, 10 + 0); // xyzt_units: mm (2) | sec (8)
  if (options.sform) {
    view.setInt16(254, 1, little); // sform_code: scanner anatomical
    options.sform.forEach((row, r) => row.forEach((v, c) => view.setFloat32(280 + 16 * r + 4 * c, v, little)));
  }
  buffer.write('n+1\0', 344, 'latin1');
  for (let i = 0; i < voxels; i++) {
    const at = 352 + i * width;
    const v = values[i];
    switch (options.datatype ?? 'int16') {
      case 'uint8':
        view.setUint8(at, v);
        break;
      case 'int8':
        view.setInt8(at, v);
        break;
      case 'int16':
        view.setInt16(at, v, little);
        break;
      case 'uint16':
        view.setUint16(at, v, little);
        break;
      case 'int32':
        view.setInt32(at, v, little);
        break;
      case 'float32':
        view.setFloat32(at, v, little);
        break;
      case 'float64':
        view.setFloat64(at, v, little);
        break;
    }
  }
  return options.gzip === false ? buffer : gzipSync(buffer, { level: 1 });
}

/** A label volume of `dims` filled by `label(x, y, z)`. */
export function volumeOf(dims: [number, number, number], value: (x: number, y: number, z: number) => number): number[] {
  const [nx, ny, nz] = dims;
  const out = new Array<number>(nx * ny * nz);
  for (let z = 0, i = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, i++) out[i] = value(x, y, z);
  return out;
}
