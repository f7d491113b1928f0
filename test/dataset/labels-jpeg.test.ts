/**
 * Kvasir-SEG-like masks: JPEG, 3 channels, 0/255 plus compression noise at the edges. Refused
 * with a message naming --binarize; read exactly with it; the same noise re-saved as PNG gets a
 * headline warning instead of a silent many-class profile.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodePng, PngColorType } from '../../src/dataset/png.js';
import { profileDataset } from '../../src/profiler/index.js';
import { formatProfileText } from '../../src/report/profile-text.js';
import { runCli } from '../helpers/run-cli.js';
import { options, rgbImage, tempDir } from './helpers.js';

const W = 64;
const H = 48;

/** A polyp-like ellipse of 255 on 0, as 3-channel RGB samples. */
function polypRgb(k: number): Buffer {
  const rgb = Buffer.alloc(W * H * 3);
  const cx = 20 + 3 * k;
  const cy = 22 + (k % 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const inside = ((x - cx) / (12 + k)) ** 2 + ((y - cy) / (9 + (k % 3))) ** 2 <= 1;
      rgb.fill(inside ? 255 : 0, 3 * (y * W + x), 3 * (y * W + x) + 3);
    }
  }
  return rgb;
}

async function jpegMask(k: number): Promise<Buffer> {
  return sharp(polypRgb(k), { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 75 }).toBuffer();
}

/** What a user gets with cv2.imread(path, 0) > 127: the thresholded truth of one JPEG mask. */
async function thresholdedTruth(jpeg: Buffer): Promise<number> {
  const { data } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  let ones = 0;
  for (let i = 0; i < W * H; i++) if (Math.round(0.299 * data[3 * i] + 0.587 * data[3 * i + 1] + 0.114 * data[3 * i + 2]) > 127) ones++;
  return ones;
}

describe('JPEG masks (Kvasir-SEG)', () => {
  let root: string;
  let cleanup: () => void;
  const jpegs: Buffer[] = [];
  beforeEach(async () => {
    ({ dir: root, cleanup } = tempDir('segloss-jpeg-'));
    mkdirSync(join(root, 'images'));
    mkdirSync(join(root, 'masks'));
    jpegs.length = 0;
    for (let k = 0; k < 6; k++) {
      const jpeg = await jpegMask(k);
      jpegs.push(jpeg);
      writeFileSync(join(root, 'masks', `cju${k}.jpg`), jpeg);
      writeFileSync(join(root, 'images', `cju${k}.png`), rgbImage(W, H, 30 * k));
    }
  });
  afterEach(() => cleanup());

  it('the JPEG really carries compression noise (the test would be empty otherwise)', async () => {
    const { data } = await sharp(jpegs[0]).raw().toBuffer({ resolveWithObject: true });
    expect([...data].some((v) => v > 0 && v < 255)).toBe(true);
  });

  it('without --binarize every mask is refused and the message names --binarize', async () => {
    const result = await runCli(['profile', root, '--no-color']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/the mask is a JPEG/);
    expect(result.stderr).toMatch(/--binarize/);
  });

  it('with --binarize the masks are read exactly as thresholding at 127 reads them', async () => {
    const result = await runCli(['profile', root, '--binarize', '--json']);
    expect(result.code).toBe(0);
    const profile = JSON.parse(result.stdout);
    let ones = 0;
    for (const jpeg of jpegs) ones += await thresholdedTruth(jpeg);
    expect(profile.aggregates.numClasses).toBe(2);
    expect(profile.dataset.pairsProfiled).toBe(6);
    expect(profile.classes[1].pixelCount).toBe(ones);
    expect(profile.classes[0].pixelCount).toBe(6 * W * H - ones);
    // The noise stays far from 127: thresholding recovers the drawn ellipses.
    let drawn = 0;
    for (let k = 0; k < 6; k++) {
      const rgb = polypRgb(k);
      for (let i = 0; i < W * H; i++) if (rgb[3 * i] === 255) drawn++;
    }
    expect(Math.abs(ones - drawn) / drawn).toBeLessThan(0.01);
    expect(profile.dataset.labelNotes.join(' ')).toMatch(/binarized: stored values above 127/);
  });

  it('re-saved as PNG, the noise gets a headline warning naming --binarize, not a silent many-class profile', async () => {
    for (let k = 0; k < 6; k++) {
      const { data } = await sharp(jpegs[k]).greyscale().raw().toBuffer({ resolveWithObject: true });
      writeFileSync(join(root, 'masks', `cju${k}.png`), encodePng({ width: W, height: H, colorType: PngColorType.Grey, bitDepth: 8, data: new Uint8Array(data) }));
      rmSync(join(root, 'masks', `cju${k}.jpg`));
    }
    const profile = await profileDataset({ ...options(root), workers: 0 });
    expect(profile.aggregates.numClasses).toBeGreaterThan(3);
    const text = formatProfileText(profile, { color: false });
    const headline = text.slice(0, text.indexOf('Class imbalance'));
    expect(headline).toMatch(/warning: these ids look like compression noise, not classes: \d+ rare ids between 0 and 255/);
    expect(headline).toMatch(/--binarize/);
    // ... and --binarize reads them as two classes.
    const binarized = await profileDataset({ ...options(root), workers: 0, labels: { binarize: { threshold: 127 } } });
    expect(binarized.aggregates.numClasses).toBe(2);
    expect(formatProfileText(binarized, { color: false })).not.toMatch(/compression noise/);
  });

  it('a TIFF with JPEG compression is named as lossy too (not as unknown class ids), and LZW TIFFs are not', async () => {
    for (let k = 0; k < 6; k++) {
      rmSync(join(root, 'masks', `cju${k}.jpg`));
      const grey = sharp(polypRgb(k), { raw: { width: W, height: H, channels: 3 } }).greyscale();
      writeFileSync(join(root, 'masks', `cju${k}.tif`), await grey.clone().tiff({ compression: k < 3 ? 'jpeg' : 'lzw' }).toBuffer());
    }
    const { tiffCompression } = await import('../../src/dataset/tiff-compression.js');
    const { readFileSync } = await import('node:fs');
    expect(tiffCompression(readFileSync(join(root, 'masks', 'cju0.tif')))).toBe(7);
    expect(tiffCompression(readFileSync(join(root, 'masks', 'cju3.tif')))).toBe(5);
    const result = await runCli(['profile', root, '--no-color', '--json']);
    expect(result.code).toBe(0); // the LZW half profiles
    const profile = JSON.parse(result.stdout);
    expect(profile.dataset.pairsProfiled).toBe(3);
    const skipped = JSON.stringify(profile.dataset.skipped ?? profile.dataset);
    expect(skipped).toMatch(/cju0\.tif/);
    expect(skipped).toMatch(/a TIFF with JPEG compression: lossy compression changes class ids/);
    expect(skipped).toMatch(/--binarize/);
    expect(skipped).toMatch(/TIFF with LZW or Deflate compression/);
  });
});
