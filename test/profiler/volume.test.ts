import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeNifti } from '../../src/dataset/nifti.js';
import { afterEach, describe, expect, it } from 'vitest';
import { profileDataset } from '../../src/profiler/index.js';
import { components3d } from '../../src/profiler/components3d.js';
import { formatProfileText } from '../../src/report/profile-text.js';
import { profileLines } from '../../src/ui/views/profile-lines.js';
import { tempDir } from '../dataset/helpers.js';
import { TWO_CUBES, writeNnunetDataset } from '../helpers/nnunet-dataset.js';
import { niftiBytes, volumeOf } from '../helpers/nifti-writer.js';

describe('3D profile of NIfTI volumes', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('gives exact voxel shares, 26-connected objects in voxels and mm³, and 2D slice objects', async () => {
    const { dir, cleanup } = tempDir('segloss-volume-');
    cleanups.push(cleanup);
    writeNnunetDataset(dir, TWO_CUBES);
    const profile = await profileDataset({ root: dir, ignoreIndex: 255, strict: false, workers: 0 });
    // 664 voxels: class 1 = 27 + 8 + 4 + 1, class 2 = 10.
    expect(profile.aggregates.validPixels).toBe(664);
    expect(profile.classes.map((c) => [c.name, c.pixelCount])).toEqual([
      ['background', 614],
      ['tumour', 40],
      ['cyst', 10],
    ]);
    expect(profile.classes[1].pixelShare).toBe(40 / 664);
    expect(profile.aggregates.imagesProfiled).toBe(2);
    // Slices across k (the coarsest spacing in case_1, the tie rule in case_2): 2D objects on slices.
    expect(profile.classes[1].objects.count).toBe(3 + 2 + 1 + 1); // A on 3 slices, B on 2, C on 1, case_2's voxel
    expect(profile.classes[2].objects.count).toBe(1);

    const v = profile.volumes!;
    expect(v.cases).toBe(2);
    expect(v.slices).toBe(6 + 4);
    expect(v.connectivity).toBe(26);
    expect(v.sliceAxis).toMatch(/^k \(third\) axis/);
    expect(v.spacingMin).toEqual([0.5, 0.5, 1]);
    expect(v.spacingMax).toEqual([1, 1, 2]);
    expect(v.shapeMax).toEqual([10, 10, 6]);
    const tumour = v.classes[1];
    expect(tumour.voxelCount).toBe(40);
    expect(tumour.volumeMm3).toBeCloseTo(39 * 0.5 + 1, 10);
    expect(tumour.casesWithClass).toBe(2);
    // A and B touch at a corner: one object of 35 voxels (17.5 mm³); C 4 voxels (2 mm³); case_2: 1 voxel (1 mm³).
    expect(tumour.objects!.count).toBe(3);
    expect(tumour.objects!.voxelsMin).toBe(1);
    expect(tumour.objects!.voxelsMax).toBe(35);
    expect(tumour.objects!.voxelsP50).toBe(4);
    expect(tumour.objects!.mm3Min).toBe(1);
    expect(tumour.objects!.mm3Max).toBe(17.5);
    expect(tumour.objects!.mm3P50).toBe(2);
    expect(v.classes[2].objects!.count).toBe(1);
    expect(v.classes[2].objects!.mm3Max).toBe(5);
    expect(v.classes[0].objects).toBeNull();
    expect(v.objectCount).toBe(4);
    // The boundary measure ran on slices with the image.
    expect(profile.aggregates.ambiguousBoundaryShare).not.toBeNull();

    const text = formatProfileText(profile, { color: false });
    expect(text).toMatch(/2 volumes profiled/);
    expect(text).toMatch(/2 volumes, 10 slices across the k \(third\) axis/);
    expect(text).toMatch(/17\.5 mm³/);
    const view = profileLines(profile, 100).map((line) => line.map((s) => s.text).join('')).join('\n');
    expect(view).toMatch(/3D objects \(2 volumes/);
    expect(view).toMatch(/tumour\s+3 objects\s+p50 2, largest 17\.5 mm³, in 2 of 2 cases/);
  });

  it('joins 3D components through faces, edges and corners (26), keeps classes apart', () => {
    const dims: [number, number, number] = [3, 3, 3];
    const isObject = new Uint8Array(256);
    isObject[1] = isObject[2] = 1;
    const corner = Uint8Array.from(volumeOf(dims, (x, y, z) => ((x === 0 && y === 0 && z === 0) || (x === 1 && y === 1 && z === 1) ? 1 : 0)));
    expect(components3d(corner, dims, isObject).count).toBe(1);
    const apart = Uint8Array.from(volumeOf(dims, (x, y, z) => ((x === 0 && y === 0 && z === 0) || (x === 2 && y === 2 && z === 2) ? 1 : 0)));
    expect(components3d(apart, dims, isObject).count).toBe(2);
    const twoClasses = Uint8Array.from(volumeOf(dims, (x, y, z) => (z === 0 ? 1 : z === 1 ? 2 : 0)));
    const found = components3d(twoClasses, dims, isObject);
    expect(found.count).toBe(2);
    expect([...found.objectVoxels]).toEqual([9, 9]);
    // A U shape joined only on its last plane: one object.
    const u = Uint8Array.from(volumeOf([3, 1, 3], (x, _y, z) => (x === 1 && z < 2 ? 0 : 1)));
    expect(components3d(u, [3, 1, 3], isObject).count).toBe(1);
  });

  it('matches a brute-force 26-connected flood fill on random volumes', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const dims: [number, number, number] = [9, 7, 5];
    const isObject = new Uint8Array(256);
    isObject[1] = isObject[2] = 1;
    for (let trial = 0; trial < 20; trial++) {
      const labels = Uint8Array.from({ length: 9 * 7 * 5 }, () => (rand() < 0.25 ? 1 : rand() < 0.1 ? 2 : 0));
      const found = components3d(labels, dims, isObject);
      const sizes = floodSizes(labels, dims);
      expect([...found.objectVoxels].sort((a, b) => a - b)).toEqual(sizes.sort((a, b) => a - b));
    }
  });
});

