import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../../src/common/errors.js';
import { builtInFormatsDir, loadFormatCatalogue } from '../../../src/dataset/formats/catalogue.js';
import { READERS } from '../../../src/dataset/formats/readers.js';
import { FORMAT_FILE_LIMITS } from '../../../src/dataset/formats/schema.js';
import { parseFormatFile } from '../../../src/dataset/formats/validate.js';
import { runCli } from '../../helpers/run-cli.js';
import { tempDir } from '../helpers.js';

const GOOD = { schema: 'segloss-format/1', name: 'mine', description: 'd', detect: ['a/'], images: 'img', masks: 'lbl' };

function problemOf(json: unknown, file = 'mine.json'): string {
  try {
    parseFormatFile(typeof json === 'string' ? json : JSON.stringify(json, null, 2), file);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(2);
    return (error as UserError).message;
  }
  throw new Error('expected the format file to be refused');
}

describe('format file validation: every problem names the file and the field, exit 2', () => {
  it('accepts the smallest format', () => {
    const spec = parseFormatFile(JSON.stringify(GOOD), 'mine.json');
    expect(spec).toMatchObject({ name: 'mine', images: ['img'], masks: ['lbl'], splits: [], defaultSplit: null, recursive: false, reader: null });
  });

  const cases: Array<[string, unknown, RegExp]> = [
    ['bad JSON: line and column', '{\n  "schema": "segloss-format/1",\n  "name": "x",,\n}', /mine\.json: not valid JSON at line 3, column 15/],
    ['unknown field', { ...GOOD, maskSuffix: ['_m'] }, /mine\.json: "maskSuffix" is not a format field/],
    ['wrong schema', { ...GOOD, schema: 'segloss-rules/1' }, /"schema" must be "segloss-format\/1"/],
    ['name not kebab-case', { ...GOOD, name: 'My Format' }, /"name" must be lower-case/],
    ['wrong type', { ...GOOD, recursive: 'yes' }, /"recursive" must be true or false, got "yes"/],
    ['masks missing', { ...GOOD, masks: undefined }, /"masks" is required/],
    ['path leaving the root', { ...GOOD, masks: '../elsewhere' }, /"masks" must stay inside the dataset root/],
    ['absolute path', { ...GOOD, images: '/data/img' }, /"images" must be relative to the dataset root/],
    ['{split} without splits', { ...GOOD, masks: 'lbl/{split}' }, /"splits" is required when a folder uses \{split\}/],
    ['default split not a split', { ...GOOD, masks: 'lbl/{split}', splits: ['train'], defaultSplit: 'val' }, /"defaultSplit" must be one of the splits \(train\)/],
    ['{split} in a marker', { ...GOOD, detect: ['{split}/'] }, /"detect" cannot use \{split\}/],
    ['bad group regex', { ...GOOD, group: '([a-z' }, /"group" is not a valid regular expression/],
    ['unknown reader', { ...GOOD, reader: 'hdf5' }, /"reader" names no reader segloss has/],
    ['options without a reader', { ...GOOD, options: { a: 1 } }, /"options" only a format with a "reader" takes options/],
    ['label map value', { ...GOOD, labels: { labelMap: { entries: { '7': 'road' }, others: 'ignore' } } }, /"labels\.labelMap\.entries\.7" must be a class id in 0\.\.65535 or "ignore"/],
    ['label map key', { ...GOOD, labels: { labelMap: { entries: { x: 1 } } } }, /key "x" is not a stored value/],
    ['unknown label field', { ...GOOD, labels: { reduce_zero_label: true } }, /"labels\.reduce_zero_label" is not a label convention field/],
    ['binarize shape', { ...GOOD, labels: { binarize: 127 } }, /"labels\.binarize" must be \{"threshold": N\}/],
    ['background type', { ...GOOD, labels: { background: 'none' } }, /"labels\.background" must be a class id or null/],
    ['suffix labels for an unknown suffix', { ...GOOD, maskSuffixes: ['_a'], suffixLabels: { _b: {} } }, /"suffixLabels\._b" is not one of "maskSuffixes" \(_a\)/],
    ['required suffix without suffixes', { ...GOOD, maskSuffixRequired: true }, /"maskSuffixRequired" needs "maskSuffixes"/],
    ['duplicate class names', { ...GOOD, classes: ['bg', 'car', 'bg'] }, /"classes" names "bg" twice/],
    ['ignore index inside the classes', { ...GOOD, classes: ['bg', 'car'], ignoreIndex: 1 }, /"ignoreIndex" 1 is also a class id/],
    ['not an object', '[]', /a format file is a JSON object/],
  ];
  for (const [name, json, problem] of cases) {
    it(name, () => {
      expect(problemOf(json)).toMatch(problem);
    });
  }

  it('lists every problem at once', () => {
    const message = problemOf({ ...GOOD, recursive: 1, ids: 5, splits: 'train' });
    expect(message.split('\n').length).toBeGreaterThanOrEqual(4);
  });

  it('refuses deep nesting and files over the size limit, naming the file', async () => {
    expect(problemOf(`{"options": ${'['.repeat(40)}${']'.repeat(40)}}`)).toContain('nests arrays and objects 41 deep');
    const { dir, cleanup } = tempDir();
    try {
      const big = join(dir, 'big.json');
      writeFileSync(big, `{"description": "${'x'.repeat(FORMAT_FILE_LIMITS.maxBytes)}"}`);
      await expect(loadFormatCatalogue([big])).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining(`format file ${big} is`) });
      await expect(loadFormatCatalogue([join(dir, 'missing.json')])).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('does not exist') });
    } finally {
      cleanup();
    }
  });
});

