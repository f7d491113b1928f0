import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { indexDataset, readDataset } from '../../src/dataset/index.js';
import { generateSample, writeSampleDataset, SAMPLE_CLASS_NAMES } from '../../src/dataset/sample/index.js';
import { articleLayout, balancedLayout, newBudget, ARTICLE_TARGETS, BALANCED_TARGETS, type Layout } from '../../src/dataset/sample/layout.js';
import { Random } from '../../src/dataset/sample/prng.js';
import { renderImage } from '../../src/dataset/sample/render.js';
import { measureLayout } from '../../src/dataset/sample/truth.js';
import { registerSampleCommand } from '../../src/commands/sample.js';
import { tempDir } from './helpers.js';

const CLASSES = SAMPLE_CLASS_NAMES.length;

/** 8-connected components per class by flood fill (independent of the generator's bookkeeping). */
function components(mask: Uint8Array, width: number, height: number): { label: Int32Array; classOf: number[]; areas: number[] } {
  const label = new Int32Array(width * height).fill(-1);
  const classOf: number[] = [];
  const areas: number[] = [];
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (label[start] >= 0) continue;
    const id = classOf.length;
    const c = mask[start];
    classOf.push(c);
    let area = 0;
    label[start] = id;
    stack.push(start);
    while (stack.length > 0) {
      const i = stack.pop()!;
      area++;
      const x = i % width;
      const y = (i - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const j = ny * width + nx;
          if (label[j] < 0 && mask[j] === c) {
            label[j] = id;
            stack.push(j);
          }
        }
      }
    }
    areas.push(area);
  }
  return { label, classOf, areas };
}

function boundaryCount(mask: Uint8Array, width: number, height: number): number {
  let n = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = mask[y * width + x];
      if ((x > 0 && mask[y * width + x - 1] !== c) || (x < width - 1 && mask[y * width + x + 1] !== c) || (y > 0 && mask[(y - 1) * width + x] !== c) || (y < height - 1 && mask[(y + 1) * width + x] !== c)) n++;
    }
  }
  return n;
}

describe('sample truth equals an independent count on the generated masks', () => {
  for (const [seed, size, balanced] of [
    [1, 96, false],
    [7, 160, false],
    [42, 128, false],
    [3, 128, true],
    [11, 200, true],
  ] as const) {
    it(`seed ${seed}, ${size}x${size}${balanced ? ', balanced' : ''}`, () => {
      const { items, truth } = generateSample({ seed, size, images: 6, balanced });
      const pixels = new Array<number>(CLASSES).fill(0);
      const withClass = new Array<number>(CLASSES).fill(0);
      const areas: number[][] = Array.from({ length: CLASSES }, () => []);
      let boundary = 0;
      for (const item of items) {
        const seen = new Array<number>(CLASSES).fill(0);
        for (const v of item.mask) seen[v]++;
        seen.forEach((n, c) => {
          pixels[c] += n;
          if (n > 0) withClass[c]++;
        });
        const cc = components(item.mask, item.width, item.height);
        cc.classOf.forEach((c, k) => c !== 0 && areas[c].push(cc.areas[k]));
        boundary += boundaryCount(item.mask, item.width, item.height);
      }
      const total = 6 * size * size;
      expect(truth.pixelCounts).toEqual(pixels);
      truth.classShares.forEach((share, c) => expect(share).toBe(pixels[c] / total));
      expect(truth.imagesWithClass).toEqual(withClass);
      expect(truth.objectCounts.slice(1)).toEqual(areas.slice(1).map((a) => a.length));
      for (let c = 1; c < CLASSES; c++) expect([...truth.objectAreas[c]].sort((a, b) => a - b)).toEqual(areas[c].sort((a, b) => a - b));
      expect(truth.boundaryPixels).toBe(boundary);
      expect(truth.ambiguousBoundaryPixels! / truth.boundaryPixels).toBe(truth.ambiguousBoundaryShare);
    });
  }
});

/** The ambiguity rule written out plainly over flood-filled components, for one layout. */
function ambiguousByRule(layout: Layout): number {
  const { width, height, mask, objectIds, objects } = layout;
  const cc = components(mask, width, height);
  // Each component is exactly one placed object (or a piece of ground): its object number.
  const objectOf = new Int32Array(cc.classOf.length).fill(-1);
  for (let i = 0; i < mask.length; i++) {
    const component = cc.label[i];
    if (objectOf[component] < 0) objectOf[component] = objectIds[i];
    else if (objectOf[component] !== objectIds[i]) throw new Error(`component ${component} spans two objects`);
  }
  const low = (component: number): boolean => objectOf[component] > 0 && objects[objectOf[component] - 1].lowContrast;
  /** Whether the edge between the components at pixels i and j is low-contrast. */
  const lowEdge = (i: number, j: number): boolean => {
    const a = cc.label[i];
    const b = cc.label[j];
    // The object on top: a building over the ground, a panel over its roof.
    const top = objectOf[a] === 0 ? b : objectOf[b] === 0 ? a : mask[i] === 5 ? a : b;
    return low(top);
  };
  let n = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const c = mask[i];
      if (
        (x > 0 && mask[i - 1] !== c && lowEdge(i, i - 1)) ||
        (x < width - 1 && mask[i + 1] !== c && lowEdge(i, i + 1)) ||
        (y > 0 && mask[i - width] !== c && lowEdge(i, i - width)) ||
        (y < height - 1 && mask[i + width] !== c && lowEdge(i, i + width))
      ) {
        n++;
      }
    }
  }
  return n;
}

