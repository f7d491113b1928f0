/**
 * `segloss export`: a recipe as a short runnable snippet for the user's own trainer.
 * Targets: `monai` (PyTorch + MONAI losses), `pytorch` (plain torch + segmentation_models_pytorch),
 * `keras` (tf.keras with small custom loss functions).
 */
import { kerasSnippet } from './keras.js';
import type { ExportSource } from './source.js';
import { torchSnippet } from './torch.js';

export const EXPORT_TARGETS = ['pytorch', 'monai', 'keras'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

export function exportSnippet(source: ExportSource, target: ExportTarget): string {
  return target === 'keras' ? kerasSnippet(source) : torchSnippet(source, target);
}

export { loadExportSource, checkRecipe, DEFAULT_IGNORE_INDEX, type ExportSource } from './source.js';
