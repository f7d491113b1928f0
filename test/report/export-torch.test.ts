/**
 * The torch snippets of `segloss export` run under real torch (python/export_check.py, one process
 * for every case) and must equal the TypeScript loss library: value to 1e-5 (relative, as
 * conformance.ts measures) and gradient w.r.t. the logits (tf.grad on the cpu backend) to 1e-5
 * (max |difference| / max |TS gradient|). Cases: every key of the reference cases in
 * ../shared/fixtures, every loss with non-default parameters on a batch with an all-ignored image,
 * class weights and scale-aware weighting, and an all-ignored batch (0 with a zero gradient).
 * Skipped only when no Python with torch is found (the reason is printed).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LossContext, LossName, LossParamValue, LossSpec, Recipe } from '../../src/contracts/index.js';
import { createLoss, imageScaleWeights, smallestObjectArea } from '../../src/losses/index.js';
import { defaultFixturesDir, loadReferenceCases, relativeError } from '../../src/losses/conformance.js';
import { fixtureLossForKey } from '../../src/losses/fixture-keys.js';
import { exportSnippet, type ExportSource } from '../../src/report/export/index.js';
import { comboRecipe } from '../fixtures/ui/contracts.js';
import { randomBatch, rng } from '../losses/helpers.js';

const HARNESS = fileURLToPath(new URL('../../python/export_check.py', import.meta.url));
const TOLERANCE = 1e-5;

/** Debian's torch lives in /usr/bin/python3 (the PATH python3 may be a pyenv one without it). */
function findTorchPython(): { python: string | null; why: string } {
  const tried: string[] = [];
  for (const candidate of [process.env.SEGLOSS_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => Boolean(p))) {
    const probe = spawnSync(candidate, ['-c', 'import numpy, torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (probe.status === 0) return { python: candidate, why: `${candidate}: torch ${probe.stdout.trim()}` };
    tried.push(`${candidate}: ${probe.error ? probe.error.message : (probe.stderr.trim().split('\n').pop() ?? 'failed')}`);
  }
  return { python: null, why: `no Python with torch and numpy (${tried.join('; ')})` };
}

const { python, why } = findTorchPython();
if (!python) console.warn(`export-torch tests skipped: ${why}`);

interface Batch {
  shape: [number, number, number, number];
  logits: number[];
  labels: number[];
  ignoreIndex: number | null;
}

interface Case {
  label: string;
  loss: LossName;
  spec: LossSpec;
  context: LossContext;
  batch: Batch;
  snippet: string;
}

const snippets = new Map<string, string>();
const cases: Case[] = [];

function recipeFor(spec: LossSpec, context: LossContext): Recipe {
  return {
    ...comboRecipe,
    id: `${spec.name}-check`,
    loss: spec,
    classWeights: context.classWeights ? { values: context.classWeights, method: 'test', formula: 'test weights' } : null,
    scaleAware: context.scaleAware,
    labelSmoothing: null,
    ohem: null,
  };
}

function addCase(label: string, spec: LossSpec, context: LossContext, batch: Batch, flavour: 'pytorch' | 'monai' = 'pytorch'): void {
  const source: ExportSource = { recipe: recipeFor(spec, context), provenance: 'a test', numClasses: context.numClasses, classNames: null, ignoreIndex: context.ignoreIndex, notes: [] };
  const code = exportSnippet(source, flavour);
  const id = `${flavour}:${label}`;
  snippets.set(id, code);
  cases.push({ label: `${flavour}: ${label}`, loss: spec.name, spec, context, batch, snippet: id });
}

// 1. Every key of the reference cases, with the case's ignore index and class weights.
for (const referenceCase of loadReferenceCases(defaultFixturesDir())) {
  const file = referenceCase.file.split('/').pop();
  const batch: Batch = { shape: referenceCase.shape, logits: referenceCase.logits, labels: referenceCase.labels, ignoreIndex: referenceCase.ignoreIndex };
  for (const key of Object.keys(referenceCase.expected)) {
    const fixture = fixtureLossForKey(key)!;
    const context: LossContext = { numClasses: referenceCase.shape[3], ignoreIndex: referenceCase.ignoreIndex, classWeights: fixture.useClassWeights ? referenceCase.classWeights : null, scaleAware: null };
    addCase(`${file} ${key}`, fixture.spec, context, batch);
  }
}

// 2. Every loss with non-default parameters.
const LOSSES: Array<{ name: LossName; params: Record<string, LossParamValue> }> = [
  { name: 'ce', params: { labelSmoothing: 0.1 } },
  { name: 'focal', params: { gamma: 1.5, alpha: 0.25, labelSmoothing: 0.1 } },
  { name: 'focal', params: { gamma: 0, alpha: null } },
  { name: 'dice', params: { includeBackground: false, squaredPred: true, batch: false, smoothNr: 1e-4, smoothDr: 1e-3 } },
  { name: 'dice', params: { jaccard: true, batch: true } },
  { name: 'stable_log_dice', params: { smooth: 2e-6, clampMin: 0.02 } },
  { name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3, labelSmoothing: 0.05, includeBackground: false } },
  { name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3, labelSmoothing: 0.05, ohemKeepRatio: 0.25, includeBackground: false, squaredPred: true } },
  { name: 'combo', params: { diceWeight: 0.6, ceWeight: 0.4, diceForm: 'stable_log_dice', ohemKeepRatio: 0.4, batch: true } },
  { name: 'generalized_dice', params: { weightType: 'simple', includeBackground: false } },
  { name: 'generalized_dice', params: { weightType: 'square', batch: true } },
  { name: 'generalized_dice', params: { weightType: 'uniform' } },
  { name: 'tversky', params: { alpha: 0.3, beta: 0.7, includeBackground: false, smoothNr: 0, smoothDr: 1e-4 } },
  { name: 'focal_tversky', params: { alpha: 0.3, beta: 0.7, gamma: 0.75 } },
  { name: 'focal_tversky', params: { alpha: 0.7, beta: 0.3, gamma: 1.5, batch: true } },
  { name: 'ohem_ce', params: { keepRatio: 0.3, labelSmoothing: 0.05 } },
];
const SHAPE: [number, number, number, number] = [3, 9, 11, 4];
const WEIGHTS = [0.5, 1, 2.5, 1.5];
const SCALE = { binEdges: [6, 20, 45], binWeights: [3, 2, 1.5, 1] };

