/** The dataset flags shared by profile, recommend and verify. */
import { Command, InvalidArgumentError } from 'commander';
import { UserError } from '../common/errors.js';
import { parseBands } from './bands.js';
import { DEFAULT_MAX_PIXELS, MAX_PIXELS_CEILING, parseMaxPixels } from './limits.js';
import type { DatasetOptions } from './types.js';

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

/** Adds --images --masks --ignore-index --num-classes --classes --colormap --strict --max-pixels to a command. */
export function addDatasetOptions(command: Command): Command {
  return command
    .option('--images <dir>', 'images folder (default: the layout\'s, e.g. ROOT/images); "none" = masks only')
    .option('--masks <dir>', 'label masks folder (default: the layout\'s, e.g. ROOT/masks)')
    .option('--ignore-index <n>', 'label value left out of every count and loss, or "none"', parseIgnoreIndex, DEFAULT_IGNORE_INDEX)
    .option('--num-classes <n>', 'number of classes (default: from --classes/--colormap, else the largest id in the masks + 1)', parseNumClasses)
    .option('--classes <file>', 'JSON class names: ["background", "roof", ...] or {"0": "background", ...}, or an nnU-Net dataset.json (its "labels")')
    .option('--colormap <file>', 'JSON colour -> class id map for RGB masks: {"0": "#000000", "1": "#ff0000", ...}')
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
    if (typeof value !== 'string' || value.trim() === '') throw new UserError(`--${key} needs a path`, { fix: `pass --${key} PATH` });
    return value;
  };
  const ignore = opts.ignoreIndex;
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
  Object.assign(options, formatOptionsFrom(opts));
  return options;
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
