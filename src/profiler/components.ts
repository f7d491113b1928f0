/**
 * The opencv-wasm reference for connected components: connectedComponentsWithStats
 * (connectivity 8) on one binary mask per class, cropped to that class's bounding box. Every cv.Mat
 * is freed before returning. The profiler itself uses the run-length labelling in runs.ts, which
 * gives the same components ~19x faster (bench/components-compare.ts); this module is the oracle
 * test/profiler/components.test.ts checks it against.
 */
import { openCv, type CvMat } from './opencv.js';

export type LabelArray = Uint8Array | Uint16Array;

export interface ClassBoxes {
  /** Pixel count per label value (index = label value, includes the ignore value). */
  counts: Float64Array;
  minX: Int32Array;
  maxX: Int32Array;
  minY: Int32Array;
  maxY: Int32Array;
}

/** One pass: pixel counts and bounding boxes per label value. */
export function countAndBound(labels: LabelArray, width: number, height: number, labelValues: number): ClassBoxes {
  const counts = new Float64Array(labelValues);
  const minX = new Int32Array(labelValues).fill(width);
  const maxX = new Int32Array(labelValues).fill(-1);
  const minY = new Int32Array(labelValues).fill(height);
  const maxY = new Int32Array(labelValues).fill(-1);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const v = labels[i];
      counts[v]++;
      if (x < minX[v]) minX[v] = x;
      if (x > maxX[v]) maxX[v] = x;
      if (maxY[v] !== y) {
        if (minY[v] === height) minY[v] = y;
        maxY[v] = y;
      }
    }
  }
  return { counts, minX, maxX, minY, maxY };
}

export interface ClassComponents {
  classId: number;
  /** Area in pixels of each component; component k (1-based in `objectIds`) has area areas[k-1]. */
  areas: number[];
}

/**
 * Labels the components of each listed class. When `objectIds` is given (length width*height), it
 * receives a per-mask object number per pixel (0 = not part of a listed class);
 * numbers run consecutively over classes in the order given, starting at 1.
 */
export function labelComponents(
  labels: LabelArray,
  width: number,
  boxes: ClassBoxes,
  classIds: number[],
  objectIds: Int32Array | null,
): ClassComponents[] {
  const cv = openCv();
  const result: ClassComponents[] = [];
  let nextObject = 1;
  for (const c of classIds) {
    const x0 = boxes.minX[c];
    const y0 = boxes.minY[c];
    const w = boxes.maxX[c] - x0 + 1;
    const h = boxes.maxY[c] - y0 + 1;
    if (w <= 0 || h <= 0) {
      result.push({ classId: c, areas: [] });
      continue;
    }
    const mats: CvMat[] = [];
    try {
      const binary = new cv.Mat(h, w, cv.CV_8UC1);
      mats.push(binary);
      const out = new cv.Mat();
      const stats = new cv.Mat();
      const centroids = new cv.Mat();
      mats.push(out, stats, centroids);
      const bin = binary.data;
      for (let y = 0; y < h; y++) {
        const src = (y0 + y) * width + x0;
        const dst = y * w;
        for (let x = 0; x < w; x++) bin[dst + x] = labels[src + x] === c ? 1 : 0;
      }
      const n = cv.connectedComponentsWithStats(binary, out, stats, centroids, 8, cv.CV_32S);
      const statData = stats.data32S;
      const stride = stats.cols;
      const areas: number[] = new Array(n - 1);
      for (let k = 1; k < n; k++) areas[k - 1] = statData[k * stride + cv.CC_STAT_AREA];
      if (objectIds) {
        const ids = out.data32S;
        const offset = nextObject - 1;
        for (let y = 0; y < h; y++) {
          const src = y * w;
          const dst = (y0 + y) * width + x0;
          for (let x = 0; x < w; x++) {
            const k = ids[src + x];
            if (k !== 0) objectIds[dst + x] = k + offset;
          }
        }
      }
      nextObject += n - 1;
      result.push({ classId: c, areas });
    } finally {
      for (const m of mats) m.delete();
    }
  }
  return result;
}
