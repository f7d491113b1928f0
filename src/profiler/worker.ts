/** Piscina worker: decodes and measures one pair per task. One libvips thread per worker. */
import sharp from 'sharp';
import { workerData } from 'piscina';
import type { DatasetPair } from '../dataset/index.js';
import { measurePair, type DecodeContext, type PairResult } from './measure-pair.js';
import type { MeasureOptions } from './mask-stats.js';

export interface ProfileWorkerSetup {
  context: DecodeContext;
  measure: MeasureOptions;
}

sharp.concurrency(1);
const setup = workerData as ProfileWorkerSetup;

export default function profilePair(pair: DatasetPair): Promise<PairResult> {
  return measurePair(pair, setup.context, setup.measure);
}
