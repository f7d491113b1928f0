/**
 * PyTorch snippets for a recipe, in two flavours that compute exactly segloss's losses
 * (src/losses, DESIGN.md conventions; the tests run both against the TypeScript library and its
 * gradients under real torch):
 * - `pytorch`: torch only (numpy too for scale-aware weighting), torch >= 1.13. This is the file
 *   `segloss verify --backend torch` imports to train each candidate, so what verify trains is byte
 *   for byte what export writes. Its module interface is stable and stated in the snippet's header:
 *   compute_loss(logits, target), NUM_CLASSES, IGNORE_INDEX, CLASS_WEIGHTS, make_optimizer(model),
 *   make_scheduler(optimizer, total_steps) (lr_factor = verify/schedule.ts learningRateAt) and
 *   train_step(...).
 * - `monai`: MONAI's DiceLoss, FocalLoss(use_softmax=True), TverskyLoss, GeneralizedDiceLoss and
 *   DiceCELoss, fed softmax probabilities and a one-hot target zeroed at ignored pixels and reduced
 *   with reduction="none" plus segloss's own reductions, so an image that is all ignore index counts
 *   in no mean; CE, OHEM and the stable log Dice are the same torch functions as `pytorch`.
 * The per-loss code is in torch-losses.ts (one entry per loss), the torch functions it calls in
 * torch-library.ts, the scale-aware image weights (numpy, no scipy) in scale-aware-py.ts.
 */
import type { Recipe } from '../../contracts/recommendation.js';
import { resolvedLossParams } from '../recipe-summary.js';
import type { ExportSource } from './source.js';
import { pyBool, pyComment, pyFloat } from './python.js';
import { constantLines, scheduleComment, snippetHeader } from './common.js';
import { SCALE_AWARE_WEIGHTS, SMALLEST_OBJECT_AREAS } from './scale-aware-py.js';
import { orderedBlocks } from './torch-library.js';
import { LOSS_CODE, type TorchFlavour } from './torch-losses.js';

export type { TorchFlavour } from './torch-losses.js';

/** The lowest versions each flavour is stated (and, for torch, tested) to run on. */
export const TORCH_FLAVOUR_TARGETS: Record<TorchFlavour, string> = {
  pytorch: 'PyTorch (torch >= 1.13; no other package)',
  monai: 'PyTorch with MONAI losses (monai >= 1.3, torch >= 1.13)',
};

/** The module interface `segloss verify --backend torch` relies on, stated at the top of every torch snippet. */
const INTERFACE_LINES = [
  'Module interface (stable: segloss verify --backend torch imports this file as it is):',
  '  compute_loss(logits, target) -> scalar tensor. logits: (N, C, H, W) float raw scores (no softmax);',
  '    target: (N, H, W) int64 class ids, IGNORE_INDEX at ignored pixels. A batch (or image) that is all',
  '    IGNORE_INDEX adds 0 with a zero gradient, never NaN.',
  '  NUM_CLASSES, IGNORE_INDEX, CLASS_WEIGHTS: the recipe\'s constants.',
  '  make_optimizer(model); make_scheduler(optimizer, total_steps): a LambdaLR, stepped once per optimiser step.',
  '  train_step(model, images, masks, optimizer, scheduler) -> the batch loss (detached).',
];

function optimizerLine(recipe: Recipe): string[] {
  const o = recipe.optimizer;
  if (o.name === 'sgd') {
    return [`return torch.optim.SGD(model.parameters(), lr=${pyFloat(o.lr)}, momentum=${pyFloat(o.momentum ?? 0)}, nesterov=${pyBool(o.nesterov)}, weight_decay=${pyFloat(o.weightDecay)})`];
  }
  const cls = o.name === 'adamw' ? 'AdamW' : 'Adam';
  const note = o.name === 'adam' && o.weightDecay > 0 ? pyComment('torch Adam adds weight_decay * w to the gradient (L2), as segloss did; AdamW would decouple it.') : [];
  return [...note, `return torch.optim.${cls}(model.parameters(), lr=${pyFloat(o.lr)}, weight_decay=${pyFloat(o.weightDecay)})`];
}