function syntheticBatch(seed: number, ignored: 'image' | 'batch' | 'none'): Batch {
  const b = randomBatch({ seed, shape: SHAPE, ignoreIndex: 255, ignoreShare: 0.1, classes: [0, 1, 2] });
  const labels = Array.from(b.labels);
  const perImage = SHAPE[1] * SHAPE[2];
  if (ignored === 'image') labels.fill(255, perImage, 2 * perImage); // image 1 is all ignore index
  if (ignored === 'batch') labels.fill(255);
  return { shape: SHAPE, logits: Array.from(Float32Array.from(b.logits)), labels, ignoreIndex: 255 };
}

// Smallest objects (px) of the three images: seed 15: 3, (all ignored), 13 -> scale weights 3, 0, 2;
// seed 17: none, 1, 33 -> 1, 3, 1.5. So the weighted mean differs from the plain one.
const withIgnoredImage = syntheticBatch(15, 'image');
const mixedScales = syntheticBatch(17, 'none');
const allIgnored = syntheticBatch(12, 'batch');
for (const [index, { name, params }] of LOSSES.entries()) {
  const spec: LossSpec = { name, params };
  const base: LossContext = { numClasses: SHAPE[3], ignoreIndex: 255, classWeights: null, scaleAware: null };
  const label = `${name} #${index}`;
  addCase(`${label}, an all-ignored image`, spec, base, withIgnoredImage);
  addCase(`${label}, class weights, an all-ignored image`, spec, { ...base, classWeights: WEIGHTS }, withIgnoredImage);
  addCase(`${label}, an all-ignored batch`, spec, { ...base, classWeights: WEIGHTS }, allIgnored);
  if (params.batch !== true) {
    addCase(`${label}, scale-aware, class weights, an all-ignored image`, spec, { ...base, classWeights: WEIGHTS, scaleAware: SCALE }, withIgnoredImage);
    addCase(`${label}, scale-aware, an all-ignored batch`, spec, { ...base, scaleAware: SCALE }, allIgnored);
    addCase(`${label}, scale-aware, an image without objects`, spec, { ...base, scaleAware: SCALE }, mixedScales);
  }
  // The monai flavour runs here where it needs no MONAI (CE, OHEM, stable log Dice); else syntax only.
  addCase(`${label}, class weights, an all-ignored image`, spec, { ...base, classWeights: WEIGHTS }, withIgnoredImage, 'monai');
  addCase(`${label}, an all-ignored batch`, spec, base, allIgnored, 'monai');
  if (params.batch !== true) addCase(`${label}, scale-aware, an all-ignored image`, spec, { ...base, scaleAware: SCALE }, withIgnoredImage, 'monai');
}

