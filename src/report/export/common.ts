/** Parts shared by every export target: the header docstring and the schedule in words. */
import type { Recipe } from '../../contracts/recommendation.js';
import { SEGLOSS_VERSION } from '../../common/version.js';
import { describeLoss, describeOptimizer, describeSchedule } from '../recipe-summary.js';
import { formatPercent } from '../../ui/format.js';
import type { ExportSource } from './source.js';

export function scheduleComment(recipe: Recipe): string {
  const s = recipe.schedule;
  const warmup = s.warmupFraction > 0 ? `Linear warm-up from lr/W to lr over W = round(${formatPercent(s.warmupFraction)} of steps), then ` : '';
  const decay = s.name === 'constant' ? 'constant lr.' : s.name === 'cosine' ? 'cosine decay to lr * MIN_LR_FACTOR.' : `poly decay (power ${s.power ?? 0.9}) to lr * MIN_LR_FACTOR.`;
  return `${warmup}${warmup ? decay : decay.charAt(0).toUpperCase() + decay.slice(1)}`;
}

/** A Python docstring naming the recipe, where it came from, the target and how to use it. */
export function snippetHeader(source: ExportSource, target: string, usage: string[]): string {
  const r = source.recipe;
  const lines = [
    `"""segloss recipe "${r.id}": ${r.title}.`,
    '',
    `Exported by segloss ${SEGLOSS_VERSION} from ${source.provenance}, for ${target}.`,
    `Loss: ${describeLoss(r.loss)}.`,
    `Optimiser: ${describeOptimizer(r.optimizer)}; schedule: ${describeSchedule(r.schedule)}; gradient clipping: ${r.gradientClipNorm === null ? 'none' : `global norm ${r.gradientClipNorm}`}.`,
  ];
  if (r.rareClassOversampling > 0) {
    lines.push(`Sampling: segloss centred ${formatPercent(r.rareClassOversampling)} of training crops on a rare-class pixel; do the same in your data loader (like nnU-Net's oversample_foreground_percent).`);
  }
  for (const note of source.notes) lines.push(`Note: ${note}.`);
  lines.push('', ...usage, '"""');
  return lines.join('\n');
}