describe('ambiguous boundary truth', () => {
  it('matches the rule applied to flood-filled components, and the rendered contrast agrees with it', () => {
    for (const [seed, balanced] of [
      [5, false],
      [6, true],
    ] as const) {
      const random = new Random(seed);
      const budget = newBudget(random, balanced ? BALANCED_TARGETS : ARTICLE_TARGETS, 160, 160);
      let checkedLow = 0;
      let checkedSharp = 0;
      for (let k = 0; k < 6; k++) {
        const layout = (balanced ? balancedLayout : articleLayout)(160, 160, budget, 0.5, new Random(seed * 100 + k));
        const truth = measureLayout(layout, CLASSES);
        expect(truth.ambiguousPixels.reduce((a, b) => a + b, 0)).toBe(ambiguousByRule(layout));

        // Mean luma step across each object's edge, in units of the image's noise sigma.
        const { rgb, info } = renderImage(layout, new Random(seed * 1000 + k), balanced);
        const lumaAt = (i: number): number => 0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2];
        const { width, height, objectIds, objects } = layout;
        // Sum luma on both sides of every edge; the object on top (higher number) owns the edge.
        const sumIn = new Float64Array(objects.length + 1);
        const nIn = new Float64Array(objects.length + 1);
        const sumOut = new Float64Array(objects.length + 1);
        const nOut = new Float64Array(objects.length + 1);
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            const i = y * width + x;
            for (let k = 0; k < 2; k++) {
              const j = k === 0 ? (x + 1 < width ? i + 1 : -1) : y + 1 < height ? i + width : -1;
              if (j < 0 || objectIds[i] === objectIds[j]) continue;
              const [top, under] = objectIds[i] > objectIds[j] ? [i, j] : [j, i];
              const id = objectIds[top];
              sumIn[id] += lumaAt(top);
              nIn[id]++;
              sumOut[id] += lumaAt(under);
              nOut[id]++;
            }
          }
        }
        objects.forEach((o, index) => {
          const id = index + 1;
          if (nIn[id] < 16) return;
          const step = Math.abs(sumIn[id] / nIn[id] - sumOut[id] / nOut[id]) / info.noiseSigma;
          const slack = 3 * Math.sqrt(2 / nIn[id]);
          if (o.lowContrast) {
            expect(step, `low-contrast object ${id}`).toBeLessThan(0.8 + slack);
            checkedLow++;
          } else {
            expect(step, `sharp object ${id}`).toBeGreaterThan(1.8 - slack);
            checkedSharp++;
          }
        });
      }
      expect(checkedLow).toBeGreaterThan(5);
      expect(checkedSharp).toBeGreaterThan(5);
    }
  });

  it('blurredShare 0 gives 0, 1 gives 1, 0.3 gives ~0.3', () => {
    expect(generateSample({ images: 4, size: 128, blurredShare: 0 }).truth.ambiguousBoundaryShare).toBe(0);
    expect(generateSample({ images: 4, size: 128, blurredShare: 1 }).truth.ambiguousBoundaryShare).toBe(1);
    for (const seed of [1, 2]) {
      const share = generateSample({ seed, images: 12, size: 192, blurredShare: 0.3 }).truth.ambiguousBoundaryShare;
      expect(share).toBeGreaterThan(0.22);
      expect(share).toBeLessThan(0.38);
    }
  });
});

