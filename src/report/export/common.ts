/** Parts shared by every export target: the header docstring and the schedule in words. */
import type { Recipe } from '../../contracts/recommendation.js';
import { SEGLOSS_VERSION } from '../../common/version.js';
import { describeLoss, describeOptimizer, describeSchedule } from '../recipe-summary.js';
import { formatPercent } from '../../ui/format.js';
import type { ExportSource } from './source.js';
import { pyCommentText, pyDocText, pyFloat, pyInt, pyValue } from './python.js';

export function scheduleComment(recipe: Recipe): string {
  const s = recipe.schedule;
  const warmup = s.warmupFraction > 0 ? `Linear warm-up from lr/W to lr over W = round(${formatPercent(s.warmupFraction)} of steps), then ` : '';
  const decay = s.name === 'constant' ? 'constant lr.' : s.name === 'cosine' ? 'cosine decay to lr * MIN_LR_FACTOR.' : `poly decay (power ${s.power ?? 0.9}) to lr * MIN_LR_FACTOR.`;
  return `${warmup}${warmup ? decay : decay.charAt(0).toUpperCase() + decay.slice(1)}`;
}

/** A Python docstring naming the recipe, where it came from, the target and how to use it. */
export function snippetHeader(source: ExportSource, target: string, usage: string[]): string {
  const r = source.recipe;
  // Ids, titles, file names and notes come from the input file: every line is escaped so that
  // none can end the docstring or carry a control character into the file.
  const lines = [
    `segloss recipe "${r.id}": ${r.title}.`,
    '',
    `Exported by segloss ${SEGLOSS_VERSION} from ${source.provenance}, for ${target}.`,
    `Loss: ${describeLoss(r.loss)}.`,
    `Optimiser: ${describeOptimizer(r.optimizer)}; schedule: ${describeSchedule(r.schedule)}; gradient clipping: ${r.gradientClipNorm === null ? 'none' : `global norm ${r.gradientClipNorm}`}.`,
  ];
  if (r.rareClassOversampling > 0) {
    lines.push(`Sampling: segloss centred ${formatPercent(r.rareClassOversampling)} of training crops on a rare-class pixel; do the same in your data loader (like nnU-Net's oversample_foreground_percent).`);
  }
  for (const note of source.notes) lines.push(`Note: ${note}.`);
  lines.push('', ...usage);
  return `"""${lines.map(pyDocText).join('\n')}\n"""`;
}

/** IN_CHANNELS, when the file records it (verification.json: what verify trained; recommendation.json: what the profile read): the model's input, one channel per image band. */
function inputChannelsLine(source: ExportSource): string[] {
  if (source.inputChannels === undefined || source.inputChannels === null) return [];
  const which = source.bands ? `image bands ${source.bands.join(', ')} in this order (--bands)` : source.inputChannels === 1 ? 'grey images' : source.inputChannels === 3 ? 'RGB images' : `every band of ${source.inputChannels}-band images`;
  return [`IN_CHANNELS = ${pyInt(source.inputChannels)}  # model input channels, one per image band segloss read: ${pyCommentText(which)} (samples as 0..255, see segloss docs/multiband.md)`];
}

/**
 * The module constants every target starts with. Every value is a checked literal (pyInt,
 * pyValue) and every comment's text goes through pyCommentText: class names, the class-weight
 * method and formula come from the input file.
 */
export function constantLines(source: ExportSource, target: { noIgnoreValue: number; noIgnoreWhy: string; weights: (literal: string) => string }): string[] {
  const { recipe } = source;
  const scale = recipe.scaleAware;
  const names = source.classNames ? `  # ${pyCommentText(source.classNames.join(', '))}` : '';
  return [
    source.numClasses === null ? 'NUM_CLASSES = None  # set to your number of classes' : `NUM_CLASSES = ${pyInt(source.numClasses)}${names}`,
    ...inputChannelsLine(source),
    source.ignoreIndex === null
      ? `IGNORE_INDEX = ${pyInt(target.noIgnoreValue)}  # ${target.noIgnoreWhy}`
      : `IGNORE_INDEX = ${pyInt(source.ignoreIndex)}  # mask value left out of every loss term`,
    recipe.classWeights
      ? `CLASS_WEIGHTS = ${target.weights(pyValue(recipe.classWeights.values))}  # ${pyCommentText(`${recipe.classWeights.method}: ${recipe.classWeights.formula}`)} (weights the CE terms)`
      : 'CLASS_WEIGHTS = None  # the recipe uses no class weights',
    ...(recipe.schedule.name !== 'constant' ? [`MIN_LR_FACTOR = ${pyFloat(recipe.schedule.minLrFactor)}  # the schedule ends at lr * MIN_LR_FACTOR`] : []),
    ...(scale ? [`BIN_EDGES = ${pyValue(scale.binEdges)}  # object-area bin edges in px`, `BIN_WEIGHTS = ${pyValue(scale.binWeights)}  # one weight per bin, smallest-area bin first`] : []),
  ];
}
