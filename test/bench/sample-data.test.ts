import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { isKind, writeBenchSample } from '../../bench/sample-data.js';

/** The benches' two-domain datasets (bench/sample-data.ts): what issue 22's folds-vs-split table is measured on. */
describe('bench datasets: mixed (rural + urban tiles) and buildings (the same, 0/255 building masks)', () => {
  const dirs: string[] = [];
  const fresh = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'segloss-bench-sample-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  const maskValues = async (root: string): Promise<{ values: Set<number>; pixels: number[] }> => {
    const values = new Set<number>();
    const pixels: number[] = [];
    for (const file of await readdir(join(root, 'masks'))) {
      const { data } = await sharp(await readFile(join(root, 'masks', file))).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      for (const v of data) {
        values.add(v);
        pixels[v] = (pixels[v] ?? 0) + 1;
      }
    }
    return { values, pixels };
  };

  it('mixed: half the tiles of each domain, prefixed, paired by name, the sample classes; counts are the masks\'', async () => {
    const root = await fresh();
    const counts = await writeBenchSample('mixed', 3, root, { images: 7, size: 64 });
    const images = (await readdir(join(root, 'images'))).sort();
    expect(images.filter((f) => f.startsWith('rural_'))).toHaveLength(4);
    expect(images.filter((f) => f.startsWith('urban_'))).toHaveLength(3);
    expect((await readdir(join(root, 'masks'))).sort()).toEqual(images);
    expect((await readdir(root)).sort()).toEqual(['classes.json', 'images', 'masks']);
    const { pixels } = await maskValues(root);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(7 * 64 * 64);
    counts.forEach((n, c) => expect(pixels[c] ?? 0).toBe(n));
  });

  it('buildings: masks hold only 0 and 255, no classes.json, [background, building] counts', async () => {
    const root = await fresh();
    const counts = await writeBenchSample('buildings', 3, root, { images: 6, size: 64 });
    const { values, pixels } = await maskValues(root);
    expect([...values].sort((a, b) => a - b)).toEqual([0, 255]);
    expect(counts).toEqual([pixels[0], pixels[255]]);
    expect(await readdir(root)).not.toContain('classes.json');
    expect(isKind('buildings') && isKind('mixed') && !isKind('urban')).toBe(true);
  });
});
