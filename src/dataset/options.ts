/** The dataset flags shared by profile, recommend and verify. */
import { Command, InvalidArgumentError } from 'commander';
import { UserError } from '../common/errors.js';
import { parseBands } from './band-option.js';
import { DEFAULT_MAX_PIXELS, MAX_PIXELS_CEILING, parseMaxPixels } from './limits.js';
import { DEFAULT_BINARIZE_THRESHOLD } from './labels.js';
import type { DatasetOptions, LabelConvention } from './types.js';

export const DEFAULT_IGNORE_INDEX = 255;

/** A class id, or 'none' (commander cannot store null from a parser, so 'none' stays a string). */
function parseIgnoreIndex(value: string): number | 'none' {
  if (value.trim().toLowerCase() === 'none') return 'none';
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError(`expected a class id in 0..65535 or "none", got "${value}"`);
  }
  return n;
}

function parseNumClasses(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new InvalidArgumentError(`expected a whole number of classes in 1..65535, got "${value}"`);
  }
  return n;
}

/** --background: a class id, or 'none' (no class is background). */
function parseBackground(value: string): number | 'none' {
  if (value.trim().toLowerCase() === 'none') return 'none';
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError(`expected the background's class id in 0..65535 or "none", got "${value}"`);
  }
  return n;
}

/**
 * --binarize [THRESHOLD]: a threshold, or 'none' (turns binarizing off, a format's and the 0/255
 * reading's too). The value is optional, so commander takes the next word when it is not a flag:
 * the message says how to put the dataset folder first.
 */
function parseBinarize(value: string): number | 'none' {
  if (value.trim().toLowerCase() === 'none') return 'none';
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65534) {
    throw new InvalidArgumentError(`expected a threshold in 0..65534 or "none", got "${value}" (give DIR before --binarize, or write --binarize ${DEFAULT_BINARIZE_THRESHOLD})`);
  }
  return n;
}

/** Adds the dataset flags (folders, ignore index, classes, colormap, label conventions, --strict, --max-pixels) to a command. */
export function addDatasetOptions(command: Command): Command {
  return command
    .option('--images <dir>', 'images folder (default: the layout\'s, e.g. ROOT/images); "none" = masks only')
    .option('--masks <dir>', 'label masks folder (default: the layout\'s, e.g. ROOT/masks)')
    // No commander default: whether it was given matters (an explicit 255 keeps 0/255 masks' 255 ignored).
    .option('--ignore-index <n>', `label value left out of every count and loss, or "none" (default ${DEFAULT_IGNORE_INDEX})`, parseIgnoreIndex)
    .option('--num-classes <n>', 'number of classes (default: from --classes/--colormap, else the largest id in the masks + 1)', parseNumClasses)
    .option('--classes <file>', 'JSON class names: ["background", "roof", ...] or {"0": "background", ...}, or an nnU-Net dataset.json (its "labels")')
    .option('--colormap <file>', 'JSON colour -> class id map for RGB masks: {"0": "#000000", "1": "#ff0000", ...}')
    .option('--label-map <file>', 'JSON stored value -> class id or "ignore", e.g. Cityscapes labelIds: {"7": 0, "8": 1, ..., "default": "ignore"} (see docs/labels.md)')
    .option('--reduce-zero-label', 'stored 0 is ignored and every other id k is class k - 1 (ADE20K, LoveDA; MMSegmentation\'s reduce_zero_label)')
    .option('--background <id>', 'the background class id (default 0), or "none" when every class is foreground (Cityscapes, ADE20K)', parseBackground)
    .option(
      '--binarize [threshold]',
      `read black-and-white masks: stored values above THRESHOLD (default ${DEFAULT_BINARIZE_THRESHOLD}) are class 1, the rest 0 (JPEG masks such as Kvasir-SEG's); "none" keeps stored values (no 0/255 reading)`,
      parseBinarize,
    )
    .option('--strict', 'stop with exit code 2 at the first bad or unpaired file instead of skipping it')
    .option(
      '--max-pixels <n>',
      `largest width x height decoded per image or mask (width x height x depth voxels per NIfTI volume), checked from the file header before decoding; larger files are skipped with the reason (default ${DEFAULT_MAX_PIXELS / 1e6}M = ${DEFAULT_MAX_PIXELS}, at most ${MAX_PIXELS_CEILING / 1e6}M; "150M" = 150 megapixels)`,
      parseMaxPixels,
    )
    .option('--bands <list>', 'image bands to measure and train on, 1-based, in this order (e.g. 4,3,2 of a multi-band GeoTIFF; default: every band)', parseBands)
    // Dataset layouts (src/dataset/formats/, `segloss formats`).
    .option('--format <name>', 'read the dataset as this layout instead of detecting it (segloss formats lists them)')
    .option('--formats <file>', 'add or replace dataset layouts from a format file (repeatable; later files win)', collectFormatFiles)
    .option('--split <name>', "the layout's split to read (default: its training split)")
    .option('--group <regex>', "pairs whose ids share the first capture group (else the match) stay on one side of verify's split");
}

function collectFormatFiles(value: string, previous: string[] | undefined): string[] {
  if ((previous?.length ?? 0) >= 32) throw new InvalidArgumentError('at most 32 format files');
  return [...(previous ?? []), value];
}

