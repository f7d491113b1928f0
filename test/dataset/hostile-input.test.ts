/**
 * Issue 13, hostile input: files that declare huge sizes, decompression bombs, links to devices,
 * FIFOs, broken links, float and signed masks, stacks of slices, ids above the ignore index. Each
 * is skipped with its reason (and the fix) while the good pairs go on; nothing allocates from a
 * size read out of a file before checking it. Every hostile file here is a few bytes to a few kB.
 */
import { execFileSync } from 'node:child_process';
import { symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/errors.js';
import { indexDataset, type DatasetOptions } from '../../src/dataset/index.js';
import { encodePng, PngColorType } from '../../src/dataset/png.js';
import { greyMask, options, pngDeclaring, readAll, rgbImage, tempDir, writeGoodPairs, writeTiff } from './helpers.js';

interface HostileCase {
  name: string;
  /** Writes the hostile files into ROOT and returns the path the problem must name. */
  setup: (root: string) => string | Promise<string>;
  problem: RegExp;
  fix?: RegExp;
  /** What the fix must not say (e.g. the very value that is wrong). */
  fixNot?: RegExp;
  extra?: Partial<DatasetOptions>;
  unavailable?: () => boolean;
}

const maskAt = (root: string, name: string): string => join(root, 'masks', name);
const imageFor = (root: string, id: string): void => writeFileSync(join(root, 'images', `${id}.png`), rgbImage(16, 12));

const hasMkfifo = (): boolean => {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const cases: HostileCase[] = [
  {
    // Item 3: 69 bytes declaring 10^10 pixels; decoding it threw "Invalid typed array length" and ended the run.
    name: 'a PNG mask declaring 100000x100000 (interlaced) in 69 bytes',
    setup: (root) => {
      const png = pngDeclaring(100000, 100000, { interlace: 1 });
      expect(png.length).toBeLessThan(80);
      writeFileSync(maskAt(root, 'huge.png'), png);
      imageFor(root, 'huge');
      return maskAt(root, 'huge.png');
    },
    problem: /the mask is 100000x100000 \(10,000,000,000 px, as its header declares\), over the pixel limit of 100,000,000 px/,
    fix: /tiles/,
  },
  {
    // Item 4: a real bomb, 4000x4000 of zeros in ~16 kB, against a low limit.
    name: 'a decompression bomb above --max-pixels',
    setup: (root) => {
      const png = encodePng({ width: 4000, height: 4000, colorType: PngColorType.Grey, bitDepth: 8, data: new Uint8Array(4000 * 4000), level: 9 });
      expect(png.length).toBeLessThan(40_000);
      writeFileSync(maskAt(root, 'bomb.png'), png);
      imageFor(root, 'bomb');
      return maskAt(root, 'bomb.png');
    },
    extra: { maxPixels: 1_000_000 },
    problem: /4000x4000 .*over the pixel limit of 1,000,000 px per image \(--max-pixels\)/,
    fix: /--max-pixels 16000000/,
  },
  {
    // Item 4, within the limit: the header says 16x12 but the zlib data inflates to 8 MB.
    name: 'a PNG whose image data inflates to far more than its header declares',
    setup: (root) => {
      writeFileSync(maskAt(root, 'overflow.png'), pngDeclaring(16, 12, { raw: new Uint8Array(8_000_000) }));
      imageFor(root, 'overflow');
      return maskAt(root, 'overflow.png');
    },
    problem: /inflates to far more than the 204 bytes a 16x12 image needs/,
  },
  {
    // Item 16: a valid image over the limit is not "corrupt"; the fix names the flag.
    name: 'an image over the pixel limit (PNG, read through sharp)',
    setup: (root) => {
      writeFileSync(maskAt(root, 'big.png'), greyMask(16, 12));
      writeFileSync(join(root, 'images', 'big.png'), rgbImage(20, 12));
      return join(root, 'images', 'big.png');
    },
    extra: { maxPixels: 200 },
    problem: /the image is 20x12 \(240 px, as its header declares\), over the pixel limit of 200 px per image \(--max-pixels\)/,
    fix: /raise the limit with --max-pixels 240 .*or cut the image and its mask into tiles/,
    fixNot: /re-export/,
  },
  {
    name: 'a 20000x20000 PNG image under the default limit is over the pixel limit, not corrupt',
    setup: (root) => {
      writeFileSync(maskAt(root, 'wide.png'), greyMask(16, 12));
      writeFileSync(join(root, 'images', 'wide.png'), pngDeclaring(20000, 20000));
      return join(root, 'images', 'wide.png');
    },
    problem: /the image is 20000x20000 \(400,000,000 px, as its header declares\), over the pixel limit/,
    fix: /--max-pixels 400000000/,
    fixNot: /re-export/,
  },
  {
    name: 'a TIFF mask over the pixel limit',
    setup: (root) => {
      writeFileSync(maskAt(root, 'big.tif'), writeTiff([{ width: 20, height: 12, data: new Uint8Array(240) }]));
      imageFor(root, 'big');
      return maskAt(root, 'big.tif');
    },
    extra: { maxPixels: 200 },
    problem: /the mask is 20x12 .*over the pixel limit of 200 px/,
    fix: /--max-pixels/,
  },
  {
    name: 'a JPEG image over the pixel limit',
    setup: async (root) => {
      writeFileSync(maskAt(root, 'photo.png'), greyMask(16, 12));
      writeFileSync(join(root, 'images', 'photo.jpg'), await sharp(Buffer.alloc(20 * 12 * 3, 90), { raw: { width: 20, height: 12, channels: 3 } }).jpeg().toBuffer());
      return join(root, 'images', 'photo.jpg');
    },
    extra: { maxPixels: 200 },
    problem: /the image is 20x12 .*over the pixel limit of 200 px/,
  },
  {
    // A regular file too large for any image within the limit is not read at all (sparse file: no disk used).
    name: 'a file larger than any image within the pixel limit',
    setup: (root) => {
      const path = maskAt(root, 'giant.png');
      writeFileSync(path, greyMask(16, 12));
      truncateSync(path, 80 * 1024 * 1024); // over 200 px * 16 bytes + 64 MiB
      imageFor(root, 'giant');
      return path;
    },
    extra: { maxPixels: 200 },
    problem: /the mask file is 83\.9 MB, more than any image within the pixel limit of 200 px/,
  },
  {
    // Item 5: a link to /dev/null read as an "empty file"; one to /dev/zero grew to 11 GB.
    name: 'a mask that is a symlink to /dev/null',
    setup: (root) => {
      symlinkSync('/dev/null', maskAt(root, 'null.png'));
      imageFor(root, 'null');
      return maskAt(root, 'null.png');
    },
    problem: /the mask is not a regular file: it is a character device/,
  },
  {
    name: 'a mask that is a symlink to /dev/zero',
    setup: (root) => {
      symlinkSync('/dev/zero', maskAt(root, 'zero.png'));
      imageFor(root, 'zero');
      return maskAt(root, 'zero.png');
    },
    problem: /the mask is not a regular file: it is a character device/,
  },
  {
    name: 'a mask that is a FIFO (no writer: reading it used to hang)',
    setup: (root) => {
      execFileSync('mkfifo', [maskAt(root, 'pipe.png')]);
      imageFor(root, 'pipe');
      return maskAt(root, 'pipe.png');
    },
    problem: /the mask is not a regular file: it is a named pipe \(FIFO\)/,
    unavailable: () => !hasMkfifo(),
  },
  {
    name: 'a dangling symlink',
    setup: (root) => {
      symlinkSync(join(root, 'nowhere.png'), maskAt(root, 'dangling.png'));
      imageFor(root, 'dangling');
      return maskAt(root, 'dangling.png');
    },
    problem: /the mask is a broken link \(points to .*nowhere\.png, which does not exist\)/,
  },
  {
    // Item 9: a 16-bit mask with id 300 under the default ignore index 255.
    name: 'a 16-bit mask with class id 300 above the default ignore index 255',
    setup: (root) => {
      const ids = Uint16Array.from({ length: 192 }, (_, i) => (i < 10 ? 300 : i % 2));
      writeFileSync(maskAt(root, 'id300.png'), encodePng({ width: 16, height: 12, colorType: PngColorType.Grey, bitDepth: 16, data: ids }));
      imageFor(root, 'id300');
      return maskAt(root, 'id300.png');
    },
    problem: /class id 300 \(10 px\) above the ignore index 255: class ids must all be below the ignore index/,
    fix: /--ignore-index 65535/,
    fixNot: /e\.g\. --ignore-index 255\b/,
  },
  {
    name: '--ignore-index 1 on ids 0..2',
    setup: (root) => {
      const ids = Uint8Array.from({ length: 192 }, (_, i) => i % 3);
      writeFileSync(maskAt(root, 'three.png'), encodePng({ width: 16, height: 12, colorType: PngColorType.Grey, bitDepth: 8, data: ids }));
      imageFor(root, 'three');
      return maskAt(root, 'three.png');
    },
    extra: { ignoreIndex: 1 },
    problem: /class id 2 \(64 px\) above the ignore index 1/,
    fix: /--ignore-index 255/,
    fixNot: /--ignore-index 1\b/,
  },
  {
    // Item 10: 0.25 and 0.75 both became class 0, 300.0 was clamped to 255 and ignored.
    name: 'a float32 TIFF mask',
    setup: (root) => {
      const values = Float32Array.from({ length: 192 }, (_, i) => [0.25, 0.75, 300, 1][i % 4]);
      writeFileSync(maskAt(root, 'float.tif'), writeTiff([{ width: 16, height: 12, data: values }]));
      imageFor(root, 'float');
      return maskAt(root, 'float.tif');
    },
    problem: /the mask holds 32-bit floating-point values, not unsigned 8- or 16-bit class ids: reading it would truncate fractions/,
    fix: /np\.uint8/,
  },
  {
    name: 'a signed 16-bit TIFF mask',
    setup: (root) => {
      writeFileSync(maskAt(root, 'signed.tif'), writeTiff([{ width: 16, height: 12, data: Int16Array.from({ length: 192 }, (_, i) => (i % 5) - 1) }]));
      imageFor(root, 'signed');
      return maskAt(root, 'signed.tif');
    },
    problem: /the mask holds signed 16-bit integers/,
  },
  {
    // Item 17: only page 1 of a stack was read, silently.
    name: 'a multi-page TIFF mask (a stack of 3 equal slices)',
    setup: (root) => {
      const page = (v: number) => ({ width: 16, height: 12, data: new Uint8Array(192).fill(v) });
      writeFileSync(maskAt(root, 'stack.tif'), writeTiff([page(0), page(1), page(2)]));
      imageFor(root, 'stack');
      return maskAt(root, 'stack.tif');
    },
    problem: /the mask is a multi-page TIFF with 3 pages of 16x12 \(a stack of slices\)/,
    fix: /save each page as its own file/,
  },
];

describe('hostile input: skipped with the reason, the good pairs go on (issue 13)', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir: root, cleanup } = tempDir('segloss-hostile-'));
    writeGoodPairs(root, 2);
  });
  afterEach(() => cleanup());

  for (const c of cases) {
    it.skipIf(c.unavailable?.() ?? false)(c.name, { timeout: 20_000 }, async () => {
      const file = await c.setup(root);
      const { ids, skipped } = await readAll(options(root, c.extra));
      expect(ids).toEqual(['good_1', 'good_2']);
      const item = skipped.find((s) => s.file === file);
      expect(item, `skipped: ${JSON.stringify(skipped)}`).toBeDefined();
      expect(item!.problem).toMatch(c.problem);
      if (c.fix) expect(item!.fix).toMatch(c.fix);
      if (c.fixNot) expect(item!.fix).not.toMatch(c.fixNot);
      await expect(readAll(options(root, { ...c.extra, strict: true }))).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining(file) });
    });
  }

  it('a pyramid TIFF (smaller overview pages) reads its full-resolution first page', async () => {
    const ids = Uint8Array.from({ length: 192 }, (_, i) => i % 3);
    writeFileSync(maskAt(root, 'pyramid.tif'), writeTiff([{ width: 16, height: 12, data: ids }, { width: 8, height: 6, data: new Uint8Array(48) }]));
    imageFor(root, 'pyramid');
    const { ids: read, skipped } = await readAll(options(root));
    expect(skipped).toEqual([]);
    expect(read).toEqual(['good_1', 'good_2', 'pyramid']);
  });

  it('a link to a regular file is read', async () => {
    writeFileSync(join(root, 'elsewhere.png'), greyMask(16, 12));
    symlinkSync(join(root, 'elsewhere.png'), maskAt(root, 'linked.png'));
    imageFor(root, 'linked');
    const { ids, skipped } = await readAll(options(root));
    expect(skipped).toEqual([]);
    expect(ids).toContain('linked');
  });

  it('an image or mask exactly at the pixel limit is read', async () => {
    const { ids, skipped } = await readAll(options(root, { maxPixels: 192 }));
    expect(skipped).toEqual([]);
    expect(ids).toEqual(['good_1', 'good_2']);
  });
});

describe('class files and the class count (issue 13)', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir: root, cleanup } = tempDir('segloss-hostile-'));
    writeGoodPairs(root, 1);
  });
  afterEach(() => cleanup());

  it('--classes that links to /dev/zero is refused, not read forever', async () => {
    symlinkSync('/dev/zero', join(root, 'names.json'));
    const error = await indexDataset(options(root, { classNamesFile: join(root, 'names.json') })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/names\.json: it is not a regular file: it is a character device/);
  });

  it('--num-classes 301 with ignore index 255: the fix never suggests 255', async () => {
    const error = await indexDataset(options(root, { numClasses: 301 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain('the ignore index 255 is also a class id');
    expect((error as UserError).fix).toContain('e.g. 65535');
    expect((error as UserError).fix).not.toMatch(/\b255\b/);
  });

  it('a bad --max-pixels from code is a usage error', async () => {
    await expect(indexDataset(options(root, { maxPixels: 0 }))).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('pixel limit 0') });
  });
});
