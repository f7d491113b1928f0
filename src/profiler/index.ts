/**
 * profiler/: measures a dataset into a DatasetProfile.
 *
 * profileDataset indexes the dataset, optionally draws a seeded sample of pairs, then decodes and
 * measures pairs in worker threads (piscina), streaming: at most 2 tasks per worker in flight, and
 * per-mask results are folded into bounded accumulators as they arrive, so memory stays flat
 * however many images there are.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { indexDataset, noneReadable, strictError, type DatasetIndex, type DatasetOptions, type DatasetPair } from '../dataset/index.js';
import { UserError } from '../common/errors.js';
import { backgroundOf } from '../dataset/index.js';
import { piscinaWorker } from '../common/workers.js';
import type { DatasetProfile, SkippedItem } from '../contracts/profile.js';
import type { ProfileProgress } from '../contracts/events.js';
import { ProfileAccumulator, type ProfileContext } from './aggregate.js';
import { TOOL_INFO } from '../common/version.js';
import { PROFILE_PART_SCHEMA_VERSION, type ProfilePart } from '../contracts/profile-part.js';
import { datasetFingerprint, settingsFingerprint, shardRange, type Shard } from './shard.js';
import { DEFAULT_BOUNDARY_OPTIONS, type BoundaryOptions } from './boundary.js';
import type { MeasureOptions } from './mask-stats.js';
import { decodeContextOf, measurePair, type PairResult } from './measure-pair.js';
import { sampleIndices } from './sampling.js';
import { isVolumePair } from '../dataset/volume.js';
import type { ProfileWorkerSetup } from './worker.js';

export { measureMask, type MaskStats, type MaskInput, type MeasureOptions } from './mask-stats.js';
export { ProfileAccumulator } from './aggregate.js';
export { parseShard, type Shard } from './shard.js';
export { mergeProfileParts } from './merge.js';
export { DEFAULT_BOUNDARY_OPTIONS, type BoundaryOptions } from './boundary.js';
export { assertSomethingToRecommend, backgroundIdOf, classIdWarnings, labelNotes, nothingToRecommend } from './profile-checks.js';

export interface ProfileOptions extends DatasetOptions {
  /** Profile a seeded random subset of this many pairs (default: all pairs). */
  sample?: number;
  /** Seed of the subset (default 0). */
  seed?: number;
  /** Worker threads (default: available cores). 0 measures on the main thread. */
  workers?: number;
  /** Boundary-ambiguity parameters (defaults in DEFAULT_BOUNDARY_OPTIONS). */
  boundary?: Partial<BoundaryOptions>;
}

/** Most worker threads `--workers` accepts: each may hold an image at the pixel limit (about 1 GB). */
export const MAX_PROFILE_WORKERS = 64;

function profileWorkers(requested: number | undefined): number {
  if (requested === undefined) return availableParallelism();
  if (!Number.isInteger(requested) || requested < 0 || requested > MAX_PROFILE_WORKERS) {
    throw new UserError(`--workers ${requested} is not a whole number in 0..${MAX_PROFILE_WORKERS}`, { fix: `for example --workers ${availableParallelism()} (the number of cores), or 0 for the main thread` });
  }
  return requested;
}

/** Datasets this small are measured on the main thread: starting workers would cost more. */
const INLINE_LIMIT = 8;

/** What measuring a dataset (or one shard of it) leaves: the filled accumulator and its context. */
interface Measured {
  index: DatasetIndex;
  /** The pairs measured (the shard's, after --sample). */
  pairs: DatasetPair[];
  /** Every pair the run covers (after --sample), of which `pairs` is the shard. */
  population: DatasetPair[];
  accumulator: ProfileAccumulator;
  context: ProfileContext;
  /** This run's pairs that could not be read, in pair order. */
  pairSkipped: SkippedItem[];
  started: number;
}

