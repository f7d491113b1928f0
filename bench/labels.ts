/**
 * npm run bench:labels [-- --size N --masks M]
 *
 * The cost of label conventions (src/dataset/labels.ts, src/dataset/label-reading.ts):
 *  1. applying a convention to one N x N mask (default 5000, an Inria tile): 8-bit through the
 *     0/255 reading (label map with "reject"), 16-bit through reduce-zero-label, against a bare
 *     `out[i] = table[in[i]]` loop on the same machine (the floor);
 *  2. indexing M such 0/255 masks (default 25), which reads up to 8 of them to decide the 0/255
 *     reading, against indexing with --binarize none (no scan).
 * Prints ms per mask and ns per pixel.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { indexDataset } from '../src/dataset/index.js';
import { applyLabelConvention, BINARY_MASKS_SOURCE, DEFAULT_LABEL_CONVENTION } from '../src/dataset/labels.js';
import { encodePng, PngColorType } from '../src/dataset/png.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: '5000' }, masks: { type: 'string', default: '25' } } });
const size = Number(values.size);
const maskCount = Number(values.masks);
const pixels = size * size;

function best(runs: number, run: () => void): number {
  let fastest = Infinity;
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - started);
  }
  return fastest;
}

function line(what: string, ms: number): void {
  process.stdout.write(`${what.padEnd(52)} ${ms.toFixed(0).padStart(6)} ms  ${((ms * 1e6) / pixels).toFixed(1).padStart(5)} ns/px\n`);
}

const binary = new Uint8Array(pixels);
for (let i = 0; i < pixels; i++) binary[i] = ((i % size) >> 6) % 5 === 0 && (Math.floor(i / size) >> 6) % 3 === 0 ? 255 : 0;
const ids16 = new Uint16Array(pixels).map((_, i) => i % 151);
const floorTable = new Uint8Array(256);
floorTable[255] = 1;

process.stdout.write(`label conventions on ${size}x${size} masks (${(pixels / 1e6).toFixed(1)} MP)\n`);
line('floor: out[i] = table[in[i]] (8-bit)', best(3, () => {
  const out = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) out[i] = floorTable[binary[i]];
}));
const binaryConvention = { ...DEFAULT_LABEL_CONVENTION, labelMap: { source: BINARY_MASKS_SOURCE, entries: [[0, 0], [255, 1]] as Array<[number, number]>, others: 'reject' as const } };
line('0/255 reading (label map, others rejected), 8-bit', best(3, () => applyLabelConvention(binary, binaryConvention, 255)));
line('--binarize 127, 8-bit', best(3, () => applyLabelConvention(binary, { ...DEFAULT_LABEL_CONVENTION, binarize: { threshold: 127 } }, 255)));
line('--reduce-zero-label, 16-bit', best(3, () => applyLabelConvention(ids16, { ...DEFAULT_LABEL_CONVENTION, reduceZeroLabel: true }, 65535)));

const root = mkdtempSync(join(tmpdir(), 'segloss-bench-labels-'));
try {
  mkdirSync(join(root, 'masks'));
  const png = encodePng({ width: size, height: size, colorType: PngColorType.Grey, bitDepth: 8, data: binary });
  for (let k = 0; k < maskCount; k++) writeFileSync(join(root, 'masks', `tile_${k}.png`), png);
  const options = { root, ignoreIndex: 255, strict: false, maxPixels: Math.max(pixels, 1) };
  let started = performance.now();
  await indexDataset({ ...options, labels: { binarize: null } });
  const plain = performance.now() - started;
  started = performance.now();
  const index = await indexDataset(options);
  const scanned = performance.now() - started;
  process.stdout.write(`index ${maskCount} masks, --binarize none (no scan)            ${plain.toFixed(0).padStart(6)} ms\n`);
  process.stdout.write(`index ${maskCount} masks with the 0/255 scan                    ${scanned.toFixed(0).padStart(6)} ms  (${index.labelNotes?.length ? 'read as 0/255' : 'not 0/255'})\n`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
