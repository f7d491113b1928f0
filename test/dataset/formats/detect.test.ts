import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { decodePair, indexDataset, type DatasetOptions } from '../../../src/dataset/index.js';
import { tempDir } from '../helpers.js';
import * as trees from './trees.js';

const opts = (root: string, extra: Partial<DatasetOptions> = {}): DatasetOptions => ({ root, ignoreIndex: 255, strict: false, ...extra });
const ids = (index: { pairs: Array<{ id: string }> }) => index.pairs.map((p) => p.id);

describe('pointing segloss at a published layout with no flags', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir: root, cleanup } = tempDir('segloss-formats-')));
  afterEach(() => cleanup());

  it('cityscapes: city sub-folders searched, _leftImg8bit paired with _gtFine_labelIds, _color/_instanceIds left out, labelId -> trainId map, groups by city', async () => {
    trees.cityscapes(root);
    const index = await indexDataset(opts(root));
    expect(index.format).toEqual({ name: 'cityscapes', reason: 'found leftImg8bit/ and gtFine/', split: 'train' });
    expect(ids(index)).toEqual(['aachen_000000_000019', 'aachen_000001_000019', 'bochum_000000_000313']);
    expect(index.pairs[0].maskPath).toBe(join(root, 'gtFine/train/aachen/aachen_000000_000019_gtFine_labelIds.png'));
    expect(index.pairs[0].imagePath).toBe(join(root, 'leftImg8bit/train/aachen/aachen_000000_000019_leftImg8bit.png'));
    expect(index.skipped).toEqual([]);
    expect(index.pairs.map((p) => p.group)).toEqual(['aachen', 'aachen', 'bochum']);
    expect(index.classNames).toHaveLength(19);
    expect(index.classNames!.slice(0, 3)).toEqual(['road', 'sidewalk', 'building']);
    expect(index.classNames![18]).toBe('bicycle');
    expect(index.numClasses).toBe(19);
    expect(index.ignoreIndex).toBe(255);
    const labels = index.labels!;
    expect(labels.background).toBeNull();
    expect(labels.labelMap!.others).toBe('ignore');
    const map = new Map(labels.labelMap!.entries);
    expect(map.size).toBe(19);
    expect([map.get(7), map.get(8), map.get(11), map.get(24), map.get(26), map.get(33)]).toEqual([0, 1, 2, 11, 13, 18]);
    expect(map.has(0) || map.has(1) || map.has(4)).toBe(false); // unlabeled, ego vehicle, static: ignored
  });

  it('cityscapes: labelTrainIds win when present (no map needed), and --split val reads the val cities', async () => {
    trees.cityscapes(root, { trainIds: true });
    const index = await indexDataset(opts(root));
    expect(index.pairs[0].maskPath.endsWith('_gtFine_labelTrainIds.png')).toBe(true);
    expect(index.labels!.labelMap).toBeNull();
    expect(index.labels!.background).toBeNull();
    const val = await indexDataset(opts(root, { split: 'val' }));
    expect(val.format!.split).toBe('val');
    expect(ids(val)).toEqual(['frankfurt_000000_000294']);
  });

  it('cityscapes: pointing at gtFine/ reads the dataset it belongs to', async () => {
    trees.cityscapes(root);
    const index = await indexDataset(opts(join(root, 'gtFine')));
    expect(index.format!.name).toBe('cityscapes');
    expect(index.root).toBe(root);
    expect(index.format!.reason).toContain('gtFine/ is part of a cityscapes dataset');
    expect(index.format!.split).toBe('train');
    // A split's (or a city's) folder means that split of the dataset.
    const val = await indexDataset(opts(join(root, 'gtFine', 'val', 'frankfurt')));
    expect(val.root).toBe(root);
    expect(val.format).toMatchObject({ name: 'cityscapes', split: 'val' });
    expect(val.format!.reason).toContain('gtFine/val/frankfurt/ is part of a cityscapes dataset');
    expect(val.pairs.map((p) => p.id)).toEqual(['frankfurt_000000_000294']);
    // --split still wins.
    expect((await indexDataset(opts(join(root, 'leftImg8bit', 'val'), { split: 'train' }))).format!.split).toBe('train');
  });

  it('massachusetts: pointing at tiff/val_labels reads the val split', async () => {
    trees.massachusetts(root);
    const index = await indexDataset(opts(join(root, 'tiff', 'val_labels')));
    expect(index.format).toMatchObject({ name: 'massachusetts', split: 'val' });
    expect(index.root).toBe(join(root, 'tiff'));
  });

  it('loveda: two scenes holding one file name keep both pairs, their ids carrying the scene', async () => {
    trees.put(root, 'Train/Urban/images_png/5.png', trees.maskOf([1]));
    trees.put(root, 'Train/Urban/masks_png/5.png', trees.maskOf([1]));
    trees.put(root, 'Train/Rural/images_png/5.png', trees.maskOf([1]));
    trees.put(root, 'Train/Rural/masks_png/5.png', trees.maskOf([2]));
    const index = await indexDataset(opts(root));
    expect(index.pairs.map((p) => [p.id, p.maskPath])).toEqual([
      ['Rural_5', join(root, 'Train/Rural/masks_png/5.png')],
      ['Urban_5', join(root, 'Train/Urban/masks_png/5.png')],
    ]);
  });

  it('voc: the split list picks the pairs (detection-only images left out), pointing at VOCdevkit/ finds VOC2012/', async () => {
    const voc = join(root, 'VOCdevkit', 'VOC2012');
    trees.voc(voc);
    const index = await indexDataset(opts(join(root, 'VOCdevkit')));
    expect(index.format).toEqual({ name: 'voc', reason: 'found JPEGImages/, SegmentationClass/ and ImageSets/Segmentation/ in VOC2012/', split: 'train' });
    expect(index.root).toBe(voc);
    expect(ids(index)).toEqual(['2007_000032', '2007_000039', '2007_000063']);
    expect(index.skipped).toEqual([]);
    expect(index.classNames).toHaveLength(21);
    expect(index.classNames![15]).toBe('person');
    expect(index.ignoreIndex).toBe(255);
    expect(ids(await indexDataset(opts(voc, { split: 'val' })))).toEqual(['2007_000068']);
    // The folder the archive was unpacked into: two levels above.
    const unpacked = await indexDataset(opts(root));
    expect(unpacked.root).toBe(voc);
    expect(unpacked.format!.reason).toContain('in VOCdevkit/VOC2012/');
    expect(ids(await indexDataset(opts(voc, { split: 'trainval' })))).toHaveLength(4);
  });

  it('voc: an id listed without a mask is a skipped item naming the list', async () => {
    trees.voc(root);
    trees.put(root, 'ImageSets/Segmentation/train.txt', '2007_000032\n2007_999999\n');
    const index = await indexDataset(opts(root));
    expect(ids(index)).toEqual(['2007_000032']);
    expect(index.skipped).toHaveLength(1);
    expect(index.skipped[0].file).toBe(join(root, 'ImageSets/Segmentation/train.txt'));
    expect(index.skipped[0].problem).toContain('2007_999999');
  });

  it('ade20k: training split by default, reduce zero label, 150 names, no background', async () => {
    trees.ade20k(join(root, 'ADEChallengeData2016'));
    const index = await indexDataset(opts(root));
    expect(index.format!.name).toBe('ade20k');
    expect(index.format!.split).toBe('training');
    expect(ids(index)).toEqual(['ADE_train_00000001', 'ADE_train_00000002']);
    expect(index.labels).toMatchObject({ reduceZeroLabel: true, background: null, labelMap: null, binarize: null });
    expect(index.classNames).toHaveLength(150);
    expect(index.classNames![0]).toBe('wall');
    expect(index.classNames![149]).toBe('flag');
    expect(ids(await indexDataset(opts(root, { split: 'validation' })))).toEqual(['ADE_val_00000001']);
  });

  it('loveda: Urban and Rural sub-folders of the split, reduce zero label, 7 names', async () => {
    trees.loveda(root);
    const index = await indexDataset(opts(root));
    expect(index.format).toMatchObject({ name: 'loveda', split: 'Train' });
    expect(ids(index)).toEqual(['0', '1', '1366', '1367']);
    expect(index.labels).toMatchObject({ reduceZeroLabel: true, background: 0 });
    expect(index.classNames).toEqual(['background', 'building', 'road', 'water', 'barren', 'forest', 'agricultural']);
    const val = await indexDataset(opts(root, { split: 'val' }));
    expect(val.format!.split).toBe('Val');
    expect(ids(val)).toEqual(['2522', '3514']);
  });

  it('inria: found inside AerialImageDataset/, 0/255 read as background/building, tiles grouped by city', async () => {
    trees.inria(root);
    const index = await indexDataset(opts(root));
    expect(index.format!.name).toBe('inria');
    expect(index.format!.reason).toContain('in AerialImageDataset/');
    expect(ids(index)).toEqual(['austin1', 'austin2', 'tyrol-w1', 'vienna3']);
    expect(index.pairs.map((p) => p.group)).toEqual(['austin', 'austin', 'tyrol-w', 'vienna']);
    expect(index.classNames).toEqual(['background', 'building']);
    expect(index.labels!.labelMap!.entries).toEqual([
      [0, 0],
      [255, 1],
    ]);
  });

  it('whu and massachusetts: train/image + train/label, and tiff/train + tiff/train_labels', async () => {
    const whuRoot = join(root, 'whu');
    trees.whu(whuRoot);
    const whu = await indexDataset(opts(whuRoot));
    expect(whu.format).toMatchObject({ name: 'whu', split: 'train' });
    expect(ids(whu)).toEqual(['train_0', 'train_1']);
    expect(ids(await indexDataset(opts(whuRoot, { split: 'test' })))).toEqual(['test_0', 'test_1']);
    const mass = join(root, 'mass');
    trees.massachusetts(mass);
    const index = await indexDataset(opts(mass));
    expect(index.format).toMatchObject({ name: 'massachusetts', split: 'train' });
    expect(index.root).toBe(join(mass, 'tiff'));
    expect(index.pairs[0].imagePath).toBe(join(mass, 'tiff/train/22678915_15.tiff'));
    expect(index.pairs[0].maskPath).toBe(join(mass, 'tiff/train_labels/22678915_15.tif'));
    expect(index.classNames).toEqual(['background', 'building']);
  });

  it('kvasir: JPEG masks are detected and binarized above 127', async () => {
    await trees.kvasir(root);
    const index = await indexDataset(opts(root));
    expect(index.format!.name).toBe('kvasir');
    expect(index.pairs).toHaveLength(2);
    expect(index.labels).toMatchObject({ binarize: { threshold: 127 }, background: 0 });
    expect(index.classNames).toEqual(['background', 'polyp']);
  });

  it('mmseg: img_dir/train + ann_dir/train', async () => {
    trees.mmseg(root);
    const index = await indexDataset(opts(root));
    expect(index.format).toMatchObject({ name: 'mmseg', split: 'train' });
    expect(ids(index)).toEqual(['tile_1', 'tile_2']);
    expect(index.labels).toBeUndefined();
  });

  it("segloss's own layout keeps today's behaviour (mask suffixes, no conventions) and groups come from --group", async () => {
    trees.seglossLayout(root);
    const index = await indexDataset(opts(root, { groupPattern: '^(tile)_' }));
    expect(index.format).toEqual({ name: 'segloss', reason: 'found masks/', split: null });
    expect(ids(index)).toEqual(['tile_1', 'tile_2']);
    expect(index.labels).toBeUndefined();
    expect(index.pairs.map((p) => p.group)).toEqual(['tile', 'tile']);
    const decoded = await decodePair(index.pairs[0], index);
    expect(decoded.group).toBe('tile');
  });
});
