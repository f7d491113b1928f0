import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/errors.js';
import { indexDataset, type DatasetOptions } from '../../src/dataset/index.js';
import { greyMask, options, readAll, rgbImage, rgbMask, tempDir, writeGoodPairs } from './helpers.js';

interface BadCase {
  name: string;
  /** Writes the bad files into ROOT and returns the path the problem must name. */
  setup: (root: string) => string | Promise<string>;
  problem: RegExp;
  /** What the fix must say, when the case checks it. */
  fix?: RegExp;
  extra?: Partial<DatasetOptions>;
  /** Skip when the environment cannot produce the case. */
  unavailable?: () => boolean;
}

const isRootReadable = (path: string): boolean => {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
};

const cases: BadCase[] = [
  {
    name: 'image without mask',
    setup: (root) => {
      writeFileSync(join(root, 'images', 'lonely.png'), rgbImage(16, 12));
      return join(root, 'images', 'lonely.png');
    },
    problem: /image without mask: no file named lonely\.\*/,
  },
  {
    name: 'mask without image',
    setup: (root) => {
      writeFileSync(join(root, 'masks', 'orphan.png'), greyMask(16, 12));
      return join(root, 'masks', 'orphan.png');
    },
    problem: /mask without image: no file named orphan\.\*/,
  },
  {
    name: 'width/height mismatch between image and mask',
    setup: (root) => {
      writeFileSync(join(root, 'masks', 'wrongsize.png'), greyMask(16, 12));
      writeFileSync(join(root, 'images', 'wrongsize.png'), rgbImage(20, 12));
      return join(root, 'masks', 'wrongsize.png');
    },
    problem: /mask is 16x12 but its image .*wrongsize\.png is 20x12/,
  },
  {
    name: 'truncated PNG mask',
    setup: (root) => {
      const full = greyMask(16, 12);
      writeFileSync(join(root, 'masks', 'cut.png'), full.subarray(0, full.length - 20));
      writeFileSync(join(root, 'images', 'cut.png'), rgbImage(16, 12));
      return join(root, 'masks', 'cut.png');
    },
    problem: /truncated PNG/,
  },
  {
    name: 'corrupt PNG mask (bad CRC)',
    setup: (root) => {
      const bytes = Buffer.from(greyMask(16, 12));
      bytes[45] ^= 0xff; // inside IDAT
      writeFileSync(join(root, 'masks', 'flipped.png'), bytes);
      writeFileSync(join(root, 'images', 'flipped.png'), rgbImage(16, 12));
      return join(root, 'masks', 'flipped.png');
    },
    problem: /corrupt PNG: CRC mismatch in the IDAT chunk/,
  },
  {
    name: 'truncated image',
    setup: async (root) => {
      const jpeg = await sharp(Buffer.from(new Uint8Array(16 * 12 * 3).fill(90)), { raw: { width: 16, height: 12, channels: 3 } }).jpeg().toBuffer();
      writeFileSync(join(root, 'masks', 'halfjpeg.png'), greyMask(16, 12));
      writeFileSync(join(root, 'images', 'halfjpeg.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
      return join(root, 'images', 'halfjpeg.jpg');
    },
    problem: /image is (truncated|corrupt)/,
  },
  {
    name: 'grey JPEG mask (lossy: ids blur along edges)',
    setup: async (root) => {
      const ids = Uint8Array.from({ length: 16 * 12 }, (_, i) => (i % 16 < 8 ? 0 : 5));
      const jpeg = await sharp(Buffer.from(ids), { raw: { width: 16, height: 12, channels: 1 } }).jpeg().toBuffer();
      writeFileSync(join(root, 'masks', 'lossy.jpg'), jpeg);
      writeFileSync(join(root, 'images', 'lossy.png'), rgbImage(16, 12));
      return join(root, 'masks', 'lossy.jpg');
    },
    extra: { numClasses: 6 },
    problem: /the mask is a JPEG: lossy compression changes class ids/,
    fix: /save masks losslessly \(PNG or TIFF\)/,
  },
  {
    name: 'zero-byte mask',
    setup: (root) => {
      writeFileSync(join(root, 'masks', 'empty.png'), new Uint8Array(0));
      writeFileSync(join(root, 'images', 'empty.png'), rgbImage(16, 12));
      return join(root, 'masks', 'empty.png');
    },
    problem: /empty file \(0 bytes\)/,
  },
  {
    name: 'non-image file with a .png extension',
    setup: (root) => {
      writeFileSync(join(root, 'masks', 'notes.png'), 'these are my notes, not a mask\n');
      writeFileSync(join(root, 'images', 'notes.png'), rgbImage(16, 12));
      return join(root, 'masks', 'notes.png');
    },
    problem: /not an image: .*text "these are my not/,
  },
  {
    name: 'RGB mask without --colormap',
    setup: (root) => {
      writeFileSync(join(root, 'masks', 'colour.png'), rgbMask(16, 12, [[0, 0, 0], [255, 0, 0]]));
      writeFileSync(join(root, 'images', 'colour.png'), rgbImage(16, 12));
      return join(root, 'masks', 'colour.png');
    },
    problem: /RGB colour mask .*#ff0000.* but no --colormap was given/,
  },
  {
    name: 'colour not in the colormap',
    setup: (root) => {
      writeFileSync(join(root, 'colors.json'), JSON.stringify({ '0': '#000000', '1': '#ff0000' }));
      // 3 colours cycling over 192 pixels: 64 of them are the unknown green.
      writeFileSync(join(root, 'masks', 'green.png'), rgbMask(16, 12, [[0, 0, 0], [255, 0, 0], [0, 255, 0]]));
      writeFileSync(join(root, 'images', 'green.png'), rgbImage(16, 12));
      return join(root, 'masks', 'green.png');
    },
    extra: { colormapFile: 'colors.json' },
    problem: /1 colour not in the colormap .*colors\.json \(#00ff00 \(rgb 0, 255, 0\): 64 px\)/,
  },
  {
    name: 'class id >= --num-classes',
    setup: (root) => {
      writeFileSync(join(root, 'masks', 'seven.png'), greyMask(16, 12, 7));
      writeFileSync(join(root, 'images', 'seven.png'), rgbImage(16, 12));
      return join(root, 'masks', 'seven.png');
    },
    extra: { numClasses: 3 },
    problem: /class id 7 \(192 px\) out of range: there are 3 classes \(--num-classes\), so ids run 0\.\.2/,
    fix: /raise --num-classes/,
  },
  {
    // "--num-classes is 2 ... raise --num-classes" was wrong here: the user gave no --num-classes,
    // and raising it then fails because the class names file names 2 classes.
    name: 'class id beyond the classes named in ROOT/classes.json',
    setup: (root) => {
      writeFileSync(join(root, 'classes.json'), JSON.stringify(['background', 'roof']));
      writeFileSync(join(root, 'masks', 'seven.png'), greyMask(16, 12, 7));
      writeFileSync(join(root, 'images', 'seven.png'), rgbImage(16, 12));
      return join(root, 'masks', 'seven.png');
    },
    problem: /class id 7 \(192 px\) out of range: there are 2 classes \(named in .*classes\.json\), so ids run 0\.\.1/,
    fix: /add the missing classes to .*classes\.json/,
  },
  {
    name: 'unreadable file (chmod 000)',
    setup: (root) => {
      const path = join(root, 'masks', 'locked.png');
      writeFileSync(path, greyMask(16, 12));
      writeFileSync(join(root, 'images', 'locked.png'), rgbImage(16, 12));
      chmodSync(path, 0o000);
      return path;
    },
    problem: /permission denied/,
    // root reads anything; the directory case below covers unreadable files then.
    unavailable: () => {
      const { dir, cleanup } = tempDir();
      const probe = join(dir, 'probe');
      writeFileSync(probe, 'x');
      chmodSync(probe, 0o000);
      const readable = isRootReadable(probe);
      cleanup();
      return readable;
    },
  },
  {
    name: 'unreadable file (a directory named like a mask)',
    setup: (root) => {
      mkdirSync(join(root, 'masks', 'folder.png'));
      writeFileSync(join(root, 'images', 'folder.png'), rgbImage(16, 12));
      return join(root, 'masks', 'folder.png');
    },
    problem: /the mask is not a regular file: it is a directory/,
  },
  {
    name: 'two masks with one basename',
    setup: (root) => {
      writeFileSync(join(root, 'masks', 'twin.png'), greyMask(16, 12));
      writeFileSync(join(root, 'masks', 'twin.tif'), greyMask(16, 12));
      writeFileSync(join(root, 'images', 'twin.png'), rgbImage(16, 12));
      return join(root, 'masks', 'twin.png');
    },
    problem: /2 mask files share the basename "twin"/,
  },
];

describe('bad input: each problem names the file, good pairs still come through, --strict exits 2', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir: root, cleanup } = tempDir());
    writeGoodPairs(root, 2);
  });
  afterEach(() => cleanup());

  for (const c of cases) {
    it.skipIf(c.unavailable?.() ?? false)(c.name, async () => {
      const file = await c.setup(root);
      const extra = { ...c.extra };
      if (extra.colormapFile) extra.colormapFile = join(root, extra.colormapFile);
      const { ids, skipped } = await readAll(options(root, extra));
      expect(ids).toEqual(['good_1', 'good_2']);
      const item = skipped.find((s) => s.file === file);
      expect(item, `skipped: ${JSON.stringify(skipped)}`).toBeDefined();
      expect(item!.problem).toMatch(c.problem);
      expect(item!.fix.length).toBeGreaterThan(10);
      if (c.fix) expect(item!.fix).toMatch(c.fix);

      const strict = readAll(options(root, { ...extra, strict: true }));
      await expect(strict).rejects.toBeInstanceOf(UserError);
      await expect(strict).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining(file) });
    });
  }
});

