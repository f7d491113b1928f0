import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../../src/common/errors.js';
import { datasetOptionsFrom, indexDataset, type DatasetOptions } from '../../../src/dataset/index.js';
import { profileDataset } from '../../../src/profiler/index.js';
import { runCli } from '../../helpers/run-cli.js';
import { tempDir } from '../helpers.js';
import * as trees from './trees.js';

const opts = (root: string, extra: Partial<DatasetOptions> = {}): DatasetOptions => ({ root, ignoreIndex: 255, strict: false, ...extra });

async function failure(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  expect((error as UserError).exitCode).toBe(2);
  return error as UserError;
}

/** A user's own layout: scans/ + labels/ with "_label" masks, grouped by patient. */
const USER_FORMAT = {
  schema: 'segloss-format/1',
  name: 'clinic',
  description: 'scans/<patient>_<slice>.png with labels/<patient>_<slice>_label.png',
  detect: ['scans/', 'labels/'],
  images: 'scans',
  masks: 'labels',
  maskSuffixes: ['_label'],
  maskSuffixRequired: true,
  labels: { background: 0 },
  classes: ['background', 'lesion'],
  group: '^(p\\d+)_',
  groupMeaning: 'patient',
};

describe('choosing the format, the split and the groups', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir: root, cleanup } = tempDir('segloss-formats-')));
  afterEach(() => cleanup());

  it('two VOC years under VOCdevkit/: ambiguous, the message names both folders', async () => {
    trees.voc(join(root, 'VOC2007'));
    trees.voc(join(root, 'VOC2012'));
    const error = await failure(indexDataset(opts(root)));
    expect(error.message).toContain('looks like more than one dataset layout');
    expect(error.message).toContain(join(root, 'VOC2012'));
    expect(error.fix).toContain(`point segloss at one of ${join(root, 'VOC2007')}, ${join(root, 'VOC2012')}`);
  });

  it('two formats with the same markers at one root: ambiguous, --format picks', async () => {
    trees.mmseg(root);
    const twin = join(root, '..', `${root.split('/').pop()}-twin.json`);
    writeFileSync(twin, JSON.stringify({ schema: 'segloss-format/1', name: 'twin', description: 'same folders', detect: ['img_dir/', 'ann_dir/'], images: 'img_dir/train', masks: 'ann_dir/train' }));
    const error = await failure(indexDataset(opts(root, { formatFiles: [twin] })));
    expect(error.fix).toBe('choose one with --format mmseg or --format twin');
    const index = await indexDataset(opts(root, { formatFiles: [twin], format: 'twin' }));
    expect(index.format).toEqual({ name: 'twin', reason: 'chosen with --format', split: null });
  });

  it('nothing matches: the message says so, lists the layouts and suggests --format', async () => {
    mkdirSync(join(root, 'pictures'));
    const error = await failure(indexDataset(opts(root)));
    expect(error.message).toContain(`no masks found in ${root}`);
    expect(error.message).toContain('cityscapes (leftImg8bit/ gtFine/)');
    expect(error.fix).toContain('--format NAME');
  });

  it('unknown --split lists the splits; --split on a layout without splits; unknown --format lists the names', async () => {
    trees.cityscapes(root);
    let error = await failure(indexDataset(opts(root, { split: 'test' })));
    expect(error.message).toBe('the cityscapes layout has no split "test"');
    expect(error.fix).toContain('train, val (default train)');
    error = await failure(indexDataset(opts(root, { format: 'nope' })));
    expect(error.fix).toContain('ade20k, cityscapes');
    const own = join(root, 'own');
    trees.seglossLayout(own);
    error = await failure(indexDataset(opts(own, { split: 'train' })));
    expect(error.message).toContain('has no splits');
  });

  it('--format with --masks is refused; --masks alone reads the folders as before', async () => {
    trees.seglossLayout(root);
    await failure(indexDataset(opts(root, { masksDir: join(root, 'masks'), format: 'voc' })));
    const index = await indexDataset({ masksDir: join(root, 'masks'), imagesDir: join(root, 'images'), ignoreIndex: 255, strict: false });
    expect(index.format).toBeUndefined();
    expect(index.pairs.map((p) => p.id)).toEqual(['tile_1', 'tile_2']);
  });

  it('--images none means masks only (not a folder named none), on any layout', async () => {
    trees.cityscapes(root);
    const options = datasetOptionsFrom({ images: 'none' }, root);
    expect(options.imagesDir).toBeNull();
    const index = await indexDataset(options);
    expect(index.hasImages).toBe(false);
    expect(index.pairs.every((p) => p.imagePath === null)).toBe(true);
    const own = join(root, 'own');
    trees.seglossLayout(own);
    const plain = await indexDataset(datasetOptionsFrom({ images: 'none' }, own));
    expect(plain.hasImages).toBe(false);
    expect(plain.pairs.map((p) => p.id)).toEqual(['tile_1_mask', 'tile_2_mask']);
  });

  it('a user format file (--formats) is detected, pairs by its suffix and groups by its rule', async () => {
    for (const id of ['p1_001', 'p1_002', 'p2_001']) {
      trees.put(root, `data/scans/${id}.png`, trees.maskOf([9]));
      trees.put(root, `data/labels/${id}_label.png`, trees.maskOf([0, 1]));
    }
    trees.put(root, 'data/labels/p2_001_overlay.png', trees.maskOf([3]));
    const file = join(root, 'clinic.json');
    writeFileSync(file, JSON.stringify(USER_FORMAT, null, 2));
    const index = await indexDataset(opts(join(root, 'data'), { formatFiles: [file] }));
    expect(index.format).toEqual({ name: 'clinic', reason: 'found scans/ and labels/', split: null });
    expect(index.pairs.map((p) => [p.id, p.group])).toEqual([
      ['p1_001', 'p1'],
      ['p1_002', 'p1'],
      ['p2_001', 'p2'],
    ]);
    expect(index.classNames).toEqual(['background', 'lesion']);
    // --group wins over the format's rule; a pattern matching no id, or not compiling, stops the run.
    const bySlice = await indexDataset(opts(join(root, 'data'), { formatFiles: [file], groupPattern: '_(\\d+)$' }));
    expect(bySlice.pairs.map((p) => p.group)).toEqual(['001', '002', '001']);
    let error = await failure(indexDataset(opts(join(root, 'data'), { formatFiles: [file], groupPattern: '^zzz' })));
    expect(error.message).toContain('matches none of the 3 ids (e.g. p1_001, p1_002, p2_001)');
    error = await failure(indexDataset(opts(join(root, 'data'), { formatFiles: [file], groupPattern: '([a-z' })));
    expect(error.message).toContain('is not a valid regular expression');
  });

  it('a user file replaces a built-in format by name', async () => {
    trees.mmseg(root);
    const file = join(root, 'mmseg-rzl.json');
    writeFileSync(file, JSON.stringify({ schema: 'segloss-format/1', name: 'mmseg', description: 'mine', detect: ['img_dir/', 'ann_dir/'], images: 'img_dir/{split}', masks: 'ann_dir/{split}', splits: ['val', 'train'], labels: { reduceZeroLabel: true } }));
    const index = await indexDataset(opts(root, { formatFiles: [file] }));
    expect(index.format!.split).toBe('val');
    expect(index.labels!.reduceZeroLabel).toBe(true);
  });

  it('flags win over the format convention field by field', async () => {
    trees.ade20k(root);
    const index = await indexDataset(opts(root, { labels: { background: 3 } }));
    expect(index.labels).toEqual({ binarize: null, labelMap: null, reduceZeroLabel: true, background: 3 });
  });

  it('the profile records the format; the CLI prints which format matched and why', async () => {
    // VOC's stored ids are its class ids, so this runs without any label mapping.
    trees.voc(root);
    const profile = await profileDataset({ ...opts(root), workers: 0 });
    expect(profile.dataset.format).toEqual({ name: 'voc', reason: 'found JPEGImages/, SegmentationClass/ and ImageSets/Segmentation/', split: 'train' });
    expect(profile.dataset.classNames).toHaveLength(21);
    expect(profile.dataset.pairsFound).toBe(3);
    const run = await runCli(['profile', root, '--workers', '0', '--json', '--split', 'val']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`dataset format: voc (found JPEGImages/, SegmentationClass/ and ImageSets/Segmentation/), split val at ${root}`);
    expect(JSON.parse(run.stdout).dataset.pairsFound).toBe(1);
    const bad = await runCli(['profile', root, '--split', 'test']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('use --split with one of train, val, trainval');
  });
});

