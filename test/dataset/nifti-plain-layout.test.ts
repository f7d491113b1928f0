/**
 * NIfTI volumes in a plain images/ + masks/ layout (as MONAI and Medical Segmentation Decathlon
 * users keep them), not only nnU-Net's imagesTr/ + labelsTr/: paired by name with `.nii.gz` as one
 * extension (a mask may add _seg, _label, ...), profiled in 3D exactly as the nnU-Net layout of
 * the same cases is.
 */
import { mkdirSync, renameSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseName, hasImageExtension } from '../../src/dataset/files.js';
import { profileDataset } from '../../src/profiler/index.js';
import { tempDir } from './helpers.js';
import { TWO_CUBES, writeNnunetDataset } from '../helpers/nnunet-dataset.js';

/** The nnU-Net dataset of `cases` moved to images/<id>.nii.gz and masks/<id><maskSuffix>.nii.gz. */
function plainLayout(root: string, maskSuffix: string): void {
  writeNnunetDataset(root, TWO_CUBES);
  mkdirSync(join(root, 'images'));
  mkdirSync(join(root, 'masks'));
  for (const name of readdirSync(join(root, 'imagesTr'))) renameSync(join(root, 'imagesTr', name), join(root, 'images', name.replace('_0000.nii.gz', '.nii.gz')));
  for (const name of readdirSync(join(root, 'labelsTr'))) renameSync(join(root, 'labelsTr', name), join(root, 'masks', name.replace('.nii.gz', `${maskSuffix}.nii.gz`)));
  rmSync(join(root, 'imagesTr'), { recursive: true });
  rmSync(join(root, 'labelsTr'), { recursive: true });
  rmSync(join(root, 'dataset.json'));
}

describe('NIfTI volumes in images/ + masks/', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));

  it('counts .nii.gz as one extension', () => {
    expect(baseName('case_1.nii.gz')).toBe('case_1');
    expect(baseName('case_1.NII.GZ')).toBe('case_1');
    expect(baseName('case_1.nii')).toBe('case_1');
    expect(baseName('tile.v2.png')).toBe('tile.v2');
    expect(hasImageExtension('case_1.nii.gz')).toBe(true);
    expect(hasImageExtension('notes.gz')).toBe(false);
  });

  for (const suffix of ['', '_seg']) {
    it(`profiles them in 3D as the nnU-Net layout of the same cases${suffix ? ` (masks named <id>${suffix}.nii.gz)` : ''}`, async () => {
      const nnunet = tempDir('segloss-nnunet-');
      const plain = tempDir('segloss-plain-nifti-');
      cleanups.push(nnunet.cleanup, plain.cleanup);
      writeNnunetDataset(nnunet.dir, TWO_CUBES);
      plainLayout(plain.dir, suffix);
      const reference = await profileDataset({ root: nnunet.dir, ignoreIndex: 255, strict: false, workers: 0 });
      const profile = await profileDataset({ root: plain.dir, ignoreIndex: 255, strict: false, workers: 0 });
      expect(profile.dataset.skipped).toEqual([]);
      expect(profile.aggregates.imagesProfiled).toBe(2);
      expect(profile.classes.map((c) => c.pixelCount)).toEqual(reference.classes.map((c) => c.pixelCount));
      expect(profile.classes.map((c) => c.objects.count)).toEqual(reference.classes.map((c) => c.objects.count));
      // Everything but the class names (dataset.json names them in the nnU-Net layout; classes.json would here).
      const unnamed = (v: typeof profile.volumes) => ({ ...v, classes: v!.classes.map(({ name: _name, ...rest }) => rest) });
      expect(profile.volumes).not.toBeNull();
      expect(unnamed(profile.volumes)).toEqual(unnamed(reference.volumes));
      expect(profile.volumes!.classes[1].objects!.count).toBe(3);
    });
  }
});
