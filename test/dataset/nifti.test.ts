import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeNifti, labelVolume, readNiftiHeader, scaledIntensities } from '../../src/dataset/nifti.js';
import { decodeVolumePair, intensityWindow, sliceAxis, sliceOf, windowTo8Bit } from '../../src/dataset/volume.js';
import { PairProblem } from '../../src/dataset/types.js';
import { niftiBytes, volumeOf } from '../helpers/nifti-writer.js';
import { tempDir } from './helpers.js';

const problemOf = (fn: () => unknown): PairProblem => {
  try {
    fn();
  } catch (error) {
    if (error instanceof PairProblem) return error;
    throw error;
  }
  throw new Error('expected a PairProblem');
};

describe('NIfTI reading (nifti-reader-js header, bounded inflate)', () => {
  const dims: [number, number, number] = [4, 3, 2];
  const values = volumeOf(dims, (x, y, z) => x + 10 * y + 100 * z);

  it('reads gzipped and plain files with their dims, spacing and values in i-j-k order', () => {
    for (const gzip of [true, false]) {
      const bytes = niftiBytes(values, { dims, spacing: [0.5, 0.75, 3], datatype: 'int16', gzip });
      const volume = decodeNifti('a.nii', bytes, 1000);
      expect(volume.dims).toEqual(dims);
      expect(volume.spacing).toEqual([0.5, 0.75, 3]);
      expect(volume.datatypeName).toBe('int16');
      expect([...volume.data]).toEqual(values);
      expect(readNiftiHeader('a.nii', bytes).dims).toEqual(dims);
    }
  });

  it('reads every supported datatype and big-endian files', () => {
    for (const datatype of ['uint8', 'int8', 'int16', 'uint16', 'int32', 'float32', 'float64'] as const) {
      for (const bigEndian of [false, true]) {
        const volume = decodeNifti('a.nii.gz', niftiBytes(values.map((v) => v % 100), { dims, datatype, bigEndian }), 1000);
        expect(volume.datatypeName).toBe(datatype);
        expect([...volume.data]).toEqual(values.map((v) => v % 100));
      }
    }
  });

  it('applies scl_slope / scl_inter to images, and to labels only when the result is whole', () => {
    const volume = decodeNifti('img.nii.gz', niftiBytes([0, 1, 2, 3], { dims: [2, 2, 1], sclSlope: 2, sclInter: -1 }), 100);
    expect([...scaledIntensities(volume)]).toEqual([-1, 1, 3, 5]);
    const labels = decodeNifti('lab.nii.gz', niftiBytes([0, 1, 2, 3], { dims: [2, 2, 1], sclSlope: 1, sclInter: 1 }), 100);
    expect([...labelVolume('lab.nii.gz', labels)]).toEqual([1, 2, 3, 4]);
  });

  it('takes whole-valued float labels, refuses fractional and negative ones with the fix', () => {
    const whole = decodeNifti('l.nii.gz', niftiBytes([0, 1, 2, 1], { dims: [2, 2, 1], datatype: 'float32' }), 100);
    const ids = labelVolume('l.nii.gz', whole);
    expect(ids).toBeInstanceOf(Uint8Array);
    expect([...ids]).toEqual([0, 1, 2, 1]);
    const fractional = decodeNifti('f.nii.gz', niftiBytes([0, 0.5, 1, 1], { dims: [2, 2, 1], datatype: 'float32' }), 100);
    const p = problemOf(() => labelVolume('f.nii.gz', fractional));
    expect(p.file).toBe('f.nii.gz');
    expect(p.problem).toMatch(/fractional label \(0\.5\)/);
    expect(p.fix).toMatch(/nearest-neighbour/);
    const negative = decodeNifti('n.nii.gz', niftiBytes([0, -1, 1, 1], { dims: [2, 2, 1], datatype: 'int16' }), 100);
    expect(problemOf(() => labelVolume('n.nii.gz', negative)).problem).toMatch(/negative label/);
    const wide = decodeNifti('w.nii.gz', niftiBytes([0, 300, 1, 1], { dims: [2, 2, 1], datatype: 'int16' }), 100);
    expect(labelVolume('w.nii.gz', wide)).toBeInstanceOf(Uint16Array);
  });

  it('refuses a volume over the voxel limit from its header, before inflating it', () => {
    // 200^3 zeros gzip to ~8 kB; the header alone says 8,000,000 voxels.
    const bytes = niftiBytes(new Uint8Array(200 ** 3), { dims: [200, 200, 200], datatype: 'uint8' });
    const p = problemOf(() => decodeNifti('big.nii.gz', bytes, 1_000_000));
    expect(p.problem).toMatch(/200x200x200 \(8,000,000 voxels.*over the limit of 1,000,000 voxels/);
    expect(p.fix).toMatch(/--max-pixels 8000000/);
  });

  it('refuses a gzip that inflates far beyond what its header declares (a decompression bomb)', async () => {
    const { gzipSync } = await import('node:zlib');
    const plain = niftiBytes([1, 2, 3, 4], { dims: [2, 2, 1], gzip: false });
    const bomb = gzipSync(Buffer.concat([plain, Buffer.alloc(20 * 1024 * 1024)]), { level: 1 });
    const p = problemOf(() => decodeNifti('bomb.nii.gz', bomb, 1e6));
    expect(p.problem).toMatch(/inflates to more than its header declares/);
  });

  it('names truncated and corrupt files with the fix', () => {
    const bytes = niftiBytes(volumeOf([30, 30, 30], (x, y, z) => (x * y + z) % 7), { dims: [30, 30, 30] });
    const truncated = problemOf(() => decodeNifti('t.nii.gz', bytes.subarray(0, Math.floor(bytes.length / 2)), 1e6));
    expect(truncated.file).toBe('t.nii.gz');
    expect(truncated.problem).toMatch(/truncated/);
    expect(truncated.fix).toMatch(/copy or download the file again/);
    const plain = niftiBytes(values, { dims, gzip: false });
    expect(problemOf(() => decodeNifti('t.nii', plain.subarray(0, plain.length - 5), 1e6)).problem).toMatch(/ends early/);
    const corrupt = Buffer.from(bytes);
    for (let i = 20; i < 200; i++) corrupt[i] ^= 0x5a;
    expect(problemOf(() => decodeNifti('c.nii.gz', corrupt, 1e6)).problem).toMatch(/corrupt|truncated|not a NIfTI/);
    expect(problemOf(() => decodeNifti('x.nii', Buffer.from('hello, not a volume'), 1e6)).problem).toMatch(/not a NIfTI file/);
    const badHeader = Buffer.from(plain);
    badHeader.writeInt16LE(-5, 42); // dim[1]
    expect(problemOf(() => decodeNifti('h.nii', badHeader, 1e6)).problem).toMatch(/header is corrupt/);
  });

  it('refuses 4D files (one volume per channel file, as nnU-Net)', () => {
    const bytes = niftiBytes(values, { dims, gzip: false });
    bytes.writeInt16LE(4, 40);
    bytes.writeInt16LE(2, 48); // dim[4] = 2 time points (data is short too, but the shape is checked first)
    expect(problemOf(() => decodeNifti('4d.nii', bytes, 1e6)).problem).toMatch(/time series/);
  });
});

describe('volumes: windowing, slicing, a case with channels', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('windows each channel to its 0.5-99.5 percentiles', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => i);
    values[0] = -1e6; // an outlier does not stretch the window
    const [low, high] = intensityWindow(values);
    expect(low).toBeGreaterThanOrEqual(1);
    expect(high).toBeLessThanOrEqual(995);
    const bytes = windowTo8Bit(values);
    expect(bytes[0]).toBe(0);
    expect(bytes[999]).toBe(255);
  });

  it('cuts slices across the coarsest axis (k on ties), as nnU-Net 2d', () => {
    expect(sliceAxis([1, 1, 1])).toBe(2);
    expect(sliceAxis([0.7, 0.7, 5])).toBe(2);
    expect(sliceAxis([3, 1, 1])).toBe(0);
    expect(sliceAxis([1, 2, 2])).toBe(2);
    const dims = [3, 2, 2];
    const v = Uint8Array.from(volumeOf([3, 2, 2], (x, y, z) => x + 3 * y + 6 * z));
    expect([...sliceOf(v, dims, 2, 1)]).toEqual([6, 7, 8, 9, 10, 11]);
    expect([...sliceOf(v, dims, 1, 1)]).toEqual([3, 4, 5, 9, 10, 11]);
    expect([...sliceOf(v, dims, 0, 2)]).toEqual([2, 5, 8, 11]);
  });

  it('reads a case with two channels and refuses a label on another grid', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const dims: [number, number, number] = [5, 4, 3];
    writeFileSync(join(dir, 'c_0000.nii.gz'), niftiBytes(volumeOf(dims, (x) => x * 100), { dims }));
    writeFileSync(join(dir, 'c_0001.nii.gz'), niftiBytes(volumeOf(dims, (_, y) => y), { dims, datatype: 'float32' }));
    writeFileSync(join(dir, 'c.nii.gz'), niftiBytes(volumeOf(dims, (x) => (x > 2 ? 1 : 0)), { dims, spacing: [1, 1, 2.5], datatype: 'uint8' }));
    const context = { numClasses: null, ignoreIndex: null, colormap: null, numClassesSource: null };
    const pair = { id: 'c', maskPath: join(dir, 'c.nii.gz'), imagePath: join(dir, 'c_0000.nii.gz'), imagePaths: [join(dir, 'c_0000.nii.gz'), join(dir, 'c_0001.nii.gz')] };
    const volume = await decodeVolumePair(pair, context);
    expect(volume.dims).toEqual(dims);
    expect(volume.spacing).toEqual([1, 1, 2.5]);
    expect(volume.channels).toHaveLength(2);
    expect(volume.maxLabel).toBe(1);
    expect(volume.group).toBe('c');
    writeFileSync(join(dir, 'c.nii.gz'), niftiBytes(new Array(60).fill(0), { dims: [5, 3, 4], datatype: 'uint8' }));
    await expect(decodeVolumePair(pair, context)).rejects.toThrow(/5x3x4 voxels but its image .*5x4x3/);
  });

  it('refuses a label that lies elsewhere in space than its image (origin or axes), as nnU-Net does; no orientation is not compared', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const dims: [number, number, number] = [5, 4, 3];
    const sform: [number[], number[], number[]] = [[1, 0, 0, -90], [0, 1, 0, -125], [0, 0, 2.5, -71]];
    const label = (s?: [number[], number[], number[]]) => writeFileSync(join(dir, 'c.nii.gz'), niftiBytes(volumeOf(dims, (x) => (x > 2 ? 1 : 0)), { dims, spacing: [1, 1, 2.5], datatype: 'uint8', sform: s }));
    writeFileSync(join(dir, 'c_0000.nii.gz'), niftiBytes(volumeOf(dims, (x) => x * 100), { dims, spacing: [1, 1, 2.5], sform }));
    expect(decodeNifti('c_0000', readFileSync(join(dir, 'c_0000.nii.gz')), 1e6).affine).toEqual(sform);
    const context = { numClasses: null, ignoreIndex: null, colormap: null, numClassesSource: null };
    const pair = { id: 'c', maskPath: join(dir, 'c.nii.gz'), imagePath: join(dir, 'c_0000.nii.gz') };
    label(sform);
    expect((await decodeVolumePair(pair, context)).maxLabel).toBe(1); // the same geometry
    label([[1, 0, 0, -90], [0, 1, 0, -120], [0, 0, 2.5, -71]]);
    await expect(decodeVolumePair(pair, context)).rejects.toThrow(/lies elsewhere in space than its image .*origin \(-90, -120, -71\) mm vs \(-90, -125, -71\) mm/);
    label([[-1, 0, 0, -90], [0, 1, 0, -125], [0, 0, 2.5, -71]]); // flipped i axis (LPS vs RAS written carelessly)
    await expect(decodeVolumePair(pair, context)).rejects.toThrow(/voxel axes \(-1, 0, 0\) vs \(1, 0, 0\) for axis i/);
    await expect(decodeVolumePair(pair, context)).rejects.toMatchObject({ fix: expect.stringMatching(/resample the label with nearest-neighbour onto the image grid/) });
    label(undefined); // a label writer that left no orientation: nothing to compare
    expect((await decodeVolumePair(pair, context)).maxLabel).toBe(1);
  });

  const templates = '/usr/share/mricron/templates';
  it.skipIf(!existsSync(templates))('reads the real NIfTI templates of Debian mricron-data', () => {
    const file = readdirSync(templates).filter((f) => f.endsWith('.nii.gz')).sort()[0];
    const volume = decodeNifti(file, readFileSync(join(templates, file)), 50_000_000);
    expect(volume.dims.every((n) => n > 1)).toBe(true);
    expect(volume.spacing.every((s) => s > 0)).toBe(true);
  });
});