describe('detection markers', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir: root, cleanup } = tempDir('segloss-formats-')));
  afterEach(() => cleanup());

  it('JPEG masks alone are not taken for Kvasir-SEG (multi-class ids would be binarized): kavsir_bboxes.json is the marker', async () => {
    await trees.kvasir(root);
    const kvasir = join(root, 'Kvasir-SEG');
    rmSync(join(kvasir, 'kavsir_bboxes.json'));
    expect((await indexDataset(opts(kvasir))).format!.name).toBe('segloss');
    expect((await indexDataset(opts(kvasir, { format: 'kvasir' }))).labels!.binarize).toEqual({ threshold: 127 });
  });

  it('a "!" marker must match nothing', async () => {
    trees.seglossLayout(root);
    const file = join(root, 'no-png.json');
    writeFileSync(file, JSON.stringify({ schema: 'segloss-format/1', name: 'jpeg-only', description: 'd', detect: ['images/', 'masks/', '!masks/*.png'], images: 'images', masks: 'masks' }));
    expect((await indexDataset(opts(root, { formatFiles: [file] }))).format!.name).toBe('segloss');
    rmSync(join(root, 'masks'), { recursive: true });
    trees.put(root, 'masks/tile_1.jpg', trees.maskOf([0]));
    const index = await indexDataset(opts(root, { formatFiles: [file] }));
    expect(index.format).toEqual({ name: 'jpeg-only', reason: 'found images/ and masks/ and no masks/*.png', split: null });
  });
});