function schedulerLines(recipe: Recipe): string[] {
  const s = recipe.schedule;
  const decay = s.name === 'constant'
    ? ['        return 1.0']
    : [
        '        t = min(1.0, (step - warmup_steps) / decay_steps)',
        s.name === 'cosine'
          ? '        return MIN_LR_FACTOR + (1 - MIN_LR_FACTOR) * 0.5 * (1 + math.cos(math.pi * t))'
          : `        return MIN_LR_FACTOR + (1 - MIN_LR_FACTOR) * (1 - t) ** ${pyFloat(s.power ?? 0.9)}`,
      ];
  return [
    'def make_scheduler(optimizer, total_steps):',
    `    """${scheduleComment(recipe)} Call scheduler.step() once per optimiser step."""`,
    `    warmup_steps = min(total_steps, int(math.floor(${pyFloat(s.warmupFraction)} * total_steps + 0.5)))`,
    '    decay_steps = max(1, total_steps - warmup_steps)',
    '',
    '    def lr_factor(step):',
    '        if step < warmup_steps:',
    '            return (step + 1) / warmup_steps',
    ...decay,
    '',
    '    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)',
  ];
}

function indent(lines: string[], by = '    '): string[] {
  return lines.map((line) => (line ? `${by}${line}` : line));
}

export function torchSnippet(source: ExportSource, flavour: TorchFlavour): string {
  const { recipe } = source;
  const scale = recipe.scaleAware;
  const params = resolvedLossParams(recipe.loss);
  const code = LOSS_CODE[recipe.loss.name](params, {
    flavour,
    perImage: scale !== null,
    weights: recipe.classWeights ? 'CLASS_WEIGHTS' : 'None',
    hasIgnoreIndex: source.ignoreIndex !== null,
  });
  const imports = ['import math', '', ...(scale ? ['import numpy as np'] : []), 'import torch', 'import torch.nn.functional as F', ...new Set(code.imports)];
  const constants = constantLines(source, {
    noIgnoreValue: -100,
    noIgnoreWhy: "no ignore index in the recipe: torch's default -100 ignores nothing",
    weights: (literal) => `torch.tensor(${literal})`,
  });
  const baseLoss = scale
    ? [
        ...(params.batch === true ? pyComment('The loss is taken per image here, so batch=True has no effect: segloss\'s own losses refuse scale-aware weighting with batch=true (it needs a per-image loss).') : []),
        'def base_loss(logits, target):',
        '    """The recipe\'s loss of each image (N,), 0 for an image that is all IGNORE_INDEX."""',
      ]
    : [
        'def compute_loss(logits, target):',
        '    """logits: (N, C, H, W) raw scores (no softmax); target: (N, H, W) int64 class ids. Scalar loss."""',
      ];
  const lossFn = [...baseLoss, ...indent(code.body)];
  const scaled = [
    'def compute_loss(logits, target):',
    '    """Scale-aware: each image\'s loss times its scale_aware_weights weight (normalised to sum 1)."""',
    '    weights = torch.as_tensor(scale_aware_weights(target.detach().cpu().numpy()), device=logits.device).to(logits.dtype)',
    '    return (weights * base_loss(logits, target)).sum()',
  ];
  const clip = recipe.gradientClipNorm;
  const train = [
    'def train_step(model, images, masks, optimizer, scheduler):',
    '    optimizer.zero_grad(set_to_none=True)',
    '    loss = compute_loss(model(images), masks)',
    '    loss.backward()',
    clip === null ? '    # no gradient clipping in this recipe' : `    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=${pyFloat(clip)})`,
    '    optimizer.step()',
    '    scheduler.step()',
    '    return loss.detach()',
  ];
  const blocks = [
    snippetHeader(source, TORCH_FLAVOUR_TARGETS[flavour], [
      'Use: optimizer = make_optimizer(model); scheduler = make_scheduler(optimizer, total_steps);',
      'then train_step(model, images, masks, optimizer, scheduler) for each batch.',
      '',
      ...INTERFACE_LINES,
    ]),
    imports.join('\n'),
    constants.join('\n'),
    ...orderedBlocks(code.blocks),
    ...(scale ? [SMALLEST_OBJECT_AREAS, SCALE_AWARE_WEIGHTS] : []),
    ...(code.setup.length ? [code.setup.join('\n')] : []),
    lossFn.join('\n'),
    ...(scale ? [scaled.join('\n')] : []),
    ['def make_optimizer(model):', ...indent(optimizerLine(recipe))].join('\n'),
    schedulerLines(recipe).join('\n'),
    train.join('\n'),
  ];
  return `${blocks.join('\n\n\n').replace(/\n{4,}/g, '\n\n\n')}\n`;
}
