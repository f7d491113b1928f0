/** Label conventions: merge, the lookup table (binarize -> map -> reduce-zero-label), checks, the --label-map file. */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/errors.js';
import { parseLabelMap } from '../../src/dataset/label-map-file.js';
import {
  applyLabelConvention,
  checkLabelConvention,
  DEFAULT_LABEL_CONVENTION,
  describeLabelReading,
  mapStoredValue,
  mergeLabelConventions,
} from '../../src/dataset/labels.js';
import type { LabelConvention } from '../../src/dataset/types.js';

const convention = (extra: Partial<LabelConvention>): LabelConvention => ({ ...DEFAULT_LABEL_CONVENTION, ...extra });

describe('mergeLabelConventions', () => {
  it('flags win field by field; an explicit null from a flag turns the format\'s off; defaults fill the rest', () => {
    const format: Partial<LabelConvention> = { binarize: { threshold: 127 }, reduceZeroLabel: true, background: null };
    expect(mergeLabelConventions(format, { binarize: null, background: 2 })).toEqual({ binarize: null, labelMap: null, reduceZeroLabel: true, background: 2 });
    expect(mergeLabelConventions(format, undefined)).toEqual({ binarize: { threshold: 127 }, labelMap: null, reduceZeroLabel: true, background: null });
    expect(mergeLabelConventions(undefined, undefined)).toEqual(DEFAULT_LABEL_CONVENTION);
    expect(mergeLabelConventions(null, { reduceZeroLabel: true })).toEqual({ ...DEFAULT_LABEL_CONVENTION, reduceZeroLabel: true });
  });
});

describe('applyLabelConvention', () => {
  it('binarize: above the threshold is 1, the rest 0, 255 included (it is the object in 0/255 masks)', () => {
    const stored = Uint8Array.from([0, 3, 127, 128, 200, 255]);
    const { labels, rejected } = applyLabelConvention(stored, convention({ binarize: { threshold: 127 } }), 255);
    expect([...labels]).toEqual([0, 0, 0, 1, 1, 1]);
    expect(rejected.size).toBe(0);
  });

  it('reduce zero label is MMSegmentation\'s: 0 -> ignore, k -> k - 1, the ignore index stays ignored', () => {
    const stored = Uint8Array.from([0, 1, 2, 7, 150, 255]);
    const { labels } = applyLabelConvention(stored, convention({ reduceZeroLabel: true }), 255);
    // numpy: gt[gt == 0] = 255; gt = gt - 1; gt[gt == 254] = 255
    const reference = [...stored].map((v) => (v === 0 ? 255 : v)).map((v) => (v - 1 === 254 ? 255 : v - 1));
    expect([...labels]).toEqual(reference);
  });

  it('label map: listed values map, others are kept, ignored or rejected (counted for the message)', () => {
    const entries: Array<[number, number | 'ignore']> = [[7, 0], [8, 1], [0, 'ignore']];
    const stored = Uint8Array.from([7, 8, 0, 3, 3, 9]);
    const keep = applyLabelConvention(stored, convention({ labelMap: { source: 'm.json', entries, others: 'keep' } }), 255);
    expect([...keep.labels]).toEqual([0, 1, 255, 3, 3, 9]);
    const ignore = applyLabelConvention(stored, convention({ labelMap: { source: 'm.json', entries, others: 'ignore' } }), 255);
    expect([...ignore.labels]).toEqual([0, 1, 255, 255, 255, 255]);
    const reject = applyLabelConvention(stored, convention({ labelMap: { source: 'm.json', entries, others: 'reject' } }), 255);
    expect([...reject.rejected]).toEqual([[3, 2], [9, 1]]);
  });

  it('the order is binarize, then the map, then reduce-zero-label', () => {
    const c = convention({ binarize: { threshold: 100 }, labelMap: { source: 'm', entries: [[0, 1], [1, 2]], others: 'keep' }, reduceZeroLabel: true });
    // 50 -> 0 -> 1 -> 0;  200 -> 1 -> 2 -> 1
    expect([...applyLabelConvention(Uint8Array.from([50, 200]), c, 255).labels]).toEqual([0, 1]);
    expect(mapStoredValue(200, c, 255)).toBe(1);
  });

  it('16-bit stored values go through a 65536-entry table; ids above 255 give a 16-bit result', () => {
    const stored = Uint16Array.from([0, 1000, 40000, 65535]);
    const mapped = applyLabelConvention(stored, convention({ labelMap: { source: 'm', entries: [[1000, 300], [40000, 2]], others: 'keep' } }), 65535);
    expect(mapped.labels).toBeInstanceOf(Uint16Array);
    expect([...mapped.labels]).toEqual([0, 300, 2, 65535]);
    const small = applyLabelConvention(stored, convention({ binarize: { threshold: 127 } }), 255);
    expect(small.labels).toBeInstanceOf(Uint8Array);
    expect([...small.labels]).toEqual([0, 1, 1, 1]);
  });

  it('one table per convention (speed: npm run bench:labels): the table is built once and reused', async () => {
    const { labelTable } = await import('../../src/dataset/labels.js');
    const c = convention({ reduceZeroLabel: true });
    expect(labelTable(c, 255, 256)).toBe(labelTable(c, 255, 256));
    expect(labelTable(c, 255, 256)).not.toBe(labelTable(c, 0, 256));
    const rejecting = convention({ labelMap: { source: 'm', entries: [[0, 0]], others: 'reject' } });
    expect(applyLabelConvention(Uint8Array.from([0, 0, 0]), rejecting, 255).rejected.size).toBe(0);
  });
});