describe("the article's setting and the balanced variant", () => {
  it('background ~98.7%, solar panels ~0.03%, object areas spanning > 2 decades, some < 100 px, factories ~10x houses', () => {
    const { truth } = generateSample({ seed: 7, images: 24, size: 256 });
    expect(truth.classShares[0]).toBeGreaterThan(0.982);
    expect(truth.classShares[0]).toBeLessThan(0.991);
    expect(truth.classShares[5]).toBeGreaterThan(0.0002);
    expect(truth.classShares[5]).toBeLessThan(0.0005);
    const all = truth.objectAreas.slice(1).flat();
    expect(Math.log10(Math.max(...all) / Math.min(...all))).toBeGreaterThan(2);
    expect(all.filter((a) => a < 100).length).toBeGreaterThan(all.length / 5);
    const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
    const houses = truth.objectAreas[1].filter((a) => a >= 100);
    expect(median(houses)).toBeGreaterThan(120);
    expect(median(houses)).toBeLessThan(320);
    expect(truth.objectCounts[3]).toBeGreaterThan(0);
    expect(median(truth.objectAreas[3]) / median(houses)).toBeGreaterThan(6);
  });

  it('balanced: ground 28-42%, every class >= 5%', () => {
    for (const seed of [1, 9]) {
      const { truth } = generateSample({ seed, images: 8, size: 256, balanced: true });
      expect(truth.classShares[0]).toBeGreaterThan(0.28);
      expect(truth.classShares[0]).toBeLessThan(0.42);
      for (let c = 1; c < CLASSES; c++) expect(truth.classShares[c], SAMPLE_CLASS_NAMES[c]).toBeGreaterThanOrEqual(0.05);
    }
  });

  it('is deterministic per seed and differs across seeds', () => {
    const a = generateSample({ seed: 3, images: 2, size: 96 });
    const b = generateSample({ seed: 3, images: 2, size: 96 });
    const c = generateSample({ seed: 4, images: 2, size: 96 });
    expect(Buffer.from(a.items[1].image).equals(Buffer.from(b.items[1].image))).toBe(true);
    expect(Buffer.from(a.items[1].mask).equals(Buffer.from(b.items[1].mask))).toBe(true);
    expect(a.truth).toEqual(b.truth);
    expect(Buffer.from(a.items[1].image).equals(Buffer.from(c.items[1].image))).toBe(false);
  });

  it('rejects bad options with a UserError (exit 2)', () => {
    expect(() => generateSample({ size: 8 })).toThrow(/--size must be a whole number in 32\.\.4096/);
    expect(() => generateSample({ blurredShare: 1.5 })).toThrow(/--blurred-share/);
    expect(() => generateSample({ images: 0 })).toThrow(/--images/);
  });
});

describe('writeSampleDataset and `segloss sample`', () => {
  it('writes images/, masks/, classes.json and truth.json that the reader reads back exactly', async () => {
    const { dir, cleanup } = tempDir('segloss-sample-');
    try {
      const truth = await writeSampleDataset(dir, { seed: 5, images: 3, size: 96 });
      const memory = generateSample({ seed: 5, images: 3, size: 96 });
      expect(JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8'))).toEqual(truth);
      expect(truth).toEqual(memory.truth);
      const index = await indexDataset({ root: dir, ignoreIndex: 255, strict: true });
      expect(index.classNames).toEqual([...SAMPLE_CLASS_NAMES]);
      let k = 0;
      for await (const pair of readDataset({ root: dir, ignoreIndex: 255, strict: true })) {
        expect(pair.id).toBe(memory.items[k].id);
        expect(Buffer.from(pair.labels).equals(Buffer.from(memory.items[k].mask))).toBe(true);
        expect(pair.image!.channels).toBe(3);
        expect(Buffer.from(pair.image!.data).equals(Buffer.from(memory.items[k].image))).toBe(true);
        k++;
      }
      expect(k).toBe(3);
    } finally {
      cleanup();
    }
  });

  it('replaces an earlier sample in OUT but never overwrites foreign files', async () => {
    const { dir, cleanup } = tempDir('segloss-sample-again-');
    try {
      await writeSampleDataset(dir, { images: 4, size: 64 });
      await writeSampleDataset(dir, { images: 2, size: 64 });
      expect(readdirSync(join(dir, 'masks'))).toEqual(['tile_0001.png', 'tile_0002.png']);
      writeFileSync(join(dir, 'images', 'holiday.jpg'), 'x');
      await expect(writeSampleDataset(dir, { images: 2, size: 64 })).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('holiday.jpg') });
    } finally {
      cleanup();
    }
  });

  it('the command prints a summary, --json prints truth.json, bad values are usage errors', async () => {
    const { dir, cleanup } = tempDir('segloss-sample-cli-');
    const program = (): Command => {
      const p = new Command('segloss').exitOverride().configureOutput({ writeErr: () => undefined });
      registerSampleCommand(p);
      p.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => undefined }));
      return p;
    };
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await program().parseAsync(['sample', join(dir, 'a'), '--images', '2', '--size', '64', '--seed', '9'], { from: 'user' });
      expect(String(write.mock.calls.at(-1)?.[0])).toMatch(/wrote 2 images \+ masks of 64x64 .*seed 9/);
      write.mockClear();
      await program().parseAsync(['sample', join(dir, 'b'), '--images', '2', '--size', '64', '--json', '--blurred-share', '1', '--balanced'], { from: 'user' });
      const printed = JSON.parse(write.mock.calls.map((c) => String(c[0])).join(''));
      expect(printed).toEqual(JSON.parse(readFileSync(join(dir, 'b', 'truth.json'), 'utf8')));
      expect(printed.options).toMatchObject({ balanced: true, blurredShare: 1 });
      for (const bad of [['--size', '8'], ['--images', 'x'], ['--blurred-share', '-0.1'], ['--seed', '1.5']]) {
        await expect(program().parseAsync(['sample', join(dir, 'c'), ...bad], { from: 'user' })).rejects.toBeInstanceOf(CommanderError);
      }
    } finally {
      write.mockRestore();
      cleanup();
    }
  });
});