async function measureDataset(options: ProfileOptions, onProgress: ((p: ProfileProgress) => void) | undefined, shard: Shard | null): Promise<Measured> {
  const started = performance.now();
  const index = await indexDataset(options);
  const { pairs: population, sample } = choosePairs(index, options);
  if (population.length === 0) {
    throw new UserError(`no mask could be paired in ${index.masksDir}`, {
      fix: index.skipped[0]?.fix ?? 'put label masks in ROOT/masks (and images in ROOT/images), or pass --masks DIR',
    });
  }
  const range = shard ? shardRange(shard, population.length) : { start: 0, end: population.length };
  const pairs = population.slice(range.start, range.end);

  const boundary: BoundaryOptions = { ...DEFAULT_BOUNDARY_OPTIONS, ...options.boundary };
  const measure: MeasureOptions = { ignoreIndex: index.ignoreIndex, numClasses: index.numClasses, boundary, background: backgroundOf(index.labels) };
  const accumulator = new ProfileAccumulator();
  const pairSkipped: SkippedItem[] = [];
  let done = 0;
  let firstDone = 0; // time of the first result: the rate leaves worker start-up out
  const report = (): void => {
    if (!onProgress) return;
    const now = performance.now();
    if (done === 1) firstDone = now;
    const seconds = (now - firstDone) / 1000;
    const rate = done > 1 && seconds > 0 ? (done - 1) / seconds : 0;
    onProgress({ kind: 'profile-progress', done, total: pairs.length, skipped: pairSkipped.length, rate, etaSeconds: rate > 0 ? (pairs.length - done) / rate : null });
  };
  const consume = (result: PairResult): void => {
    done++;
    if (result.ok) accumulator.add(result.stats);
    else {
      if (options.strict) throw strictError(result.skipped);
      pairSkipped.push(result.skipped);
    }
    report();
  };

  // Never more threads than pairs; each worker holds up to one image at the pixel limit.
  const workers = Math.min(profileWorkers(options.workers), pairs.length);
  // Volumes are heavy units of work: always in workers (one volume per worker at a time), unless --workers 0.
  if (workers === 0 || (pairs.length <= INLINE_LIMIT && !isVolumePair(pairs[0]))) {
    const context = decodeContextOf(index);
    for (const pair of pairs) consume(await measurePair(pair, context, measure));
  } else if (pairs.length > 0) {
    await runInWorkers(pairs, { context: decodeContextOf(index), measure }, workers, consume);
  }
  const context: ProfileContext = {
    root: index.root,
    imagesDir: index.hasImages ? index.imagesDir : null,
    masksDir: index.masksDir,
    hasImages: index.hasImages,
    pairsFound: index.pairs.length,
    ignoreIndex: index.ignoreIndex,
    background: backgroundOf(index.labels),
    labelNotes: index.labelNotes ?? [],
    classNames: index.classNames,
    numClasses: index.numClasses,
    // Files left out while indexing, then the pairs that could not be read.
    skipped: [...index.skipped, ...pairSkipped],
    sample,
    boundary,
    format: index.format,
    ...(index.bands ? { bands: index.bands } : {}), // --bands (src/dataset/bands.ts)
  };
  return { index, pairs, population, accumulator, context, pairSkipped, started };
}

export async function profileDataset(options: ProfileOptions, onProgress?: (p: ProfileProgress) => void): Promise<DatasetProfile> {
  const measured = await measureDataset(options, onProgress, null);
  const { index, pairs, accumulator, context, pairSkipped } = measured;
  // The pairs' own problems first: unpaired files (found while indexing) are not why none was read.
  if (accumulator.imagesProfiled === 0) throw noneReadable(pairs.length, index.masksDir, [...pairSkipped, ...index.skipped]);
  return accumulator.toProfile(context, (performance.now() - measured.started) / 1000);
}

/**
 * Profiles shard K of N of the dataset (`--shard`): the accumulator state and what `merge` needs
 * to check that the parts belong together. A shard whose pairs are all unreadable is still a part
 * (merge decides whether anything at all was read).
 */
