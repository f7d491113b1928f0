/**
 * opencv-wasm, loaded once per thread on first use (about 0.2 s; the module is synchronous).
 * Only the few calls the profiler needs are typed here.
 */
import { createRequire } from 'node:module';

export interface CvMat {
  readonly data: Uint8Array;
  readonly data32S: Int32Array;
  readonly rows: number;
  readonly cols: number;
  delete(): void;
}

export interface OpenCv {
  Mat: new (...args: unknown[]) => CvMat;
  CV_8UC1: number;
  CV_32S: number;
  CC_STAT_AREA: number;
  connectedComponentsWithStats(image: CvMat, labels: CvMat, stats: CvMat, centroids: CvMat, connectivity: 4 | 8, ltype: number): number;
}

let loaded: OpenCv | null = null;

export function openCv(): OpenCv {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    loaded = (require('opencv-wasm') as { cv: OpenCv }).cv;
  }
  return loaded;
}