describe('bad folders and class files: UserError, exit 2, naming the path and the fix', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir: root, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('missing dataset folder', async () => {
    const missing = join(root, 'nope');
    await expect(indexDataset(options(missing))).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining(`${missing} does not exist`) });
  });

  it('missing --masks folder', async () => {
    await expect(indexDataset({ masksDir: join(root, 'gone'), ignoreIndex: 255, strict: false })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('masks folder'),
    });
  });

  it('--images and --masks naming one folder', async () => {
    writeGoodPairs(root, 1);
    await expect(indexDataset({ masksDir: join(root, 'masks'), imagesDir: join(root, 'masks'), ignoreIndex: 255, strict: false })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('the same folder'),
    });
  });

  it('empty masks folder', async () => {
    mkdirSync(join(root, 'masks'));
    mkdirSync(join(root, 'images'));
    writeFileSync(join(root, 'masks', 'readme.txt'), 'nothing here');
    const error = await indexDataset(options(root)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(2);
    expect((error as UserError).message).toContain(`no mask files in ${join(root, 'masks')}`);
    expect((error as UserError).fix).toBeTruthy();
  });

  it('empty dataset root', async () => {
    await expect(indexDataset(options(root))).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining(`no masks found in ${root}`) });
  });

  it('no mask has an image', async () => {
    writeGoodPairs(root, 0);
    writeFileSync(join(root, 'masks', 'a.png'), greyMask(4, 4));
    writeFileSync(join(root, 'images', 'b.png'), rgbImage(4, 4));
    await expect(indexDataset(options(root))).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('has a matching image') });
  });

  const classFiles: Array<[string, string, string, RegExp]> = [
    ['classNamesFile', 'names.json', '{"0": "background", ', /not valid JSON/],
    ['classNamesFile', 'names.json', '{"0": "background", "2": "roof"}', /ids must run 0\.\.1 without gaps; 1 is missing/],
    ['classNamesFile', 'names.json', '["background", 3]', /name of class 1 is not a non-empty string/],
    ['classNamesFile', 'names.json', '42', /expected an array or an object/],
    ['colormapFile', 'colors.json', '[{"id": 0, "color": "#00000"}]', /colour "#00000" of class 0 is not "#rrggbb"/],
    ['colormapFile', 'colors.json', '{"0": "#000000", "1": "#000000"}', /colour #000000 .* is given to both class 0 and class 1/],
    ['colormapFile', 'colors.json', '{"0": [0, 0, 300]}', /not \[r, g, b\] with 0-255 values/],
    ['colormapFile', 'colors.json', '{"x": "#000000"}', /class id "x" is not a whole number/],
    ['colormapFile', 'colors.json', 'not json', /not valid JSON/],
  ];
  for (const [key, name, content, problem] of classFiles) {
    it(`bad ${name}: ${content}`, async () => {
      writeGoodPairs(root, 1);
      const file = join(root, name);
      writeFileSync(file, content);
      const error = await indexDataset(options(root, { [key]: file })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).exitCode).toBe(2);
      expect((error as UserError).message).toContain(file);
      expect((error as UserError).message).toMatch(problem);
      expect((error as UserError).fix).toMatch(/write it as/);
    });
  }

  it('missing class names file', async () => {
    writeGoodPairs(root, 1);
    await expect(indexDataset(options(root, { classNamesFile: join(root, 'nope.json') }))).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('does not exist'),
    });
  });

  it('--num-classes disagreeing with the class names, and an ignore index that is a class id', async () => {
    writeGoodPairs(root, 1);
    writeFileSync(join(root, 'names.json'), '["a", "b", "c"]');
    await expect(indexDataset(options(root, { classNamesFile: join(root, 'names.json'), numClasses: 4 }))).rejects.toMatchObject({ exitCode: 2 });
    await expect(indexDataset(options(root, { numClasses: 4, ignoreIndex: 2 }))).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining('ignore index 2 is also a class id'),
    });
  });
});