function floodSizes(labels: Uint8Array, [nx, ny, nz]: number[]): number[] {
  const seen = new Uint8Array(labels.length);
  const sizes: number[] = [];
  for (let start = 0; start < labels.length; start++) {
    if (seen[start] || labels[start] === 0) continue;
    const c = labels[start];
    const stack = [start];
    seen[start] = 1;
    let size = 0;
    while (stack.length) {
      const i = stack.pop()!;
      size++;
      const x = i % nx;
      const y = Math.floor(i / nx) % ny;
      const z = Math.floor(i / (nx * ny));
      for (let dz = -1; dz <= 1; dz++)
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const X = x + dx;
            const Y = y + dy;
            const Z = z + dz;
            if (X < 0 || Y < 0 || Z < 0 || X >= nx || Y >= ny || Z >= nz) continue;
            const j = X + nx * (Y + ny * Z);
            if (!seen[j] && labels[j] === c) {
              seen[j] = 1;
              stack.push(j);
            }
          }
    }
    sizes.push(size);
  }
  return sizes;
}

describe('ValueAccumulator (mm³ sizes)', () => {
  it('is exact while values are few, within 0.5% once they are many', async () => {
    const { ValueAccumulator } = await import('../../src/profiler/value-sketch.js');
    const few = new ValueAccumulator();
    [4, 4, 0.125, 17.5].forEach((v) => few.add(v));
    expect(few.quantile(0.5)).toBe(4);
    expect(few.quantile(0.1)).toBe(0.125);
    const many = new ValueAccumulator();
    const other = new ValueAccumulator();
    for (let i = 1; i <= 10000; i++) (i % 2 ? many : other).add(i * 0.37);
    many.merge(other.toSketch());
    expect(many.toSketch().exact).toBeNull();
    const p50 = many.quantile(0.5)!;
    expect(Math.abs(p50 / (5000 * 0.37) - 1)).toBeLessThan(0.005);
    expect(many.min).toBe(0.37);
  });
});

