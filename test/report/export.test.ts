import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import type { LossName, LossParamValue, Recipe, VerificationReport } from '../../src/contracts/index.js';
import { exportSnippet, loadExportSource, type ExportSource, type ExportTarget } from '../../src/report/export/index.js';
import { chooseCandidate } from '../../src/report/export/source.js';
import { pyFloat } from '../../src/report/export/python.js';
import { comboRecipe, diceRecipe, focalRecipe, recommendationFixture, verificationFixture } from '../fixtures/ui/contracts.js';

const FIXTURES = new URL('../fixtures/ui/', import.meta.url);
const fixture = (name: string) => new URL(name, FIXTURES).pathname;

function sourceFor(recipe: Recipe, ignoreIndex: number | null = 255): ExportSource {
  return { recipe, provenance: 'a test recipe', numClasses: 6, classNames: recommendationFixture.input.classNames, ignoreIndex, notes: [] };
}

/** One recipe per loss with non-default parameters, so a snippet that drops or defaults one fails. */
const LOSS_CASES: Array<{ name: LossName; params: Record<string, LossParamValue> }> = [
  { name: 'ce', params: { labelSmoothing: 0.1 } },
  { name: 'focal', params: { gamma: 1.5, alpha: 0.25, labelSmoothing: 0.1 } },
  { name: 'dice', params: { includeBackground: false, squaredPred: true, jaccard: false, batch: true, smoothNr: 0.0001, smoothDr: 0.001 } },
  { name: 'stable_log_dice', params: { smooth: 2e-6, clampMin: 0.02 } },
  { name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3, diceForm: 'dice', labelSmoothing: 0.05, includeBackground: false, squaredPred: false, jaccard: false, batch: false, smoothNr: 1e-5, smoothDr: 1e-5 } },
  { name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3, diceForm: 'dice', labelSmoothing: 0.05, ohemKeepRatio: 0.25, includeBackground: false, squaredPred: false, jaccard: false, batch: false, smoothNr: 1e-5, smoothDr: 1e-5 } },
  { name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3, diceForm: 'stable_log_dice', labelSmoothing: 0, ohemKeepRatio: 0.4 } },
  { name: 'generalized_dice', params: { weightType: 'simple', includeBackground: false, batch: false, smoothNr: 1e-5, smoothDr: 1e-5 } },
  { name: 'tversky', params: { alpha: 0.3, beta: 0.7, includeBackground: false, batch: false, smoothNr: 1e-5, smoothDr: 1e-5 } },
  { name: 'focal_tversky', params: { alpha: 0.3, beta: 0.7, gamma: 0.75, includeBackground: true, batch: false, smoothNr: 1e-5, smoothDr: 1e-5 } },
  { name: 'ohem_ce', params: { keepRatio: 0.3, labelSmoothing: 0.05 } },
];

