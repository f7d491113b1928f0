/**
 * Connected-component labelling of 512x512 masks, three ways, ms per mask:
 *  - opencv-wasm connectedComponentsWithStats, one binary mask per class cropped to its box;
 *  - a hand-written two-pass pixel union-find labelling all classes at once;
 *  - run-length union-find (src/profiler/runs.ts, what the profiler uses).
 * Run: npx tsx bench/components-compare.ts
 */
import { countAndBound, labelComponents } from '../src/profiler/components.js';
import { openCv } from '../src/profiler/opencv.js';
import { labelRuns } from '../src/profiler/runs.js';

const W = 512;
const H = 512;

function syntheticMask(seed: number): Uint8Array {
  let s = seed;
  const rand = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
  const m = new Uint8Array(W * H);
  for (let k = 0; k < 60; k++) {
    const c = 1 + Math.floor(rand() * 5);
    const w = 3 + Math.floor(rand() * (c === 5 ? 4 : 60));
    const h = 3 + Math.floor(rand() * (c === 5 ? 4 : 60));
    const x0 = Math.floor(rand() * (W - w));
    const y0 = Math.floor(rand() * (H - h));
    for (let y = y0; y < y0 + h; y++) m.fill(c, y * W + x0, y * W + x0 + w);
  }
  return m;
}

/** Two-pass 8-connected labelling of equal-valued regions with union-find (typed arrays); object count per class. */
function unionFindCounts(labels: Uint8Array, width: number, height: number): Float64Array {
  const ids = new Int32Array(width * height);
  const parent = new Int32Array(width * height + 1);
  let next = 1;
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]];
      a = parent[a];
    }
    return a;
  };
  const join = (id: number, j: number): number => {
    const other = find(ids[j]);
    if (id === 0) return other;
    const root = find(id);
    if (root === other) return root;
    if (root < other) { parent[other] = root; return root; }
    parent[root] = other;
    return other;
  };
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const c = labels[i];
      let id = 0;
      if (x > 0 && labels[i - 1] === c) id = join(id, i - 1);
      if (y > 0) {
        const up = i - width;
        if (labels[up] === c) id = join(id, up);
        else {
          if (x > 0 && labels[up - 1] === c) id = join(id, up - 1);
          if (x < width - 1 && labels[up + 1] === c) id = join(id, up + 1);
        }
      }
      if (id === 0) { id = next; parent[next] = next; next++; }
      ids[i] = id;
    }
  }
  const counts = new Float64Array(256);
  const area = new Int32Array(next);
  for (let i = 0; i < ids.length; i++) area[find(ids[i])]++;
  const seen = new Uint8Array(next);
  for (let i = 0; i < ids.length; i++) {
    const root = find(ids[i]);
    if (!seen[root]) { seen[root] = 1; counts[labels[i]]++; }
  }
  return counts;
}

const masks = Array.from({ length: 40 }, (_, i) => syntheticMask(i + 1));
openCv();
for (const round of [0, 1]) {
  let t = performance.now();
  let cvObjects = 0;
  for (const m of masks) {
    const boxes = countAndBound(m, W, H, 256);
    const present = [...boxes.counts.keys()].filter((v) => boxes.counts[v] > 0);
    for (const c of labelComponents(m, W, boxes, present, null)) cvObjects += c.areas.length;
  }
  const cvMs = (performance.now() - t) / masks.length;
  t = performance.now();
  let ufObjects = 0;
  for (const m of masks) for (const n of unionFindCounts(m, W, H)) ufObjects += n;
  const ufMs = (performance.now() - t) / masks.length;
  t = performance.now();
  let runObjects = 0;
  const isValid = new Uint8Array(256).fill(1);
  for (const m of masks) runObjects += labelRuns(m, W, H, isValid, null).objectCount;
  const runMs = (performance.now() - t) / masks.length;
  t = performance.now();
  for (const m of masks) countAndBound(m, W, H, 256);
  const countMs = (performance.now() - t) / masks.length;
  if (round === 1) {
    console.log(`counting + bounding-box pass alone: ${countMs.toFixed(2)} ms/mask`);
    console.log(`opencv-wasm (per class, cropped, incl. counting pass): ${cvMs.toFixed(2)} ms/mask, ${cvObjects} objects`);
    console.log(`union-find two-pass (all classes at once):            ${ufMs.toFixed(2)} ms/mask, ${ufObjects} objects`);
    console.log(`run-length union-find (all classes, incl. counts):    ${runMs.toFixed(2)} ms/mask, ${runObjects} objects`);
  }
}