describe('checkLabelConvention', () => {
  const map = (entries: Array<[number, number | 'ignore']>, others: 'keep' | 'ignore' | 'reject' = 'keep') => convention({ labelMap: { source: 'ids.json', entries, others } });

  it('label-map targets must be class ids or the ignore index; the message names the file', () => {
    expect(() => checkLabelConvention(map([[7, 19]]), { ignoreIndex: 255, numClasses: 19, numClassesSource: 'names.json' })).toThrow(/label map ids\.json: value 7 maps to class 19, but there are 19 classes \(named in names\.json\)/);
    expect(() => checkLabelConvention(map([[7, 300]]), { ignoreIndex: 255, numClasses: null })).toThrow(/ids\.json: value 7 maps to class 300, above the ignore index 255/);
    expect(() => checkLabelConvention(map([[7, 255], [8, 18]]), { ignoreIndex: 255, numClasses: 19 })).not.toThrow();
  });

  it('anything mapped to ignore needs an ignore index', () => {
    expect(() => checkLabelConvention(convention({ reduceZeroLabel: true }), { ignoreIndex: null, numClasses: null })).toThrow(/--reduce-zero-label .* --ignore-index is none/);
    expect(() => checkLabelConvention(map([[0, 'ignore']]), { ignoreIndex: null, numClasses: null })).toThrow(/ids\.json/);
    expect(() => checkLabelConvention(map([[0, 1]], 'ignore'), { ignoreIndex: null, numClasses: null })).toThrow(UserError);
  });

  it('the background must be a class, not the ignore index', () => {
    expect(() => checkLabelConvention(convention({ background: 255 }), { ignoreIndex: 255, numClasses: null })).toThrow(/background class 255 is the ignore index/);
    expect(() => checkLabelConvention(convention({ background: 6 }), { ignoreIndex: 255, numClasses: 6, numClassesSource: '--num-classes' })).toThrow(/background class 6 is not a class: there are 6 classes \(--num-classes\)/);
    expect(() => checkLabelConvention(convention({ background: null }), { ignoreIndex: 255, numClasses: 6 })).not.toThrow();
  });
});

describe('describeLabelReading', () => {
  it('says what changes values, nothing for the default', () => {
    expect(describeLabelReading(DEFAULT_LABEL_CONVENTION, 255)).toEqual([]);
    const lines = describeLabelReading(convention({ binarize: { threshold: 127 }, reduceZeroLabel: true, background: null }), 255);
    expect(lines.join('\n')).toMatch(/above 127 are class 1/);
    expect(lines.join('\n')).toMatch(/reduce zero label: stored 0 is ignored \(255\)/);
    expect(lines.join('\n')).toMatch(/no background class/);
  });
});

describe('--label-map file', () => {
  it('reads stored value -> class id or "ignore", with "default"', () => {
    const map = parseLabelMap('{\n  "7": 0,\n  "8": 1,\n  "0": "ignore",\n  "default": "ignore"\n}\n', 'city.json');
    expect(map).toEqual({ source: 'city.json', entries: [[0, 'ignore'], [7, 0], [8, 1]], others: 'ignore' });
    expect(parseLabelMap('{"1": 0}', 'a.json').others).toBe('keep');
  });

  it('problems name the file and the line, with the shape to write', () => {
    const problem = (text: string): UserError => {
      try {
        parseLabelMap(text, 'm.json');
      } catch (error) {
        return error as UserError;
      }
      throw new Error('no error');
    };
    expect(problem('{\n  "7": 0,\n  "8": "road"\n}').message).toMatch(/label map m\.json \(line 3\): value 8 maps to "road"; it must be a class id/);
    expect(problem('{\n  "7": 0,\n  "sky": 1\n}').message).toMatch(/\(line 3\): key "sky" is not a stored value/);
    expect(problem('{"7": 0, "default": "drop"}').message).toMatch(/"default" is "drop"; it must be "keep", "ignore" or "reject"/);
    expect(problem('{"7": 0, "07": 1}').message).toMatch(/stored value 7 is listed twice/);
    expect(problem('{"7": 0,}').message).toMatch(/m\.json: not valid JSON at line 1/);
    expect(problem('[[7, 0]]').message).toMatch(/expected one JSON object/);
    expect(problem('{"default": "keep"}').message).toMatch(/no stored values listed/);
    expect(problem('{"7": 0,}').fix).toBeDefined();
  });
});
