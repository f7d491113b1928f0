import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { indexDataset, readClassNames } from '../../src/dataset/index.js';
import { READERS } from '../../src/dataset/formats/readers.js';
import { locateNnunet } from '../../src/dataset/formats/readers/nnunet.js';
import { parseNnunetJson } from '../../src/dataset/formats/readers/nnunet-json.js';
import { greyMask, rgbImage, tempDir } from './helpers.js';
import { TWO_CUBES, writeNnunetDataset } from '../helpers/nnunet-dataset.js';

const base = { ignoreIndex: 255, strict: false } as const;

describe('nnU-Net v2 raw layout', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => cleanups.splice(0).forEach((c) => c()));
  const dir = (): string => {
    const t = tempDir('segloss-nnunet-');
    cleanups.push(t.cleanup);
    return t.dir;
  };

  it('pairs every _000K channel in order with labelsTr/<case>, one group per case, names from dataset.json', async () => {
    const root = dir();
    const two = (x: number): number => x;
    writeNnunetDataset(root, TWO_CUBES.map((c) => ({ ...c, channels: [two, two, two] })), { channel_names: { 0: 'T1', 1: 'T2', 2: 'FLAIR' } });
    const located = await locateNnunet({ root, split: null, options: {} });
    expect(located.pairs.map((p) => p.id)).toEqual(['case_1', 'case_2']);
    const first = located.pairs[0];
    expect(first.imagePaths?.map((p) => p.slice(root.length + 1))).toEqual(['imagesTr/case_1_0000.nii.gz', 'imagesTr/case_1_0001.nii.gz', 'imagesTr/case_1_0002.nii.gz']);
    expect(first.imagePath).toBe(first.imagePaths?.[0]);
    expect(first.maskPath).toBe(join(root, 'labelsTr', 'case_1.nii.gz'));
    expect(first.group).toBe('case_1');
    expect(located.classNames).toEqual(['background', 'tumour', 'cyst']);
    expect(located.notes?.[0]).toBe('3 channels: T1, T2, FLAIR');
    expect(READERS.nnunet).toBeTypeOf('function');

    // Detected from the root with no flags.
    const index = await indexDataset({ ...base, root });
    expect(index.format?.name).toBe('nnunet');
    expect(index.classNames).toEqual(['background', 'tumour', 'cyst']);
    expect(index.numClasses).toBe(3);
    expect(index.pairs).toHaveLength(2);
  });

  it('lists a missing channel, an unlabelled case and a label without images as skipped; checks numTraining', async () => {
    const root = dir();
    writeNnunetDataset(root, TWO_CUBES.map((c) => ({ ...c, channels: [(x: number) => x, (x: number) => x] })), { numTraining: 5 });
    const { rmSync } = await import('node:fs');
    rmSync(join(root, 'imagesTr', 'case_2_0001.nii.gz'));
    writeFileSync(join(root, 'imagesTr', 'case_3_0000.nii.gz'), 'x');
    writeFileSync(join(root, 'imagesTr', 'case_3_0001.nii.gz'), 'x');
    writeFileSync(join(root, 'labelsTr', 'case_4.nii.gz'), 'x');
    const located = await locateNnunet({ root, split: null, options: {} });
    expect(located.pairs.map((p) => p.id)).toEqual(['case_1']);
    const problems = located.skipped.map((s) => `${s.file.slice(root.length + 1)}: ${s.problem}`);
    expect(problems).toEqual([
      'dataset.json: numTraining is 5, but 1 case pair up in imagesTr/ and labelsTr/',
      'imagesTr/case_3_0000.nii.gz: image without label: no case_3.nii.gz in ' + join(root, 'labelsTr'),
      'labelsTr/case_2.nii.gz: case case_2 lacks channel _0001 (dataset.json names 2)',
      'labelsTr/case_4.nii.gz: label without image: no case_4_0000.nii.gz in ' + join(root, 'imagesTr'),
    ]);
    await expect(locateNnunet({ root, split: 'test', options: {} })).rejects.toThrow(/training split only/);
  });

  it('pairs the 2D variant: case_0000.png with case.png', async () => {
    const root = dir();
    mkdirSync(join(root, 'imagesTr'), { recursive: true });
    mkdirSync(join(root, 'labelsTr'), { recursive: true });
    writeFileSync(join(root, 'dataset.json'), JSON.stringify({ channel_names: { 0: 'R' }, labels: { background: 0, road: 1 }, numTraining: 2, file_ending: '.png' }));
    for (const id of ['img_1', 'img_2']) {
      writeFileSync(join(root, 'imagesTr', `${id}_0000.png`), rgbImage(16, 12));
      writeFileSync(join(root, 'labelsTr', `${id}.png`), greyMask(16, 12));
    }
    const index = await indexDataset({ ...base, root });
    expect(index.pairs.map((p) => [p.id, p.imagePath?.slice(root.length + 1), p.maskPath.slice(root.length + 1)])).toEqual([
      ['img_1', 'imagesTr/img_1_0000.png', 'labelsTr/img_1.png'],
      ['img_2', 'imagesTr/img_2_0000.png', 'labelsTr/img_2.png'],
    ]);
    expect(index.skipped).toEqual([]);
    expect(index.classNames).toEqual(['background', 'road']);
  });

  it('reads dataset.json as --classes (labels, not channel_names), region-based labels named by id', async () => {
    const root = dir();
    const file = join(root, 'dataset.json');
    writeFileSync(file, JSON.stringify({ channel_names: { 0: 'T1', 1: 'T2' }, labels: { background: 0, liver: 1, tumour: 2 }, numTraining: 3, file_ending: '.nii.gz' }));
    expect(await readClassNames(file)).toEqual(['background', 'liver', 'tumour']);
    const regions = parseNnunetJson({ labels: { background: 0, whole: [1, 2, 3], core: [2, 3], enhancing: 3 }, regions_class_order: [1, 2, 3], file_ending: '.nii.gz' });
    expect(regions.classNames).toEqual(['background', 'label 1', 'label 2', 'enhancing']);
    expect(regions.notes.join(' ')).toMatch(/region-based label "whole" \(ids 1, 2, 3\) is not trained as a region/);
    expect(parseNnunetJson({ labels: { background: 0, a: 1, ignore: 2 }, file_ending: '.nii.gz' }).ignoreId).toBe(2);
    writeFileSync(file, JSON.stringify({ labels: { background: 0, a: 'x' }, file_ending: '.nii.gz' }));
    await expect(readClassNames(file)).rejects.toThrow(/label "a" is "x"/);
  });
});