export async function profileShard(options: ProfileOptions, shard: Shard, onProgress?: (p: ProfileProgress) => void): Promise<ProfilePart> {
  const measured = await measureDataset(options, onProgress, shard);
  const { index, population, accumulator, context, pairSkipped } = measured;
  const { skipped: _skipped, ...rest } = context;
  const settings = shardSettings(index, context, options);
  return {
    schemaVersion: PROFILE_PART_SCHEMA_VERSION,
    kind: 'DatasetProfilePart',
    createdAt: new Date().toISOString(),
    tool: { ...TOOL_INFO },
    shard: { ...shard, ...shardRange(shard, population.length) },
    datasetFingerprint: datasetFingerprint(index, population),
    settingsFingerprint: settingsFingerprint(settings),
    settings,
    context: rest,
    indexSkipped: index.skipped,
    pairSkipped,
    accumulator: accumulator.toState(),
    elapsedSeconds: (performance.now() - measured.started) / 1000,
  };
}

/** The settings that change a profile's numbers; parts must agree on every one. */
function shardSettings(index: DatasetIndex, context: ProfileContext, options: ProfileOptions): Record<string, unknown> {
  return {
    ignoreIndex: index.ignoreIndex,
    numClasses: index.numClasses,
    classNames: index.classNames,
    colormap: index.colormap?.entries ?? null,
    labels: index.labels ?? null,
    format: index.format?.name ?? null,
    split: index.format?.split ?? null,
    boundary: context.boundary,
    sample: context.sample,
    maxPixels: index.maxPixels,
    strict: Boolean(options.strict),
    bands: index.bands ?? null,
  };
}

function choosePairs(index: DatasetIndex, options: ProfileOptions): { pairs: DatasetPair[]; sample: DatasetProfile['dataset']['sample'] } {
  const population = index.pairs.length;
  if (options.sample === undefined || options.sample >= population) return { pairs: index.pairs, sample: null };
  if (!Number.isInteger(options.sample) || options.sample < 1) {
    throw new UserError(`--sample must be a positive whole number of images, got ${options.sample}`, { fix: 'for example --sample 500' });
  }
  const seed = options.seed ?? 0;
  const pairs = sampleIndices(population, options.sample, seed).map((i) => index.pairs[i]);
  return { pairs, sample: { size: pairs.length, seed, population } };
}

/**
 * Streams pairs through a piscina pool. At most 2 tasks per worker are in flight or waiting, and
 * results are consumed in pair order, so a profile does not depend on thread timing.
 */
async function runInWorkers(pairs: DatasetPair[], setup: ProfileWorkerSetup, workers: number, consume: (r: PairResult) => void): Promise<void> {
  const { filename, workerData } = piscinaWorker(import.meta.url, './worker', setup);
  const pool = new Piscina({ filename, workerData, minThreads: workers, maxThreads: workers, idleTimeout: 1000 });
  const maxPending = 2 * workers;
  const finished = new Map<number, PairResult>();
  let next = 0; // next pair to launch
  let consumed = 0; // pairs consumed so far, in order
  let failure: unknown = null;
  try {
    await new Promise<void>((resolve) => {
      let inFlight = 0;
      const settle = (): void => {
        while (failure === null && finished.has(consumed)) {
          const result = finished.get(consumed)!;
          finished.delete(consumed);
          consumed++;
          try {
            consume(result);
          } catch (error) {
            failure = error;
          }
        }
        if (inFlight === 0 && (failure !== null || consumed >= pairs.length)) resolve();
        else launch();
      };
      const launch = (): void => {
        while (failure === null && inFlight + finished.size < maxPending && next < pairs.length) {
          const position = next++;
          inFlight++;
          (pool.run(pairs[position]) as Promise<PairResult>)
            .then((result) => {
              finished.set(position, result);
            })
            .catch((error: unknown) => {
              if (failure === null) failure = error;
            })
            .finally(() => {
              inFlight--;
              settle();
            });
        }
      };
      launch();
    });
  } finally {
    await pool.destroy();
  }
  if (failure !== null) {
    if (failure instanceof UserError) throw failure;
    throw new UserError(`profiling failed: ${(failure as Error).message ?? String(failure)}`, { exitCode: 1 });
  }
}