describe('the built-in catalogue', () => {
  it('loads every file in formats/, each named after its format; readers named exist in READERS', async () => {
    const catalogue = await loadFormatCatalogue();
    const files = readdirSync(builtInFormatsDir()).filter((f) => f.endsWith('.json'));
    expect(catalogue.formats.map((f) => `${f.name}.json`).sort()).toEqual(files.sort());
    for (const name of ['segloss', 'inria', 'whu', 'massachusetts', 'kvasir', 'cityscapes', 'voc', 'loveda', 'ade20k', 'mmseg']) {
      expect(catalogue.formats.map((f) => f.name)).toContain(name);
    }
    for (const format of catalogue.formats) if (format.reader) expect(Object.keys(READERS)).toContain(format.reader);
    // Every format but segloss's own names its classes.
    for (const format of catalogue.formats) if (!['segloss', 'mmseg'].includes(format.name) && !format.reader) expect(format.classes?.length ?? 0).toBeGreaterThan(1);
  });

  it('every built-in file is small and its facts match the published tables', async () => {
    const dir = builtInFormatsDir();
    for (const file of readdirSync(dir)) expect(readFileSync(join(dir, file)).length).toBeLessThan(8 * 1024);
    const { formats } = await loadFormatCatalogue();
    const cityscapes = formats.find((f) => f.name === 'cityscapes')!;
    // cityscapesScripts helpers/labels.py: the 19 evaluated labelIds, in trainId order.
    expect(cityscapes.labels.labelMap!.entries.map(([from]) => from)).toEqual([7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33]);
    expect(cityscapes.labels.labelMap!.entries.map(([, to]) => to)).toEqual(Array.from({ length: 19 }, (_, i) => i));
    expect(formats.find((f) => f.name === 'ade20k')!.classes).toHaveLength(150);
    expect(formats.find((f) => f.name === 'voc')!.classes).toHaveLength(21);
  });
});

describe('segloss formats', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir: root, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('lists the layouts with markers, conventions and the command; --json; --formats adds one; a bad file exits 2', async () => {
    const text = await runCli(['formats', '--no-color']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('cityscapes  Cityscapes (fine annotations)');
    expect(text.stdout).toContain('detects: found leftImg8bit/ and gtFine/');
    expect(text.stdout).toContain('map 7->0, 8->1, 11->2, 12->3, ... (19 values); others ignored; no background class; ignore 255');
    expect(text.stdout).toContain('use: segloss profile DATA   (or --format cityscapes)');
    const file = join(root, 'mine.json');
    writeFileSync(file, JSON.stringify({ ...GOOD, detect: [] }));
    const json = await runCli(['formats', '--json', '--formats', file]);
    expect(json.code).toBe(0);
    const listing = JSON.parse(json.stdout);
    expect(listing.kind).toBe('FormatListing');
    const mine = listing.formats.find((f: { name: string }) => f.name === 'mine');
    expect(mine.command).toBe('segloss profile DATA --format mine');
    writeFileSync(file, '{"schema": "segloss-format/1",');
    const bad = await runCli(['formats', '--formats', file]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${file}: not valid JSON`);
  });
});

describe('docs/formats.md', () => {
  it("the example format file is valid and reads the layout it describes", async () => {
    const doc = readFileSync(new URL('../../../docs/formats.md', import.meta.url), 'utf8');
    const example = /```json\n([\s\S]*?)```/.exec(doc)![1];
    const spec = parseFormatFile(example, 'clinic.json');
    expect(spec).toMatchObject({ name: 'clinic', splits: ['train', 'test'], group: '^(p\\d+)_' });
    const { dir, cleanup } = tempDir();
    try {
      const { indexDataset } = await import('../../../src/dataset/index.js');
      const { put, maskOf } = await import('./trees.js');
      for (const id of ['p1_001', 'p2_001']) {
        put(dir, `train/scans/${id}.png`, maskOf([1]));
        put(dir, `train/labels/${id}_label.png`, maskOf([0, 1]));
      }
      writeFileSync(join(dir, 'clinic.json'), example);
      const index = await indexDataset({ root: dir, ignoreIndex: 255, strict: false, formatFiles: [join(dir, 'clinic.json')] });
      expect(index.format).toEqual({ name: 'clinic', reason: 'found train/scans/ and train/labels/', split: 'train' });
      expect(index.pairs.map((p) => p.group)).toEqual(['p1', 'p2']);
    } finally {
      cleanup();
    }
  });
});