describe('segloss on an nnU-Net raw folder (no flags)', () => {
  it('profile --json and recommend exit 0 with the classes of dataset.json and a volumes section', async () => {
    const { runCli } = await import('../helpers/run-cli.js');
    const { dir, cleanup } = tempDir('segloss-nnunet-cli-');
    try {
      writeNnunetDataset(dir, TWO_CUBES);
      const profile = await runCli(['profile', dir, '--json', '--workers', '0']);
      expect(profile.code).toBe(0);
      const json = JSON.parse(profile.stdout);
      expect(json.dataset.classNames).toEqual(['background', 'tumour', 'cyst']);
      expect(json.volumes.classes[1].objects.mm3Max).toBe(17.5);
      // The profile with its volumes section is read back by recommend (profiling again would start workers).
      writeFileSync(join(dir, 'profile.json'), profile.stdout);
      const recommend = await runCli(['recommend', '--profile', join(dir, 'profile.json'), '--domain', 'medical']);
      expect(recommend.stderr).toBe('');
      expect(recommend.code).toBe(0);
      // report.md shows the 3D section.
      const { renderReportMarkdown } = await import('../../src/report/markdown.js');
      const { recommendationFixture } = await import('../fixtures/ui/contracts.js');
      const report = renderReportMarkdown({ profile: json, recommendation: recommendationFixture, verification: null });
      expect(report).toMatch(/\*\*Volumes \(3D\)\*\*: 2 volumes, 10 slices/);
      expect(report).toMatch(/\| 1 \| tumour \| 6\.02% \| 20\.5 \| 2 \| 3 \| 2 \| 17\.5 \|/);
    } finally {
      cleanup();
    }
  }, 20_000);
});
