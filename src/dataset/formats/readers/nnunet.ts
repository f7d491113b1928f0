/**
 * The nnU-Net v2 raw layout: DatasetNNN_Name/{dataset.json, imagesTr/, labelsTr/, imagesTs/}.
 *
 * imagesTr/<case>_<XXXX><file_ending> holds one file per channel (XXXX = 4-digit channel index,
 * in the order of dataset.json's channel_names), labelsTr/<case><file_ending> the label map. Works
 * for 3D (.nii.gz, .nii) and nnU-Net's 2D variant (.png, .tif: case_0000.png <-> case.png). Every
 * case is its own group, so slices of one volume never straddle verify's split. Only the training
 * split has labels (imagesTs has none).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../../common/errors.js';
import type { SkippedItem } from '../../../contracts/profile.js';
import { naturalOrder } from '../../files.js';
import type { DatasetPair } from '../../types.js';
import type { LocatedDataset, ReaderRequest } from '../readers.js';
import { parseNnunetJson, type NnunetDatasetJson } from './nnunet-json.js';

/** File endings nnU-Net's readers take (NIfTI via SimpleITK/nibabel, 2D via its natural-image reader). */
export const NNUNET_FILE_ENDINGS = ['.nii.gz', '.nii', '.png', '.tif', '.tiff', '.bmp'] as const;

const SPLIT_NAMES = new Set(['train', 'training', 'tr', 'imagestr']);
const DATASET_JSON_MAX_BYTES = 16 * 1024 * 1024;

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort(naturalOrder);
  } catch (error) {
    throw new UserError(`cannot read the folder ${dir}: ${(error as Error).message}`, { fix: 'check that the nnU-Net dataset folder is complete and readable' });
  }
}

/** Whether a folder looks like an nnU-Net raw dataset (detection markers: dataset.json + imagesTr/). */
export async function isNnunetRoot(root: string): Promise<boolean> {
  try {
    return (await stat(join(root, 'dataset.json'))).isFile() && (await isDirectory(join(root, 'imagesTr')));
  } catch {
    return false;
  }
}

export async function readDatasetJson(file: string): Promise<NnunetDatasetJson> {
  const fix = 'write dataset.json as nnU-Net v2 does: {"channel_names": {"0": "CT"}, "labels": {"background": 0, "tumour": 1}, "numTraining": N, "file_ending": ".nii.gz"}';
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile() || info.size > DATASET_JSON_MAX_BYTES) throw new Error(info.isFile() ? 'the file is too large for a dataset.json' : 'not a regular file');
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read ${file}: ${(error as Error).message}`, { fix });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${file} is not valid JSON: ${(error as Error).message}`, { fix });
  }
  try {
    return parseNnunetJson(json);
  } catch (error) {
    throw new UserError(`${file}: ${(error as Error).message}`, { fix });
  }
}

function endingOf(name: string): string | null {
  const lower = name.toLowerCase();
  return NNUNET_FILE_ENDINGS.find((e) => lower.endsWith(e)) ?? null;
}

/** The label files' ending, when dataset.json has no file_ending (nnU-Net v1 files). */
function inferEnding(labelNames: string[], labelsDir: string): string {
  const endings = new Set(labelNames.map(endingOf).filter((e): e is string => e !== null));
  if (endings.size === 1) return [...endings][0];
  throw new UserError(`dataset.json has no "file_ending" and the files in ${labelsDir} do not share one (${[...endings].join(', ') || 'none of .nii.gz, .nii, .png, .tif'})`, {
    fix: 'add "file_ending": ".nii.gz" (or the ending your files have) to dataset.json',
  });
}