/** What each target must state for a loss: its parameters under the target library's names. */
function expectedLossText(name: LossName, p: Record<string, LossParamValue>, target: ExportTarget): string[] {
  const f = (v: LossParamValue) => (typeof v === 'number' ? pyFloat(v) : typeof v === 'boolean' ? (v ? 'True' : 'False') : JSON.stringify(v));
  const monai = target === 'monai';
  const torch = target === 'pytorch';
  switch (name) {
    case 'ce':
      return target === 'keras' ? [`label_smoothing=${f(p.labelSmoothing)}`, 'class_weights=CLASS_WEIGHTS'] : [`label_smoothing=${f(p.labelSmoothing)}`, 'class_weights=CLASS_WEIGHTS', 'ignore_index=IGNORE_INDEX', 'def cross_entropy_loss('];
    case 'focal':
      return monai
        ? [`gamma=${f(p.gamma)}`, `alpha=${f(p.alpha)}`, 'use_softmax=True', 'weight=CLASS_WEIGHTS', 'FocalLoss(', `label_smoothing = ${f(p.labelSmoothing)}`, 'onehot = onehot * (1 - label_smoothing) + (label_smoothing / NUM_CLASSES) * valid', 'focal_loss(logits, onehot)']
        : [`gamma=${f(p.gamma)}`, `alpha=${f(p.alpha)}`, 'class_weights=CLASS_WEIGHTS', `label_smoothing=${f(p.labelSmoothing)}`, 'label_smoothing / NUM_CLASSES'];
    case 'dice':
      if (monai) return ['DiceLoss(', 'include_background=False', 'squared_pred=True', 'batch=True', `smooth_nr=${f(p.smoothNr)}`, `smooth_dr=${f(p.smoothDr)}`, 'reduction="none"', 'reduce_class_losses('];
      if (torch) return ['def dice_class_losses(', 'include_background=False', 'squared_pred=True', 'batch=True', `smooth_nr=${f(p.smoothNr)}`, `smooth_dr=${f(p.smoothDr)}`];
      return ['include_background=False', 'squared_pred=True', 'batch=True', `smooth_nr=${f(p.smoothNr)}`, `smooth_dr=${f(p.smoothDr)}`];
    case 'stable_log_dice':
      return [`smooth=${f(p.smooth)}`, `clamp_min=${f(p.clampMin)}`, 'def stable_log_dice'];
    case 'combo':
      if (p.ohemKeepRatio !== undefined && (p.ohemKeepRatio as number) < 1) {
        // OHEM on the CE term: the ohem_ce helper with keep_ratio, weights and smoothing; no plain CE call.
        return [
          `${f(p.diceWeight)} * `,
          `${f(p.ceWeight)} * ohem_cross_entropy(logits, `,
          `keep_ratio=${f(p.ohemKeepRatio)}`,
          `label_smoothing=${f(p.labelSmoothing)}`,
          'class_weights=CLASS_WEIGHTS',
          'def ohem_cross_entropy(',
          ...(p.diceForm === 'stable_log_dice' ? ['def stable_log_dice'] : []),
        ];
      }
      return [`${f(p.diceWeight)} * `, `${f(p.ceWeight)} * `, `label_smoothing=${f(p.labelSmoothing)}`, 'include_background=False', ...(monai ? ['DiceLoss(', 'DiceCELoss(lambda_dice=0.7, lambda_ce=0.3) written out'] : torch ? ['def dice_class_losses('] : ['def dice_loss'])];
    case 'generalized_dice':
      return [monai ? 'GeneralizedDiceLoss(' : torch ? 'def generalized_dice_values' : 'def generalized_dice_loss', `w_type=${f(p.weightType)}`, 'include_background=False'];
    case 'tversky':
      return [`alpha=${f(p.alpha)}`, `beta=${f(p.beta)}`, 'include_background=False', ...(monai ? ['TverskyLoss('] : torch ? ['def tversky_index('] : [])];
    case 'focal_tversky':
      return [`alpha=${f(p.alpha)}`, `beta=${f(p.beta)}`, ...(target === 'keras' ? [`1e-12), ${f(p.gamma)})`] : ['clamp_min(1e-12).pow(' + f(p.gamma) + ')'])];
    case 'ohem_ce':
      return [`keep_ratio=${f(p.keepRatio)}`, `label_smoothing=${f(p.labelSmoothing)}`, 'class_weights=CLASS_WEIGHTS'];
  }
}

const TARGETS: ExportTarget[] = ['pytorch', 'monai', 'keras'];
const python = spawnSync('python3', ['--version']).status === 0 ? 'python3' : null;

/** Snippets to syntax-check with Python's own parser, all in one process at the end (spawning is slow). */
const snippets: Array<{ label: string; code: string }> = [];
function assertPythonSyntax(code: string, label = expect.getState().currentTestName ?? 'snippet'): void {
  snippets.push({ label, code });
}