const TEMPLATES = '/usr/share/mricron/templates';
describe.skipIf(!existsSync(join(TEMPLATES, 'aal.nii.gz')) || !existsSync(join(TEMPLATES, 'ch2.nii.gz')))('a real T1 MRI with its AAL atlas (Debian mricron-data)', () => {
  it('profiles the 116-region atlas as an nnU-Net case with exact voxel counts', async () => {
    const { dir, cleanup } = tempDir('segloss-aal-');
    try {
      mkdirSync(join(dir, 'imagesTr'));
      mkdirSync(join(dir, 'labelsTr'));
      symlinkSync(join(TEMPLATES, 'ch2.nii.gz'), join(dir, 'imagesTr', 'ch2_0000.nii.gz'));
      symlinkSync(join(TEMPLATES, 'aal.nii.gz'), join(dir, 'labelsTr', 'ch2.nii.gz'));
      const labels: Record<string, number> = { background: 0 };
      for (const line of readFileSync(join(TEMPLATES, 'aal.nii.txt'), 'utf8').split('\n')) {
        const [id, name] = line.trim().split(/\s+/);
        if (name) labels[name] = Number(id);
      }
      writeFileSync(join(dir, 'dataset.json'), JSON.stringify({ channel_names: { 0: 'T1' }, labels, numTraining: 1, file_ending: '.nii.gz' }));
      const profile = await profileDataset({ root: dir, ignoreIndex: 255, strict: false, workers: 0 });
      const atlas = decodeNifti('aal', readFileSync(join(TEMPLATES, 'aal.nii.gz')), 1e8);
      const counts = new Array<number>(117).fill(0);
      for (const v of atlas.data) counts[v]++;
      expect(profile.classes.map((c) => c.pixelCount)).toEqual(counts);
      expect(profile.classes[1].name).toBe('Precentral_L');
      const v = profile.volumes!;
      expect(v.shapeMin).toEqual([181, 217, 181]);
      expect(v.classes[1].volumeMm3).toBe(counts[1]); // 1 mm isotropic
      expect(v.classes.slice(1).every((c) => (c.objects?.count ?? 0) >= 1)).toBe(true);
      expect(profile.aggregates.ambiguousBoundaryShare).not.toBeNull();
    } finally {
      cleanup();
    }
  }, 20_000);
});

describe('sharded volume profiles', () => {
  it('2 shards merged (through JSON and the part validator) give the one-machine volumes section', async () => {
    const { mergeProfileParts, profileShard } = await import('../../src/profiler/index.js');
    const { validateProfilePart } = await import('../../src/profiler/part-file.js');
    const { dir, cleanup } = tempDir('segloss-volume-shard-');
    try {
      writeNnunetDataset(dir, [...TWO_CUBES, { ...TWO_CUBES[0], id: 'case_3', spacing: [0.25, 0.25, 1] }]);
      const options = { root: dir, ignoreIndex: 255, strict: false, workers: 0 } as const;
      const whole = await profileDataset(options);
      const parts = [];
      for (let index = 0; index < 2; index++) {
        const part = JSON.parse(JSON.stringify(await profileShard(options, { index, count: 2 })));
        parts.push({ file: `part-${index}`, part: validateProfilePart(part, `part-${index}`) });
      }
      const merged = mergeProfileParts(parts);
      expect(merged.volumes).toEqual(whole.volumes);
      expect(whole.volumes!.classes[1].objects!.count).toBe(5);
      expect(whole.volumes!.spacingMin).toEqual([0.25, 0.25, 1]);
      const broken = JSON.parse(JSON.stringify(parts[0].part));
      broken.accumulator.volumes.axes = [1];
      expect(() => validateProfilePart(broken, 'bad.json')).toThrow(/accumulator.volumes axes is not 3 counts/);
    } finally {
      cleanup();
    }
  });
});