/** Locates the cases of an nnU-Net raw dataset (the training split: imagesTr + labelsTr). */
export async function locateNnunet(request: ReaderRequest): Promise<LocatedDataset> {
  const { root } = request;
  if (request.split !== null && !SPLIT_NAMES.has(request.split.toLowerCase())) {
    throw new UserError(`nnU-Net raw datasets have labels for the training split only (imagesTr + labelsTr), not "${request.split}"`, {
      fix: 'leave --split out (or --split train); imagesTs has no labels to profile',
    });
  }
  const meta = await readDatasetJson(join(root, 'dataset.json'));
  const imagesDir = join(root, 'imagesTr');
  const labelsDir = join(root, 'labelsTr');
  if (!(await isDirectory(labelsDir))) {
    throw new UserError(`${root} has imagesTr/ but no labelsTr/ folder`, { fix: 'put the label files (<case><file_ending>) in labelsTr/' });
  }
  const labelNames = await listFiles(labelsDir);
  const ending = meta.fileEnding ?? inferEnding(labelNames, labelsDir);
  const notes = [...meta.notes];
  if (meta.fileEnding === null) notes.push(`dataset.json has no "file_ending"; using ${ending}, the label files' ending`);
  const skipped: SkippedItem[] = [];
  const channelPattern = new RegExp(`^(.+)_(\\d{4})${ending.replace(/\./g, '\\.')}$`);

  const channelsByCase = new Map<string, Map<number, string>>();
  for (const name of await listFiles(imagesDir)) {
    const match = channelPattern.exec(name);
    if (!match) {
      skipped.push({ file: join(imagesDir, name), problem: `not named <case>_<XXXX>${ending} (XXXX = the 4-digit channel index)`, fix: `rename it, e.g. ${name.replace(/\..*$/, '')}_0000${ending}, or remove it` });
      continue;
    }
    const channels = channelsByCase.get(match[1]) ?? new Map<number, string>();
    channels.set(Number(match[2]), join(imagesDir, name));
    channelsByCase.set(match[1], channels);
  }

  const expectedChannels = meta.channelNames.length > 0 ? meta.channelNames.length : null;
  const pairs: DatasetPair[] = [];
  const labelled = new Set<string>();
  for (const name of labelNames) {
    const maskPath = join(labelsDir, name);
    if (!name.endsWith(ending)) {
      skipped.push({ file: maskPath, problem: `does not end in ${ending}, the file_ending of dataset.json`, fix: `convert it to ${ending}, or remove it` });
      continue;
    }
    const id = name.slice(0, -ending.length);
    labelled.add(id);
    const channels = channelsByCase.get(id);
    if (!channels) {
      skipped.push({ file: maskPath, problem: `label without image: no ${id}_0000${ending} in ${imagesDir}`, fix: `add the case's channel files ${id}_0000${ending}, ... to imagesTr/, or remove the label` });
      continue;
    }
    const count = expectedChannels ?? Math.max(...channels.keys()) + 1;
    const missing = Array.from({ length: count }, (_, c) => c).filter((c) => !channels.has(c));
    const extra = [...channels.keys()].filter((c) => c >= count);
    if (missing.length > 0 || extra.length > 0) {
      const problem =
        missing.length > 0
          ? `case ${id} lacks channel${missing.length > 1 ? 's' : ''} ${missing.map((c) => `_${String(c).padStart(4, '0')}`).join(', ')} (dataset.json names ${count})`
          : `case ${id} has channel${extra.length > 1 ? 's' : ''} ${extra.map((c) => `_${String(c).padStart(4, '0')}`).join(', ')} beyond the ${count} dataset.json names`;
      skipped.push({ file: maskPath, problem, fix: 'give every case one file per channel in channel_names (_0000, _0001, ...), or fix channel_names' });
      continue;
    }
    const imagePaths = Array.from({ length: count }, (_, c) => channels.get(c)!);
    pairs.push({ id, maskPath, imagePath: imagePaths[0], imagePaths, group: id });
  }
  for (const [id, channels] of channelsByCase) {
    if (labelled.has(id)) continue;
    skipped.push({ file: [...channels.values()][0], problem: `image without label: no ${id}${ending} in ${labelsDir}`, fix: `add the label ${id}${ending} to labelsTr/, or move the case to imagesTs/` });
  }
  // nnU-Net's integrity check refuses this; here it is listed (with --strict it stops the run).
  if (meta.numTraining !== null && meta.numTraining !== pairs.length) {
    skipped.push({
      file: join(root, 'dataset.json'),
      problem: `numTraining is ${meta.numTraining}, but ${pairs.length} case${pairs.length === 1 ? '' : 's'} pair up in imagesTr/ and labelsTr/`,
      fix: `set "numTraining": ${pairs.length} (nnU-Net checks it), or add the missing cases`,
    });
  }
  const channelNote = meta.channelNames.length > 0 ? `${meta.channelNames.length} channel${meta.channelNames.length > 1 ? 's' : ''}: ${meta.channelNames.join(', ')}` : null;
  if (channelNote) notes.unshift(channelNote);
  skipped.sort((a, b) => naturalOrder(a.file, b.file));
  return {
    pairs,
    skipped,
    classNames: meta.classNames,
    hasImages: true,
    imagesDir,
    masksDir: labelsDir,
    labels: { background: 0 },
    ignoreIndex: meta.ignoreId,
    notes,
  };
}
