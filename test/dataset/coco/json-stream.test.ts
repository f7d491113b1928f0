/** streamJsonObject: elements handed over one at a time, whatever the chunk boundaries. */
import { open, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonStreamError, streamJsonObject } from '../../../src/dataset/coco/json-stream.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segloss-json-stream-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function stream(text: string, chunkBytes: number, maxValueBytes = 1 << 20) {
  const path = join(dir, 'f.json');
  await writeFile(path, text);
  const handle = await open(path);
  const elements: Array<[string, number, unknown, string]> = [];
  const values: Array<[string, unknown]> = [];
  try {
    const keys = await streamJsonObject(handle, Buffer.byteLength(text), {
      arrays: new Set(['a', 'b']),
      maxValueBytes,
      chunkBytes,
      onElement: (key, index, value, offset, length) => elements.push([key, index, value, Buffer.from(text).subarray(offset, offset + length).toString()]),
      onValue: (key, value) => values.push([key, value]),
    });
    return { keys: [...keys], elements, values };
  } finally {
    await handle.close();
  }
}

const SAMPLE = '\ufeff{ "a" : [ {"x": "a]\\"}", "y": [1, [2]]}, 3.5e2 ,"s\\\\" , null],"info":{"k":[1,{"z":"}"}]},"b":[],"n": -1.5e-3 , "t": true, "\u00e9": "\u00fc"}\n';

describe('streamJsonObject', () => {
  it('gives the same elements, offsets and values for every chunk size (values cut anywhere)', async () => {
    const whole = await stream(SAMPLE, 1 << 20);
    expect(whole.keys).toEqual(['a', 'info', 'b', 'n', 't', '\u00e9']);
    expect(whole.elements).toEqual([
      ['a', 0, { x: 'a]"}', y: [1, [2]] }, '{"x": "a]\\"}", "y": [1, [2]]}'],
      ['a', 1, 350, '3.5e2'],
      ['a', 2, 's\\', '"s\\\\"'],
      ['a', 3, null, 'null'],
    ]);
    expect(whole.values).toEqual([['info', { k: [1, { z: '}' }] }], ['n', -1.5e-3], ['t', true], ['\u00e9', '\u00fc']]);
    for (let chunk = 1; chunk <= 17; chunk++) expect(await stream(SAMPLE, chunk)).toEqual(whole);
  });

  it('refuses what is not one JSON object, at the byte where it goes wrong', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{"a": [1 2]}', /expected "," or "\]" after a\[0\] but found "2"/],
      ['{"a": [1,]}', /expected a value but found "\]"/],
      ['{"a" 1}', /expected ":" after the key "a" but found "1"/],
      ['{"a": 1,}', /expected a key in quotes but found "\}"/],
      ['{"a": 1} x', /unexpected "x" after the end of the JSON object/],
      ['{"a": [{"x": 1}', /the file ends before the JSON object is closed/],
      ['{"a": 1, "a": 2}', /the top-level key "a" appears twice/],
      ['{"a": [{"x": tru}]}', /a\[0\] is not valid JSON/],
    ];
    for (const [text, message] of cases) {
      for (const chunk of [3, 1 << 20]) {
        const error = await stream(text, chunk).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(JsonStreamError);
        expect((error as Error).message).toMatch(message);
      }
    }
    const late = (await stream('{"a": [1 2]}', 4).catch((e: unknown) => e)) as JsonStreamError;
    expect(late.offset).toBe(9);
  });

  it('holds no value over the limit', async () => {
    const error = (await stream(`{"a": [${JSON.stringify('x'.repeat(5000))}]}`, 64, 1024).catch((e: unknown) => e)) as JsonStreamError;
    expect(error.message).toMatch(/a\[0\] is over 1.0 kB, more than one value may take/);
  });
});