describe('export snippets carry every parameter of the recipe', () => {
  for (const target of TARGETS) {
    for (const [index, { name, params }] of LOSS_CASES.entries()) {
      it(`${target}: ${name} (case ${index})`, () => {
        const recipe: Recipe = { ...comboRecipe, id: `${name}-case`, loss: { name, params } };
        const code = exportSnippet(sourceFor(recipe), target);
        for (const text of expectedLossText(name, params, target)) expect(code, `${target} ${name} should contain ${text}`).toContain(text);
        assertPythonSyntax(code);
      });
    }
  }

  it('pytorch: torch and numpy only (no smp, scipy or MONAI), torch >= 1.13 stated, the module interface documented', () => {
    for (const { name, params } of LOSS_CASES) {
      for (const scaleAware of [null, { binEdges: [100, 1000], binWeights: [2, 1.5, 1] }]) {
        const code = exportSnippet(sourceFor({ ...comboRecipe, loss: { name, params: { ...params, batch: false } }, scaleAware }), 'pytorch');
        const imports = code.split('\n').filter((line) => /^(import|from) /.test(line));
        expect(imports.every((line) => /^(import math|import numpy as np|import torch|import torch\.nn\.functional as F)$/.test(line)), imports.join('; ')).toBe(true);
        expect(code).toContain('torch >= 1.13');
        expect(code).toContain('compute_loss(logits, target) -> scalar tensor');
      }
    }
  });

  it.each(TARGETS)('%s: scale-aware weighting without scipy, an all-ignored image weighs 0 and counts in no per-image mean', (target) => {
    const code = exportSnippet(sourceFor({ ...diceRecipe, scaleAware: { binEdges: [100], binWeights: [2, 1] } }), target);
    expect(code).not.toMatch(/scipy|ndimage/);
    expect(code).toContain('def smallest_object_areas(masks):');
    expect(code).toContain('weights = weights * (masks != IGNORE_INDEX).reshape(len(masks), -1).any(1)');
    const plain = exportSnippet(sourceFor(diceRecipe), target);
    expect(plain).toContain('def reduce_class_losses(per_class, valid, batch=False');
    expect(plain).not.toMatch(/return tf\.reduce_mean\(1\.0 - /); // keras: the image mean skips all-ignored images
  });

  it.each(TARGETS)('%s: class weights, optimiser, schedule, warm-up and clipping of the satellite recipe', (target) => {
    const code = exportSnippet(sourceFor(comboRecipe), target);
    expect(code).toContain('[0.1, 1.0, 1.0, 2.0, 2.0, 3.0]');
    expect(code).toContain('NUM_CLASSES = 6');
    expect(code).toContain('IGNORE_INDEX = 255');
    expect(code).toMatch(target === 'keras' ? /AdamW\(learning_rate=SeglossSchedule\(0\.0003, total_steps\), weight_decay=0\.01, global_clipnorm=1\.0\)/ : /torch\.optim\.AdamW\(model\.parameters\(\), lr=0\.0003, weight_decay=0\.01\)/);
    expect(code).toContain('0.05 * total_steps');
    expect(code).toContain('MIN_LR_FACTOR = 0.01');
    expect(code).toMatch(/cos\(math\.pi \* t\)/);
    if (target !== 'keras') expect(code).toContain('clip_grad_norm_(model.parameters(), max_norm=1.0)');
    expect(code).toContain('33% of training crops on a rare-class pixel');
    assertPythonSyntax(code);
  });

  it.each(TARGETS)('%s: SGD Nesterov with poly decay, no warm-up, clip 12', (target) => {
    const code = exportSnippet(sourceFor(focalRecipe), target);
    if (target === 'keras') {
      expect(code).toContain('tf.keras.optimizers.SGD(learning_rate=SeglossSchedule(0.01, total_steps), momentum=0.99, nesterov=True, global_clipnorm=12.0)');
      expect(code).toContain('L2(1.5e-05)'); // coupled weight decay 3e-5 as an L2 regulariser
      expect(code).toContain('tf.pow(1.0 - t, 0.9)');
    } else {
      expect(code).toContain('torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.99, nesterov=True, weight_decay=3e-05)');
      expect(code).toContain('(1 - t) ** 0.9');
      expect(code).toContain('max_norm=12.0');
    }
    expect(code).toContain('0.0 * total_steps');
    expect(code).toContain('CLASS_WEIGHTS = None');
    assertPythonSyntax(code);
  });

  it('monai: uses DiceCELoss directly when nothing is ignored and CE is unweighted', () => {
    const recipe: Recipe = { ...comboRecipe, classWeights: null };
    const code = exportSnippet(sourceFor(recipe, null), 'monai');
    expect(code).toContain('DiceCELoss(include_background=False, to_onehot_y=True, softmax=True');
    expect(code).toContain('lambda_dice=0.7, lambda_ce=0.3, label_smoothing=0.0');
    expect(code).toContain('IGNORE_INDEX = -100');
    assertPythonSyntax(code);
  });

  it.each(TARGETS)('%s: the recipe-level OHEM and label smoothing are folded in as verify trains them', (target) => {
    // The satellite recipe as the rules write it: every combo default in the spec, OHEM at recipe level.
    const satellite: Recipe = { ...comboRecipe, loss: { name: 'combo', params: { ...comboRecipe.loss.params, ohemKeepRatio: 1 } }, ohem: { keepRatio: 0.25 } };
    const combo = exportSnippet(sourceFor(satellite), target);
    expect(combo).toContain('keep_ratio=0.25');
    expect(combo).toContain('def ohem_cross_entropy(');
    expect(combo).toContain('ohemKeepRatio 0.25'); // the header's loss line
    assertPythonSyntax(combo, `${target}: satellite recipe with OHEM`);
    // No ignore index and no class weights would otherwise pick MONAI's DiceCELoss, which has no OHEM.
    const plain = exportSnippet(sourceFor({ ...satellite, classWeights: null }, null), target);
    expect(plain).not.toContain('DiceCELoss(include_background');
    expect(plain).toContain('keep_ratio=0.25, label_smoothing=0.0, class_weights=None');
    assertPythonSyntax(plain, `${target}: satellite recipe with OHEM, unweighted`);
    // The driving recipe: focal with recipe-level label smoothing.
    const driving = exportSnippet(sourceFor({ ...focalRecipe, labelSmoothing: 0.1 }), target);
    expect(driving).toContain(target === 'monai' ? 'label_smoothing = 0.1' : 'label_smoothing=0.1');
    assertPythonSyntax(driving, `${target}: focal with recipe-level label smoothing`);
    // What no loss parameter expresses is named in the header instead of silently dropped.
    const dice = exportSnippet(sourceFor({ ...diceRecipe, labelSmoothing: 0.1, ohem: { keepRatio: 0.25 } }), target);
    expect(dice).toContain('Note: OHEM (keep 0.25) on the dice loss cannot be expressed');
    expect(dice).toContain('Note: label smoothing 0.1 on the dice loss cannot be expressed');
  });

  it.each(TARGETS)('%s: focal and combo without the new parameters export as before', (target) => {
    const focal = exportSnippet(sourceFor(focalRecipe), target);
    if (target === 'monai') expect(focal).not.toContain('label_smoothing');
    else expect(focal).toContain('label_smoothing=0.0');
    const combo = exportSnippet(sourceFor(comboRecipe), target);
    expect(combo).not.toContain('ohem_cross_entropy');
  });

  it.each(TARGETS)('%s: scale-aware weighting with its bins and weights', (target) => {
    const recipe: Recipe = { ...comboRecipe, scaleAware: { binEdges: [100, 1000, 10000], binWeights: [2, 1.5, 1, 1] } };
    const code = exportSnippet(sourceFor(recipe), target);
    expect(code).toContain('BIN_EDGES = [100.0, 1000.0, 10000.0]');
    expect(code).toContain('BIN_WEIGHTS = [2.0, 1.5, 1.0, 1.0]');
    expect(code).toContain('scale_aware_weights(');
    assertPythonSyntax(code);
  });
});

describe('export snippets are valid Python', () => {
  it.skipIf(!python)('every snippet generated above parses with python3 ast', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(36);
    const dir = mkdtempSync(join(tmpdir(), 'segloss-export-'));
    const files = snippets.map((snippet, index) => {
      const file = join(dir, `snippet_${index}.py`);
      writeFileSync(file, snippet.code);
      return file;
    });
    const script = 'import ast, sys\nbad = []\nfor f in sys.argv[1:]:\n    try:\n        ast.parse(open(f).read())\n    except SyntaxError as e:\n        bad.append(f"{f}: {e}")\nprint("\\n".join(bad))';
    const bad = execFileSync(python!, ['-c', script, ...files], { encoding: 'utf8' }).trim();
    expect(bad.split('\n').filter(Boolean).map((line) => snippets[Number(/snippet_(\d+)/.exec(line)?.[1])].label + ': ' + line)).toEqual([]);
  });
});