/**
 * DatasetOptions from parsed commander options (and the command's dataset argument, if any).
 * Values are checked again here so programmatic callers get the same errors as the CLI.
 */
export function datasetOptionsFrom(opts: Record<string, unknown>, positionalDir?: string): DatasetOptions {
  const text = (key: string): string | undefined => {
    const value = opts[key];
    if (value === undefined || value === null || value === false) return undefined;
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (typeof value !== 'string' || value.trim() === '') throw new UserError(`${flag} needs a path`, { fix: `pass ${flag} PATH` });
    return value;
  };
  const ignore = opts.ignoreIndex;
  const ignoreIndexGiven = ignore !== undefined;
  let ignoreIndex: number | null;
  if (ignore === undefined) ignoreIndex = DEFAULT_IGNORE_INDEX;
  else if (ignore === null) ignoreIndex = null;
  else {
    try {
      const parsed = parseIgnoreIndex(String(ignore));
      ignoreIndex = parsed === 'none' ? null : parsed;
    } catch (error) {
      throw new UserError(`--ignore-index: ${(error as Error).message}`, { fix: 'for example --ignore-index 255, or --ignore-index none' });
    }
  }
  let numClasses: number | undefined;
  if (opts.numClasses !== undefined && opts.numClasses !== null) {
    try {
      numClasses = parseNumClasses(String(opts.numClasses));
    } catch (error) {
      throw new UserError(`--num-classes: ${(error as Error).message}`, { fix: 'for example --num-classes 6' });
    }
  }
  const options: DatasetOptions = { ignoreIndex, strict: Boolean(opts.strict) };
  if (ignoreIndexGiven) options.ignoreIndexGiven = true;
  if (opts.maxPixels !== undefined && opts.maxPixels !== null) {
    try {
      options.maxPixels = parseMaxPixels(String(opts.maxPixels));
    } catch (error) {
      throw new UserError(`--max-pixels: ${(error as Error).message}`, { fix: `for example --max-pixels ${DEFAULT_MAX_PIXELS}` });
    }
  }
  if (opts.bands !== undefined && opts.bands !== null) {
    try {
      options.bands = Array.isArray(opts.bands) ? parseBands(opts.bands.join(',')) : parseBands(String(opts.bands));
    } catch (error) {
      throw new UserError(`--bands: ${(error as Error).message}`, { fix: 'for example --bands 4,3,2 (band numbers start at 1)' });
    }
  }
  if (positionalDir !== undefined) options.root = positionalDir;
  const images = text('images');
  const masks = text('masks');
  const classes = text('classes');
  const colormap = text('colormap');
  // "none" is documented as masks only; a folder really named none is ./none.
  if (images) options.imagesDir = images.trim().toLowerCase() === 'none' ? null : images;
  if (masks) options.masksDir = masks;
  if (numClasses !== undefined) options.numClasses = numClasses;
  if (classes) options.classNamesFile = classes;
  if (colormap) options.colormapFile = colormap;
  const labelMap = text('labelMap');
  if (labelMap) options.labelMapFile = labelMap;
  const labels = labelFlagsFrom(opts);
  if (Object.keys(labels).length > 0) options.labels = labels;
  Object.assign(options, formatOptionsFrom(opts));
  return options;
}

/** The label-convention fields the flags set (absent = not given, so a format's own stands). */
function labelFlagsFrom(opts: Record<string, unknown>): Partial<LabelConvention> {
  const labels: Partial<LabelConvention> = {};
  const checked = <T>(flag: string, parse: (value: string) => T, example: string): T => {
    try {
      return parse(String(opts[flag]));
    } catch (error) {
      throw new UserError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${(error as Error).message}`, { fix: `for example ${example}` });
    }
  };
  if (opts.binarize !== undefined && opts.binarize !== false) {
    const threshold = opts.binarize === true ? DEFAULT_BINARIZE_THRESHOLD : checked('binarize', parseBinarize, `--binarize ${DEFAULT_BINARIZE_THRESHOLD}`);
    labels.binarize = threshold === 'none' ? null : { threshold };
  }
  if (opts.reduceZeroLabel) labels.reduceZeroLabel = true;
  if (opts.background !== undefined && opts.background !== null) {
    const background = checked('background', parseBackground, '--background 0, or --background none');
    labels.background = background === 'none' ? null : background;
  }
  return labels;
}

/** --format, --formats, --split, --group as DatasetOptions fields (each checked for a value). */
function formatOptionsFrom(opts: Record<string, unknown>): Pick<DatasetOptions, 'format' | 'formatFiles' | 'split' | 'groupPattern'> {
  const out: Pick<DatasetOptions, 'format' | 'formatFiles' | 'split' | 'groupPattern'> = {};
  const value = (key: string, what: string): string | undefined => {
    const v = opts[key];
    if (v === undefined || v === null || v === false) return undefined;
    if (typeof v !== 'string' || v.trim() === '') throw new UserError(`--${key} needs ${what}`, { fix: `pass --${key} ${what.toUpperCase().replace(/^AN? /, '')}` });
    return v;
  };
  const format = value('format', 'a name');
  const split = value('split', 'a name');
  const group = value('group', 'a regex');
  if (format) out.format = format.trim();
  if (split) out.split = split.trim();
  if (group) out.groupPattern = group;
  if (Array.isArray(opts.formats) && opts.formats.length > 0) out.formatFiles = opts.formats.map(String);
  return out;
}