/** Masks for the connected-component areas: random blobs, a spiral, diagonal chains, ignore pixels. */
function areaMasks(): Array<{ shape: [number, number, number]; labels: number[] }> {
  const out: Array<{ shape: [number, number, number]; labels: number[] }> = [];
  const random = rng(5);
  for (const [n, h, w] of [[4, 13, 17], [2, 32, 32], [1, 1, 9], [3, 7, 1]] as Array<[number, number, number]>) {
    for (const density of [0.15, 0.45, 0.8]) {
      out.push({ shape: [n, h, w], labels: Array.from({ length: n * h * w }, () => (random() < density ? 1 + Math.floor(random() * 3) : random() < 0.05 ? 255 : 0)) });
    }
  }
  const size = 21;
  const spiral = new Array<number>(size * size).fill(0);
  let [y, x, dy, dx, steps] = [10, 10, 0, 1, 1];
  for (let leg = 0; leg < 2 * size && steps < size; leg++) {
    for (let s = 0; s < steps && y >= 0 && y < size && x >= 0 && x < size; s++) {
      spiral[y * size + x] = 2;
      y += 2 * dy;
      x += 2 * dx;
      if (y >= 0 && y < size && x >= 0 && x < size) spiral[(y - dy) * size + (x - dx)] = 2;
    }
    [dy, dx] = [dx, -dy];
    if (leg % 2 === 1) steps++;
  }
  const diagonal = Array.from({ length: size * size }, (_, i) => (Math.floor(i / size) === i % size ? 1 : Math.floor(i / size) === size - 1 - (i % size) ? 3 : 0));
  out.push({ shape: [2, size, size], labels: [...spiral, ...diagonal] });
  return out;
}

function tsValueAndGradient(c: Case): { value: number; grad: Float32Array } {
  const loss = createLoss(c.spec, c.context);
  const [n, h, w, k] = c.batch.shape;
  return tf.tidy(() => {
    const logits = tf.tensor4d(c.batch.logits, [n, h, w, k], 'float32');
    const labels = tf.tensor3d(c.batch.labels, [n, h, w], 'int32');
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => loss(x as tf.Tensor4D, labels))(logits);
    return { value: value.dataSync()[0], grad: grad.dataSync() as Float32Array };
  });
}

function gradientError(ours: number[], expected: Float32Array): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const difference = Math.abs(ours[i] - expected[i]);
    if (!Number.isFinite(difference)) return Infinity; // NaN (sent as "nan") or an infinite gradient
    scale = Math.max(scale, Math.abs(expected[i]));
    worst = Math.max(worst, difference);
  }
  return scale > 0 ? worst / scale : worst;
}

interface HarnessOutput {
  torch: string;
  snippets: Record<string, string>;
  losses: Array<{ value: number; grad: number[] } | { error: string }>;
  areas: Array<number[] | { error: string }>;
  train: Array<{ losses: number[] } | { error: string }>;
}

