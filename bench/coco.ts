/**
 * npm run bench:coco [-- --mb 100 --keep DIR]
 *
 * The cost of reading a COCO annotation file the way segloss does (src/dataset/coco): a synthetic
 * instances file of about --mb megabytes, shaped like COCO train2017 (640x480 images, ~7 polygon
 * annotations each of 20-60 vertices with two decimals, a few crowd RLEs), then:
 *  1. the streamed scan (annotation-file.ts): seconds, MB/s, and the heap it keeps;
 *  2. JSON.parse of the whole text, for comparison (what a naive reader does, in every worker);
 *  3. decoding labels per image (read the image's annotations back from the file + rasterise).
 * The main thread pays (1) once (the reader); profiler worker threads pay only (3) per image, as
 * each pair carries its image's annotation places. COCO train2017 (448 MB) costs 448 / (MB/s) s.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { forgetCocoFiles, loadCocoFile, readImageAnnotations } from '../src/dataset/coco/annotation-file.js';
import { rasteriseImage } from '../src/dataset/coco/rasterise.js';
import { encodeCountsString, encodeMask } from '../src/dataset/coco/rle.js';
import { createRng } from '../src/verify/random.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '100' }, keep: { type: 'string' } } });
const targetBytes = Number(values.mb) * 1e6;
const dir = values.keep ? resolve(values.keep) : mkdtempSync(join(tmpdir(), 'segloss-bench-coco-'));
mkdirSync(join(dir, 'annotations'), { recursive: true });
const path = join(dir, 'annotations', 'instances_train.json');
const log = (text: string): void => void process.stdout.write(`${text}\n`);
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;

function writeSynthetic(): void {
  const rng = createRng(1);
  const W = 640;
  const H = 480;
  const images: string[] = [];
  const annotations: string[] = [];
  let bytes = 0;
  let annotationId = 1;
  // A crowd mask, reused: a disc as compressed RLE.
  const disc = new Uint8Array(W * H);
  for (let x = 0; x < W; x++) for (let y = 0; y < H; y++) if ((x - 300) ** 2 + (y - 200) ** 2 < 80 ** 2) disc[x * H + y] = 1;
  const crowdCounts = encodeCountsString(encodeMask(disc, H, W).counts);
  for (let imageId = 1; bytes < targetBytes; imageId++) {
    const image = JSON.stringify({ license: 1, file_name: `${String(imageId).padStart(12, '0')}.jpg`, height: H, width: W, date_captured: '2013-11-14 17:02:52', id: imageId });
    images.push(image);
    bytes += image.length;
    const count = 3 + rng.int(9);
    for (let a = 0; a < count; a++) {
      const crowd = rng.next() < 0.01;
      let segmentation: unknown;
      if (crowd) segmentation = { counts: crowdCounts, size: [H, W] };
      else {
        const n = 20 + rng.int(40);
        const cx = 60 + rng.next() * (W - 120);
        const cy = 60 + rng.next() * (H - 120);
        const r = 10 + rng.next() * 50;
        const polygon: number[] = [];
        for (let i = 0; i < n; i++) {
          const t = (2 * Math.PI * i) / n;
          const rr = r * (0.6 + 0.4 * rng.next());
          polygon.push(Math.round((cx + rr * Math.cos(t)) * 100) / 100, Math.round((cy + rr * Math.sin(t)) * 100) / 100);
        }
        segmentation = [polygon];
      }
      const annotation = JSON.stringify({ segmentation, area: 1000, iscrowd: crowd ? 1 : 0, image_id: imageId, bbox: [0, 0, 10, 10], category_id: 1 + rng.int(90), id: annotationId++ });
      annotations.push(annotation);
      bytes += annotation.length;
    }
  }
  const categories = Array.from({ length: 90 }, (_, i) => JSON.stringify({ supercategory: 'thing', id: i + 1, name: `class ${i + 1}` }));
  writeFileSync(path, `{"info": {"description": "synthetic"}, "licenses": [], "images": [${images.join(',')}], "annotations": [${annotations.join(',')}], "categories": [${categories.join(',')}]}`);
}

function heapMb(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

writeSynthetic();
const size = readFileSync(path).length;
log(`synthetic instances file: ${mb(size)} at ${path}`);

const before = heapMb();
const file = await loadCocoFile(path);
const kept = heapMb() - before;
log(`1. streamed scan: ${file.seconds.toFixed(2)} s (${(size / 1e6 / file.seconds).toFixed(0)} MB/s), ${file.images.length} images, ${file.counts.annotations} annotations; heap kept ${mb(kept)}${globalThis.gc ? '' : ' (run with --expose-gc for an exact figure)'}`);

forgetCocoFiles();
const beforeParse = heapMb();
const started = performance.now();
const parsed = JSON.parse(readFileSync(path, 'utf8')) as { annotations: unknown[] };
const parseSeconds = (performance.now() - started) / 1000;
log(`2. JSON.parse of the whole file: ${parseSeconds.toFixed(2)} s, heap ${mb(heapMb() - beforeParse)} (${parsed.annotations.length} annotations as objects)`);

const sample = file.images.slice(0, 500);
const decodeStarted = performance.now();
for (const image of sample) rasteriseImage(image, await readImageAnnotations(file, image.id), file.classOf, 255);
const perImage = (performance.now() - decodeStarted) / sample.length;
log(`3. labels of one 640x480 image (read back + rasterise): ${perImage.toFixed(2)} ms`);
if (!values.keep) rmSync(dir, { recursive: true, force: true });