describe('bad cases in a volume dataset', () => {
  it('lists a truncated label and an image on another grid with their fixes and profiles the rest', async () => {
    const { dir, cleanup } = tempDir('segloss-volume-bad-');
    try {
      writeNnunetDataset(dir, [...TWO_CUBES, { ...TWO_CUBES[1], id: 'case_3' }, { ...TWO_CUBES[1], id: 'case_4' }]);
      const label = join(dir, 'labelsTr', 'case_3.nii.gz');
      const bytes = readFileSync(label);
      writeFileSync(label, bytes.subarray(0, bytes.length - 20));
      writeFileSync(join(dir, 'imagesTr', 'case_4_0000.nii.gz'), niftiBytes(new Array(27).fill(0), { dims: [3, 3, 3] }));
      const profile = await profileDataset({ root: dir, ignoreIndex: 255, strict: false, workers: 0 });
      expect(profile.volumes!.cases).toBe(2);
      const skipped = profile.dataset.skipped.map((s) => [s.file.slice(dir.length + 1), s.problem, s.fix]);
      expect(skipped).toHaveLength(2);
      expect(skipped[0][0]).toBe('labelsTr/case_3.nii.gz');
      expect(skipped[0][1]).toMatch(/truncated|ends early/);
      expect(skipped[1][0]).toBe('labelsTr/case_4.nii.gz');
      expect(skipped[1][1]).toMatch(/4x4x4 voxels but its image .*case_4_0000.nii.gz is 3x3x3/);
      expect(skipped[1][2]).toMatch(/nearest-neighbour/);
      await expect(profileDataset({ root: dir, ignoreIndex: 255, strict: true, workers: 0 })).rejects.toThrow(/case_3.nii.gz/);
    } finally {
      cleanup();
    }
  });
});

describe('background convention in 3D', () => {
  it('counts objects of every class when there is no background (null), none for the background id otherwise', async () => {
    const { measureVolume } = await import('../../src/profiler/measure-volume.js');
    const dims: [number, number, number] = [4, 4, 2];
    const labels = Uint8Array.from(volumeOf(dims, (x) => (x < 2 ? 0 : 1)));
    const volume = { id: 'v', group: 'v', dims, spacing: [1, 1, 1] as [number, number, number], labels, maxLabel: 1, channels: null };
    const withBackground = measureVolume(volume, { ignoreIndex: 255, numClasses: 2 });
    expect(withBackground.volume.objects[0]).toBeNull();
    expect(withBackground.volume.objects[1]!.voxels.count).toBe(1);
    const none = measureVolume(volume, { ignoreIndex: 255, numClasses: 2, background: null });
    expect(none.volume.objects[0]!.voxels.count).toBe(1);
    expect(none.volume.objects[0]!.voxels.max).toBe(16);
    const other = measureVolume(volume, { ignoreIndex: 255, numClasses: 2, background: 1 });
    expect(other.volume.objects[1]).toBeNull();
    expect(other.volume.background).toBe(1);
  });
});

describe('boundaries of multi-channel volumes', () => {
  it('counts an edge visible in any channel (each channel its own band, never luma)', async () => {
    const runs: number[] = [];
    for (const channelCount of [1, 3]) {
      const { dir, cleanup } = tempDir('segloss-volume-bands-');
      try {
        const label = (x: number, y: number, z: number): number => ((x - 12) ** 2 + (y - 12) ** 2 < 40 && z > 0 && z < 5 ? 1 : 0);
        const texture = (x: number, y: number, z: number): number => ((x * 7 + y * 13 + z * 3) % 5) * 2;
        const flat = (x: number, y: number, z: number): number => 100 + texture(x, y, z);
        const edge = (x: number, y: number, z: number): number => 100 + label(x, y, z) * 120 + texture(x, y, z);
        // One channel: flat (the edge is invisible). Three: flat, flat, and one that shows it.
        const channels = channelCount === 1 ? [flat] : [flat, flat, edge];
        writeNnunetDataset(dir, [0, 1].map((n) => ({ id: `case_${n}`, dims: [24, 24, 6] as [number, number, number], spacing: [1, 1, 2] as [number, number, number], label, channels })));
        const profile = await profileDataset({ root: dir, ignoreIndex: 255, strict: false, workers: 0 });
        runs.push(profile.aggregates.ambiguousBoundaryShare!);
      } finally {
        cleanup();
      }
    }
    expect(runs[0]).toBeGreaterThan(0.9);
    expect(runs[1]).toBeLessThan(0.1);
  });
});