describe('export sources', () => {
  it('takes the winner from verification.json and says so', async () => {
    const source = await loadExportSource(fixture('verification.json'));
    expect(source.recipe.id).toBe('combo-satellite');
    expect(source.provenance).toContain('the winning recipe "combo-satellite"');
    expect(source.numClasses).toBe(6);
    expect(source.ignoreIndex).toBe(255);
    expect(source.notes[0]).toContain('255');
    const focal = await loadExportSource(fixture('verification.json'), { candidate: 'focal' });
    expect(focal.recipe.loss.name).toBe('focal');
  });

  it('keeps the recommended recipe when the verdict is tied or inconclusive, takes the winner when beaten', () => {
    const withOutcome = (outcome: VerificationReport['verdict']['outcome'], winnerId: string) => ({ ...verificationFixture, verdict: { ...verificationFixture.verdict, outcome, winnerId } });
    expect(chooseCandidate(withOutcome('tied', 'focal')).candidate.id).toBe('combo-satellite');
    expect(chooseCandidate(withOutcome('inconclusive', 'focal')).candidate.id).toBe('combo-satellite');
    expect(chooseCandidate(withOutcome('beaten', 'focal')).candidate.id).toBe('focal');
    const failedRecommended = { ...withOutcome('inconclusive', 'focal'), candidates: verificationFixture.candidates.map((c) => (c.isRecommended ? { ...c, status: 'failed' as const, metrics: null } : c)) };
    const chosen = chooseCandidate(failedRecommended);
    expect(chosen.candidate.id).toBe('focal');
    expect(chosen.why).toContain('the recommended run did not finish');
  });

  it('takes the recommended recipe from recommendation.json', async () => {
    const source = await loadExportSource(fixture('recommendation.json'));
    expect(source.recipe).toEqual(recommendationFixture.recipe);
    expect(source.provenance).toContain('the recommended recipe');
  });
});