describe.skipIf(!python)(`exported torch losses equal the TypeScript library (${why})`, () => {
  let output: HarnessOutput;
  const masks = areaMasks();
  const trained = ['pytorch:combo #7, scale-aware, class weights, an all-ignored image', 'pytorch:ohem_ce #15, class weights, an all-ignored image', 'pytorch:focal_tversky #13, an all-ignored image'];

  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
    const scaleSnippet = [...snippets.keys()].find((id) => id.startsWith('pytorch:') && id.includes('scale-aware'))!;
    const request = {
      snippets: [...snippets].map(([id, code]) => ({ id, code })),
      losses: cases.map((c) => ({ snippet: c.snippet, shape: c.batch.shape, logits: c.batch.logits, labels: c.batch.labels })),
      areas: masks.map((m) => ({ snippet: scaleSnippet, shape: m.shape, labels: m.labels })),
      train: trained,
    };
    const run = spawnSync(python!, [HARNESS], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 1 << 28 });
    if (run.status !== 0) throw new Error(`python/export_check.py failed (exit ${run.status}):\n${run.stderr}`);
    output = JSON.parse(run.stdout) as HarnessOutput;
  }, 120_000);

  it('every pytorch snippet imports with torch and numpy only; monai ones need nothing but MONAI', () => {
    for (const [id, status] of Object.entries(output.snippets)) {
      if (id.startsWith('pytorch:')) expect(status, id).toBe('ok');
      else expect(status, id).toMatch(/^(ok|syntax-only: monai is not installed)$/);
    }
    // The monai flavour of CE, OHEM and the stable log Dice is plain torch and runs here.
    const ran = Object.entries(output.snippets).filter(([id, status]) => id.startsWith('monai:') && status === 'ok').map(([id]) => id);
    expect(ran.some((id) => id.includes('ohem_ce'))).toBe(true);
    expect(ran.some((id) => id.includes('stable_log_dice'))).toBe(true);
  });

  it('value and gradient equal the TypeScript loss on every case', () => {
    const table = new Map<string, { value: number; grad: number; cases: number }>();
    const failures: string[] = [];
    cases.forEach((c, i) => {
      const result = output.losses[i];
      if (output.snippets[c.snippet] !== 'ok') return; // a monai snippet without MONAI: syntax-checked only
      if ('error' in result) {
        failures.push(`${c.label}: ${result.error}`);
        return;
      }
      const expected = tsValueAndGradient(c);
      const valueError = relativeError(result.value, expected.value);
      const gradError = gradientError(result.grad, expected.grad);
      if (!(valueError <= TOLERANCE) || !(gradError <= TOLERANCE)) failures.push(`${c.label}: value ${result.value} vs ${expected.value} (rel. ${valueError.toExponential(2)}), gradient rel. ${gradError.toExponential(2)}`);
      const row = table.get(c.loss) ?? { value: 0, grad: 0, cases: 0 };
      table.set(c.loss, { value: Math.max(row.value, valueError), grad: Math.max(row.grad, gradError), cases: row.cases + 1 });
    });
    console.log(`torch ${output.torch}: ${cases.length} cases\nloss | cases | max rel. error value | max rel. error gradient\n${[...table].map(([loss, r]) => `${loss} | ${r.cases} | ${r.value.toExponential(2)} | ${r.grad.toExponential(2)}`).join('\n')}`);
    expect(failures).toEqual([]);
    expect([...table.keys()].sort()).toEqual(['ce', 'combo', 'dice', 'focal', 'focal_tversky', 'generalized_dice', 'ohem_ce', 'stable_log_dice', 'tversky']);
  });

  it('the scale-aware batches weigh their images differently (the weighting is really exercised)', () => {
    const weights = (b: Batch) => Array.from(imageScaleWeights(b.labels, [b.shape[0], b.shape[1], b.shape[2]], 255, SCALE));
    expect(weights(withIgnoredImage)).toEqual([3, 1, 2]); // image 1 (all ignored, no objects): the loss then gives it weight 0
    expect(weights(mixedScales)).toEqual([1, 3, 1.5]);
  });

  it('an all-ignored batch gives exactly 0 with a zero gradient', () => {
    cases.forEach((c, i) => {
      const result = output.losses[i];
      if (c.batch !== allIgnored || output.snippets[c.snippet] !== 'ok') return;
      expect('error' in result ? result.error : result.value, c.label).toBe(0);
      if (!('error' in result)) expect(result.grad.every((g) => g === 0), c.label).toBe(true);
    });
  });

  it('the 8-connected object areas equal src/losses/scale-aware.ts (no scipy)', () => {
    masks.forEach((m, i) => {
      const [n, h, w] = m.shape;
      const expected = Array.from({ length: n }, (_, image) => smallestObjectArea(m.labels, image * h * w, h, w, 255) ?? 0);
      expect(output.areas[i], `mask set ${i} ${m.shape.join('x')}`).toEqual(expected);
    });
  });

  it('make_optimizer, make_scheduler and train_step run', () => {
    output.train.forEach((result, i) => {
      expect('error' in result ? result.error : '', trained[i]).toBe('');
      if (!('error' in result)) expect(result.losses.every(Number.isFinite), trained[i]).toBe(true);
    });
  });
});
