import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/errors.js';
import { addDatasetOptions, datasetOptionsFrom } from '../../src/dataset/index.js';

function parse(args: string[]): Record<string, unknown> {
  const command = addDatasetOptions(new Command('x').argument('[dir]').exitOverride().configureOutput({ writeErr: () => undefined }));
  command.parse(args, { from: 'user' });
  return command.opts();
}

describe('shared dataset flags', () => {
  it('defaults: ignore index 255, not strict, ROOT from the argument', () => {
    expect(datasetOptionsFrom(parse(['data']), 'data')).toEqual({ root: 'data', ignoreIndex: 255, strict: false });
  });

  it('every flag', () => {
    const opts = parse(['--images', 'i', '--masks', 'm', '--ignore-index', 'none', '--num-classes', '6', '--classes', 'n.json', '--colormap', 'c.json', '--strict', '--max-pixels', '150M']);
    expect(datasetOptionsFrom(opts)).toEqual({
      imagesDir: 'i',
      masksDir: 'm',
      ignoreIndex: null,
      ignoreIndexGiven: true,
      numClasses: 6,
      classNamesFile: 'n.json',
      colormapFile: 'c.json',
      strict: true,
      maxPixels: 150_000_000,
    });
    expect(datasetOptionsFrom(parse(['--max-pixels', '20000000'])).maxPixels).toBe(20_000_000);
    expect(datasetOptionsFrom(parse(['--max-pixels', '1.5mp'])).maxPixels).toBe(1_500_000);
    expect(datasetOptionsFrom(parse(['--ignore-index', '0'])).ignoreIndex).toBe(0);
  });

  it('label-convention flags fill DatasetOptions.labels; only the fields given', () => {
    expect(datasetOptionsFrom(parse(['--binarize'])).labels).toEqual({ binarize: { threshold: 127 } });
    expect(datasetOptionsFrom(parse(['--binarize', '200'])).labels).toEqual({ binarize: { threshold: 200 } });
    expect(datasetOptionsFrom(parse(['--binarize', 'none'])).labels).toEqual({ binarize: null });
    expect(datasetOptionsFrom(parse(['--reduce-zero-label', '--background', 'none'])).labels).toEqual({ reduceZeroLabel: true, background: null });
    expect(datasetOptionsFrom(parse(['--background', '3'])).labels).toEqual({ background: 3 });
    const withMap = datasetOptionsFrom(parse(['--label-map', 'map.json']));
    expect(withMap.labelMapFile).toBe('map.json');
    expect(withMap.labels).toBeUndefined();
    expect(datasetOptionsFrom(parse(['data']), 'data').ignoreIndexGiven).toBeUndefined();
    expect(datasetOptionsFrom(parse(['--ignore-index', '255'])).ignoreIndexGiven).toBe(true);
  });

  it('bad label-convention values are usage errors that say how to write them', () => {
    for (const args of [['--binarize', 'x'], ['--binarize', '-1'], ['--background', 'sky'], ['--background', '1.5']]) expect(() => parse(args)).toThrow(CommanderError);
    // The optional threshold swallows a following folder: the message says to put DIR first.
    expect(() => parse(['--binarize', './kvasir'])).toThrow(/give DIR before --binarize/);
    expect(() => datasetOptionsFrom({ binarize: 'lots' })).toThrow(/--binarize/);
    expect(() => datasetOptionsFrom({ background: 'sky' })).toThrow(/--background/);
  });

  it('bad numbers are usage errors (exit 2) at parse time and from code', () => {
    for (const args of [['--num-classes', '0'], ['--num-classes', '2.5'], ['--ignore-index', '-1'], ['--ignore-index', 'abc'], ['--max-pixels', '0'], ['--max-pixels', '501M'], ['--max-pixels', '1.5'], ['--max-pixels', 'lots']]) {
      expect(() => parse(args)).toThrow(CommanderError);
    }
    expect(() => datasetOptionsFrom({ numClasses: 'six' })).toThrow(UserError);
    expect(() => datasetOptionsFrom({ ignoreIndex: 70000 })).toThrow(/--ignore-index/);
    expect(() => datasetOptionsFrom({ maxPixels: 'huge' })).toThrow(/--max-pixels/);
  });
});