describe('segloss export (CLI)', () => {
  let stderr = '';
  let stdout = '';
  beforeEach(() => {
    stderr = '';
    stdout = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  });
  afterEach(() => vi.restoreAllMocks());

  it('prints the snippet on stdout and names the recipe on stderr', async () => {
    expect(await main(['export', fixture('recommendation.json'), '--to', 'monai'])).toBe(0);
    expect(stdout).toContain('segloss recipe "combo-satellite"');
    expect(stderr).toContain('the recommended recipe');
  });

  it('writes --out FILE', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'segloss-export-')), 'loss.py');
    expect(await main(['export', fixture('verification.json'), '--to', 'keras', '--out', out])).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('def compute_loss(y_true, y_pred)');
    expect(stdout).toBe('');
  });

  const dir = mkdtempSync(join(tmpdir(), 'segloss-export-bad-'));
  const badJson = join(dir, 'bad.json');
  writeFileSync(badJson, '{ not json');
  const badLoss = join(dir, 'bad-loss.json');
  writeFileSync(badLoss, JSON.stringify({ ...recommendationFixture, recipe: { ...recommendationFixture.recipe, loss: { name: 'lovasz', params: {} } } }));
  const cases: Array<[string, string[], RegExp]> = [
    ['a missing file', ['export', join(dir, 'nope.json'), '--to', 'monai'], /cannot read .*nope\.json: no such file/],
    ['invalid JSON', ['export', badJson, '--to', 'monai'], /bad\.json is not valid JSON/],
    ['a profile instead of a recommendation', ['export', fixture('profile.json'), '--to', 'pytorch'], /profile\.json is a DatasetProfile, not a Recommendation or VerificationReport/],
    ['an unknown loss', ['export', badLoss, '--to', 'keras'], /unknown loss "lovasz"/],
    ['an unknown candidate', ['export', fixture('verification.json'), '--to', 'keras', '--candidate', 'x'], /no candidate "x"/],
    ['an unknown target', ['export', fixture('recommendation.json'), '--to', 'jax'], /--to.*jax|jax.*--to|Allowed choices/i],
    ['no target', ['export', fixture('recommendation.json')], /--to/],
  ];
  it.each(cases)('exits 2 with a clear message on %s', async (_name, argv, message) => {
    expect(await main(argv)).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe('');
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe('exported PyTorch LR schedule matches the one segloss trained with', () => {
  it.skipIf(!python)('lr_factor from the snippet equals verify/schedule.ts learningRateAt at every step', async () => {
    const { learningRateAt } = await import('../../src/verify/schedule.js');
    const schedules: Array<Recipe['schedule']> = [
      { name: 'cosine', warmupFraction: 0.05, power: null, minLrFactor: 0.01 },
      { name: 'poly', warmupFraction: 0, power: 0.9, minLrFactor: 0 },
      { name: 'constant', warmupFraction: 0.1, power: null, minLrFactor: 1 },
      { name: 'poly', warmupFraction: 0.25, power: null, minLrFactor: 0.1 },
    ];
    const totalSteps = 37;
    const cases = schedules.map((schedule) => {
      const code = exportSnippet(sourceFor({ ...comboRecipe, schedule }), 'pytorch');
      const constant = /^MIN_LR_FACTOR = .*$/m.exec(code)?.[0] ?? '';
      const fn = /^def make_scheduler[\s\S]*?return torch\.optim\.lr_scheduler\.LambdaLR\(optimizer, lr_factor\)$/m.exec(code)?.[0];
      if (!fn) throw new Error('make_scheduler not found in the snippet');
      return { code: `${constant}\n${fn}`, expected: Array.from({ length: totalSteps }, (_, step) => learningRateAt(step, totalSteps, 1, schedule)) };
    });
    // A stand-in for torch.optim.lr_scheduler.LambdaLR that hands back the factor function.
    const script = [
      'import json, math, sys, types',
      'torch = types.SimpleNamespace(optim=types.SimpleNamespace(lr_scheduler=types.SimpleNamespace(LambdaLR=lambda optimizer, f: f)))',
      'out = []',
      'for code in json.loads(sys.stdin.read()):',
      '    scope = {"math": math, "torch": torch}',
      '    exec(code, scope)',
      `    f = scope["make_scheduler"](None, ${totalSteps})`,
      `    out.append([f(step) for step in range(${totalSteps})])`,
      'print(json.dumps(out))',
    ].join('\n');
    const result = spawnSync(python!, ['-c', script], { input: JSON.stringify(cases.map((c) => c.code)), encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const factors = JSON.parse(result.stdout) as number[][];
    cases.forEach((c, i) => c.expected.forEach((lr, step) => expect(factors[i][step], `schedule ${i} step ${step}`).toBeCloseTo(lr, 12)));
  });
});
