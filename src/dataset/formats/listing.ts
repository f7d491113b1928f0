/**
 * `segloss formats`: the dataset layouts in force, each with what detects it, where its images
 * and masks are, its label convention and the command to read it. Text and JSON.
 */
import type { LabelConvention } from '../types.js';
import type { FormatCatalogue } from './catalogue.js';
import { markerText } from './detect.js';
import type { FormatSpec } from './schema.js';

export interface FormatListing {
  kind: 'FormatListing';
  files: string[];
  overrides: FormatCatalogue['overrides'];
  formats: Array<FormatSpec & { detectText: string; labelsText: string; command: string }>;
}

/** A label convention in words: "labelIds 7->0, 8->1, ... (19 entries), others ignored; no background". */
export function describeLabels(labels: Partial<LabelConvention>, ignoreIndex?: number | null): string {
  const parts: string[] = [];
  if (labels.binarize) parts.push(`values above ${labels.binarize.threshold} -> 1, the rest 0`);
  if (labels.labelMap) {
    const { entries, others } = labels.labelMap;
    const shown = entries.slice(0, 4).map(([from, to]) => `${from}->${to}`).join(', ');
    parts.push(`map ${shown}${entries.length > 4 ? `, ... (${entries.length} values)` : ''}; others ${others === 'ignore' ? 'ignored' : 'kept'}`);
  }
  if (labels.reduceZeroLabel) parts.push('reduce zero label (0 ignored, k -> k-1)');
  if (labels.background === null) parts.push('no background class');
  else if (labels.background !== undefined && labels.background !== 0) parts.push(`background is class ${labels.background}`);
  if (ignoreIndex !== undefined) parts.push(ignoreIndex === null ? 'no ignore index' : `ignore ${ignoreIndex}`);
  return parts.length ? parts.join('; ') : 'ids as stored';
}

function command(format: FormatSpec): string {
  return format.detect.length > 0 ? 'segloss profile DATA' : `segloss profile DATA --format ${format.name}`;
}

function labelsText(format: FormatSpec): string {
  const main = describeLabels(format.labels, format.ignoreIndex);
  const bySuffix = Object.entries(format.suffixLabels).map(([suffix, labels]) => `*${suffix}: ${describeLabels({ ...format.labels, ...labels })}`);
  return bySuffix.length ? `${bySuffix.join(' | ')} | else ${main}` : main;
}

export function formatListing(catalogue: FormatCatalogue): FormatListing {
  return {
    kind: 'FormatListing',
    files: catalogue.files,
    overrides: catalogue.overrides,
    formats: catalogue.formats.map((format) => ({
      ...format,
      detectText: format.detect.length ? markerText(format) : 'never detected: choose with --format',
      labelsText: labelsText(format),
      command: command(format),
    })),
  };
}

function folderLine(format: FormatSpec): string {
  if (format.reader !== null) return `read by the ${format.reader} reader`;
  const deep = format.recursive ? '/**' : '';
  const images = format.images.length ? format.images.map((f) => `${f}${deep}`).join(', ') : 'none (masks only)';
  const suffix = format.maskSuffixRequired ? ` (*${format.maskSuffixes.join(', else *')})` : '';
  return `images ${images}; masks ${format.masks.map((f) => `${f}${deep}`).join(', ')}${suffix}${format.ids ? `; ids from ${format.ids}` : ''}`;
}

export function formatFormatsText(listing: FormatListing, options: { color: boolean }): string {
  const bold = (text: string) => (options.color ? `\u001b[1m${text}\u001b[0m` : text);
  const dim = (text: string) => (options.color ? `\u001b[2m${text}\u001b[0m` : text);
  const out = [`${bold('Dataset formats')} ${dim(`(detected from the folder; --format NAME chooses; files: ${listing.files.length})`)}`, ''];
  for (const format of listing.formats) {
    out.push(`${bold(format.name)}  ${format.title}  ${dim(format.file)}`);
    out.push(`  ${format.description}`);
    out.push(`  ${dim('detects:')} ${format.detectText}`);
    out.push(`  ${dim('files:')} ${folderLine(format)}`);
    if (format.splits.length) out.push(`  ${dim('splits:')} ${format.splits.map((s) => (s === format.defaultSplit ? `${s} (default)` : s)).join(', ')}`);
    out.push(`  ${dim('labels:')} ${format.labelsText}`);
    if (format.classes) {
      const shown = format.classes.slice(0, 8).join(', ');
      out.push(`  ${dim('classes:')} ${format.classes.length} (${shown}${format.classes.length > 8 ? ', ...' : ''})`);
    }
    if (format.group) out.push(`  ${dim('groups:')} ${format.groupMeaning ?? 'group'} = first capture of ${format.group}`);
    out.push(`  ${dim('use:')} ${format.command}${format.detect.length ? `   (or --format ${format.name})` : ''}`);
    out.push('');
  }
  for (const o of listing.overrides) out.push(dim(`format ${o.name} from ${o.replaced} is replaced by ${o.by}`));
  return `${out.join('\n').trimEnd()}\n`;
}
