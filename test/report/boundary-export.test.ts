/**
 * The exported PyTorch code of the distance-based losses, run in Debian's torch (float64) on the
 * project's reference cases: its values must equal the float64 reference values, its autograd
 * gradients tfjs's, and its numpy distance maps segloss's. Skipped only when /usr/bin/python3 has
 * no torch. Every target's snippet is also syntax-checked.
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LossSpec, Recipe } from '../../src/contracts/index.js';
import { loadReferenceCases, projectFixturesDir, relativeError } from '../../src/losses/conformance.js';
import { signedDistanceMaps } from '../../src/losses/distance-maps.js';
import { fixtureLossForKey } from '../../src/losses/fixture-keys.js';
import { createLoss } from '../../src/losses/index.js';
import { exportSnippet, type ExportTarget } from '../../src/report/export/index.js';
import { diceRecipe } from '../fixtures/ui/contracts.js';
import { randomBatch, useBackend } from '../losses/helpers.js';

const TORCH_PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(TORCH_PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
const hasPython = spawnSync(TORCH_PYTHON, ['--version']).status === 0;

function snippetFor(loss: LossSpec, numClasses: number, ignoreIndex: number | null, target: ExportTarget): string {
  const recipe: Recipe = { ...diceRecipe, id: `${loss.name}-export`, loss, classWeights: null };
  return exportSnippet({ recipe, provenance: 'a test recipe', numClasses, classNames: null, ignoreIndex, notes: [] }, target);
}

const RUNNER = `
import json, sys
import numpy as np
import torch
jobs = json.load(sys.stdin)
out = []
for job in jobs:
    ns = {}
    exec(compile(job["code"], "snippet", "exec"), ns)
    n, h, w, c = job["shape"]
    if "maps_of" in job:
        labels = np.array(job["maps_of"], dtype=np.int64).reshape(n, h, w)
        out.append({"maps": np.transpose(ns["signed_distance_maps"](labels), (0, 2, 3, 1)).ravel().tolist()})
        continue
    logits = torch.tensor(job["logits"], dtype=torch.float64).reshape(n, h, w, c).permute(0, 3, 1, 2).contiguous().requires_grad_(True)
    target = torch.tensor(job["labels"], dtype=torch.int64).reshape(n, h, w)
    if job["progress"] is None:
        loss = ns["compute_loss"](logits, target)
    else:
        loss = ns["compute_loss"](logits, target, progress=job["progress"])
    loss.backward()
    out.append({"value": loss.item(), "grad": logits.grad.permute(0, 2, 3, 1).reshape(-1).tolist()})
print(json.dumps(out))
`;

function runTorch(jobs: unknown[]): Array<{ value?: number; grad?: number[]; maps?: number[] }> {
  const result = spawnSync(TORCH_PYTHON, ['-c', RUNNER], { input: JSON.stringify(jobs), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout);
}

const cases = loadReferenceCases(projectFixturesDir());

describe('exported PyTorch distance losses', () => {
  beforeAll(() => useBackend('cpu'));

  it.skipIf(!hasTorch)('equal the float64 reference values and tfjs gradients on the project reference cases', () => {
    const jobs: Array<Record<string, unknown>> = [];
    const expectations: Array<{ label: string; expected: number; grad: Float64Array }> = [];
    for (const referenceCase of cases) {
      const [n, h, w, c] = referenceCase.shape;
      for (const [key, expected] of Object.entries(referenceCase.expected)) {
        const mapped = fixtureLossForKey(key)!;
        const code = snippetFor(mapped.spec, c, referenceCase.ignoreIndex, 'pytorch');
        expect(code).not.toMatch(/^\s*(import|from) (scipy|segmentation_models_pytorch)/m);
        const takesProgress = mapped.spec.name === 'dice_boundary';
        jobs.push({ code, shape: referenceCase.shape, logits: referenceCase.logits, labels: referenceCase.labels, progress: takesProgress ? mapped.progress : null });
        const loss = createLoss(mapped.spec, { numClasses: c, ignoreIndex: referenceCase.ignoreIndex, classWeights: null, scaleAware: null });
        const gradTensor = tf.tidy(() => {
          const labels = tf.tensor3d(referenceCase.labels, [n, h, w], 'int32');
          return tf.grad((x: tf.Tensor) => loss(x as tf.Tensor4D, labels, mapped.progress))(tf.tensor4d(referenceCase.logits, [n, h, w, c]));
        });
        const grad = Float64Array.from(gradTensor.dataSync());
        gradTensor.dispose();
        expectations.push({ label: `${referenceCase.file.split('/').pop()} ${key}`, expected, grad });
      }
    }
    const results = runTorch(jobs);
    results.forEach((result, i) => {
      const { label, expected, grad } = expectations[i];
      expect(relativeError(result.value!, expected), label).toBeLessThan(1e-9);
      const scale = Math.max(...grad.map(Math.abs));
      const worst = Math.max(...result.grad!.map((g, j) => Math.abs(g - grad[j])));
      expect(worst / scale, label).toBeLessThan(1e-5);
    });
  });

  it.skipIf(!hasTorch)('numpy signed distance maps equal segloss\'s on random labels with ignored pixels', () => {
    const shape: [number, number, number, number] = [3, 17, 23, 4];
    const batch = randomBatch({ seed: 9, shape, ignoreIndex: 255, ignoreShare: 0.1, classes: [0, 1, 2] });
    const code = snippetFor({ name: 'boundary', params: {} }, 4, 255, 'pytorch');
    const [{ maps }] = runTorch([{ code, shape, maps_of: Array.from(batch.labels) }]);
    const ours = signedDistanceMaps(batch.labels, [3, 17, 23], 4, 255);
    expect(maps!.length).toBe(ours.length);
    expect(Math.max(...maps!.map((v, i) => Math.abs(v - ours[i])))).toBeLessThan(1e-5);
    expect(maps!.some((v) => v > 5)).toBe(true);
  });

  it.skipIf(!hasPython)('every target\'s snippet is valid Python and names progress where the loss has a schedule', () => {
    const specs: LossSpec[] = [{ name: 'boundary', params: {} }, { name: 'dice_boundary', params: {} }, { name: 'hausdorff_dt', params: {} }];
    const codes = specs.flatMap((spec) => (['pytorch', 'monai', 'keras'] as const).map((target) => ({ spec, target, code: snippetFor(spec, 3, 255, target) })));
    for (const { spec, target, code } of codes) {
      const schedule = spec.name === 'dice_boundary';
      const signature = target === 'keras' ? 'def compute_loss(y_true, y_pred, progress=1.0):' : 'def compute_loss(logits, target, progress=1.0):';
      expect(code.includes(signature), `${target} ${spec.name}`).toBe(schedule);
      if (schedule) expect(code).toContain('boundary_schedule(progress, schedule="rebalance", alpha_start=0.01, alpha_end=1.0, min_dice_weight=0.1)');
      if (schedule) expect(code).toContain(target === 'keras' ? 'return tf.maximum(min_dice_weight, 1.0 - alpha), alpha' : 'return max(min_dice_weight, 1.0 - alpha), alpha');
    }
    const script = 'import ast, json, sys\nfor code in json.load(sys.stdin):\n    ast.parse(code)\nprint("ok")';
    const result = spawnSync(TORCH_PYTHON, ['-c', script], { input: JSON.stringify(codes.map((c) => c.code)), encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
  });
});
