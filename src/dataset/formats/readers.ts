/**
 * Readers for layouts that are not "image files beside mask files" (COCO annotation files,
 * nnU-Net raw folders of NIfTI volumes). A format file names one with `"reader": NAME`; the
 * catalogue (formats/*.json) stays data, and each reader is one small module registered here.
 */
import type { SkippedItem } from '../../contracts/profile.js';
import type { DatasetPair, LabelConvention } from '../types.js';
import { readCocoDataset } from './readers/coco.js';
import { locateNnunet } from './readers/nnunet.js';

/** What a reader found under the dataset root for one split. */
export interface LocatedDataset {
  pairs: DatasetPair[];
  skipped: SkippedItem[];
  /** Class names in id order, when the layout names them (COCO categories, dataset.json labels). */
  classNames: string[] | null;
  hasImages: boolean;
  /** Folders named in messages and in the profile. */
  imagesDir: string | null;
  masksDir: string;
  /** Label conventions the layout implies (merged under the format file's and the flags'). */
  labels?: Partial<LabelConvention>;
  /** Lines printed with the format choice (e.g. "3 channels: T1, T2, FLAIR"). */
  notes?: string[];
  /** The label value the layout marks as ignored (nnU-Net's "ignore" label); null/absent = the default. */
  ignoreIndex?: number | null;
}

export interface ReaderRequest {
  /** The dataset root (absolute). */
  root: string;
  /** The split to read (the format's default when the user gave none); null = the whole root. */
  split: string | null;
  /** The format entry's own fields (its `options` object), already validated by the catalogue. */
  options: Record<string, unknown>;
}

export type DatasetReader = (request: ReaderRequest) => Promise<LocatedDataset>;

/** Registered readers by name. Each module adds its entry here (one line). */
export const READERS: Record<string, DatasetReader> = {};
READERS.coco = readCocoDataset;
READERS.nnunet = locateNnunet;