describe('empty or partial layouts', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir: root, cleanup } = tempDir('segloss-formats-')));
  afterEach(() => cleanup());

  it('only the colour files of Cityscapes: no label maps, named with the suffixes looked for', async () => {
    trees.put(root, 'leftImg8bit/train/ulm/ulm_000000_000019_leftImg8bit.png', trees.maskOf([1]));
    trees.put(root, 'gtFine/train/ulm/ulm_000000_000019_gtFine_color.png', trees.maskOf([1]));
    const error = await failure(indexDataset(opts(root)));
    expect(error.message).toBe(`no mask files in ${join(root, 'gtFine/train')} (looked for .png, .tif, .tiff, .jpg, .jpeg, .webp, .bmp ending _gtFine_labelTrainIds or _gtFine_labelIds, in sub-folders too)`);
  });

  it('gtFine only (no leftImg8bit download): masks only, said in the notes', async () => {
    trees.cityscapes(root);
    rmSync(join(root, 'leftImg8bit', 'train'), { recursive: true });
    const index = await indexDataset(opts(root, { format: 'cityscapes' }));
    expect(index.hasImages).toBe(false);
    expect(index.pairs).toHaveLength(3);
  });

  it('a Cityscapes image whose only label file is labelIds while the others have labelTrainIds is skipped with the reason', async () => {
    trees.cityscapes(root, { trainIds: true });
    rmSync(join(root, 'gtFine/train/bochum/bochum_000000_000313_gtFine_labelTrainIds.png'));
    const index = await indexDataset(opts(root));
    expect(index.pairs.map((p) => p.id)).toEqual(['aachen_000000_000019', 'aachen_000001_000019']);
    const item = index.skipped.find((s) => s.file.endsWith('bochum_000000_000313_gtFine_labelIds.png'))!;
    expect(item.problem).toContain('only a _gtFine_labelIds label file');
    expect(item.fix).toContain('createTrainIdLabelImgs');
  });
});

describe('the format lines the CLI prints', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir: root, cleanup } = tempDir('segloss-formats-')));
  afterEach(() => cleanup());

  it('cityscapes: the format, the files left out and the groups, on stderr (stdout stays JSON)', async () => {
    trees.cityscapes(root, { trainIds: true });
    const run = await runCli(['profile', root, '--workers', '0', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`dataset format: cityscapes (found leftImg8bit/ and gtFine/), split train at ${root}\n`);
    expect(run.stderr).toContain('  left out 9 files that are not the label maps read (*_color, *_instanceIds, *_gtFine_labelIds)\n');
    expect(run.stderr).toContain("  2 groups (city) from 3 pairs by the format's rule ^([a-z]+)_\\d+_\\d+$\n");
    const profile = JSON.parse(run.stdout);
    expect(profile.dataset.format).toEqual({ name: 'cityscapes', reason: 'found leftImg8bit/ and gtFine/', split: 'train' });
    expect(profile.dataset.classNames.slice(0, 2)).toEqual(['road', 'sidewalk']);
  });
});
