/**
 * DatasetProfilePart: what `segloss profile --shard K/N --out DIR` writes, and `segloss merge`
 * reads. A part holds the profiler's accumulator state (sums and mergeable sketches), not a
 * finished profile, so N parts merge into exactly the profile one machine would have written
 * (an average of averages would not be).
 */
import type { AccumulatorState } from '../profiler/aggregate.js';
import type { ProfileContext } from '../profiler/aggregate.js';
import type { SkippedItem } from './profile.js';

export const PROFILE_PART_SCHEMA_VERSION = 1 as const;

export interface ProfilePart {
  schemaVersion: typeof PROFILE_PART_SCHEMA_VERSION;
  kind: 'DatasetProfilePart';
  createdAt: string;
  tool: { name: 'segloss'; version: string };
  /** Shard K of N (K from 0): the pairs at positions [start, end) of the sorted (and sampled) pair list. */
  shard: { index: number; count: number; start: number; end: number };
  /** sha256 of the sorted pair list (ids and paths relative to the root): the same dataset on every machine. */
  datasetFingerprint: string;
  /** sha256 of the settings that change the numbers (ignore index, classes, colormap, labels, boundary, sample, pixel limit). */
  settingsFingerprint: string;
  /** The settings themselves, so a mismatch can be named. */
  settings: Record<string, unknown>;
  /** The profile's dataset context, skipped items aside. */
  context: Omit<ProfileContext, 'skipped'>;
  /** Files left out while indexing: the same in every part. */
  indexSkipped: SkippedItem[];
  /** This shard's pairs that could not be read, in pair order. */
  pairSkipped: SkippedItem[];
  accumulator: AccumulatorState;
  elapsedSeconds: number;
}
