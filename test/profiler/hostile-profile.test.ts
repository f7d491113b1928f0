/**
 * Issue 13 at the profile / recommend level: one hostile mask among good pairs does not end the
 * run (in worker threads too); all-ignored and one-class masks have nothing to recommend (exit 2,
 * and the profile text says so); sparse 16-bit ids list only the ids in use and warn when they look
 * like instance ids; when every pair is bad the error lists the reasons.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/errors.js';
import { encodePng, PngColorType } from '../../src/dataset/png.js';
import { classIdWarnings, DEFAULT_BOUNDARY_OPTIONS, nothingToRecommend, ProfileAccumulator, measureMask, profileDataset, type ProfileOptions } from '../../src/profiler/index.js';
import { formatProfileText } from '../../src/report/profile-text.js';
import { profileOutput } from '../../src/ui/render.js';
import { greyMask, pngDeclaring, rgbImage, tempDir, writeGoodPairs } from '../dataset/helpers.js';
import { runCli } from '../helpers/run-cli.js';

const optionsFor = (root: string, extra: Partial<ProfileOptions> = {}): ProfileOptions => ({ root, ignoreIndex: 255, strict: false, workers: 0, ...extra });

const run = runCli;

function writeMasks(root: string, masks: Array<[string, Buffer]>): void {
  mkdirSync(join(root, 'masks'), { recursive: true });
  mkdirSync(join(root, 'images'), { recursive: true });
  for (const [name, png] of masks) {
    writeFileSync(join(root, 'masks', `${name}.png`), png);
    writeFileSync(join(root, 'images', `${name}.png`), rgbImage(16, 12));
  }
}

describe('profile and recommend on hostile datasets (issue 13)', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir: root, cleanup } = tempDir('segloss-hostile-profile-')));
  afterEach(() => cleanup());

  it('item 3: a 100000x100000 mask among 10 good pairs is skipped in worker threads; the profile goes on (exit 0)', { timeout: 60_000 }, async () => {
    writeGoodPairs(root, 10);
    writeFileSync(join(root, 'masks', 'huge.png'), pngDeclaring(100000, 100000, { interlace: 1 }));
    writeFileSync(join(root, 'images', 'huge.png'), rgbImage(16, 12));
    const result = await run(['profile', root, '--json', '--workers', '2']);
    expect(result.code).toBe(0);
    const profile = JSON.parse(result.stdout);
    expect(profile.aggregates.imagesProfiled).toBe(10);
    expect(profile.dataset.skipped).toHaveLength(1);
    expect(profile.dataset.skipped[0].problem).toMatch(/over the pixel limit/);
  });

  it('--max-pixels reaches the decoder from the CLI (profile) and is listed in --help', async () => {
    writeGoodPairs(root, 2);
    writeFileSync(join(root, 'masks', 'wide.png'), greyMask(20, 12));
    writeFileSync(join(root, 'images', 'wide.png'), rgbImage(20, 12));
    const result = await run(['profile', root, '--json', '--workers', '0', '--max-pixels', '200']);
    expect(result.code).toBe(0);
    const profile = JSON.parse(result.stdout);
    expect(profile.dataset.skipped.map((s: { problem: string }) => s.problem).join('\n')).toMatch(/20x12 .*over the pixel limit of 200 px/);
    for (const command of ['profile', 'recommend', 'verify']) {
      const help = await run([command, '--help']);
      expect(help.stdout).toMatch(/--max-pixels <n>.*default 100M/s);
    }
    expect((await run(['profile', root, '--max-pixels', '0'])).code).toBe(2);
    expect((await run(['recommend', '--profile', join(root, 'p.json'), '--max-pixels', '10M'])).stderr).toContain('--max-pixels');
  });

  it('item 13: all-ignored masks: profile text says there is nothing to recommend; recommend exits 2 with the reason', async () => {
    writeMasks(root, [['a', greyMask(16, 12, 255)], ['b', greyMask(16, 12, 255)]]);
    const profile = await profileDataset(optionsFor(root));
    const text = formatProfileText(profile, { color: false });
    expect(text).not.toMatch(/foreground 100%/);
    expect(text).toMatch(/nothing to recommend: every mask pixel is the ignore index 255/);
    const view = profileOutput(profile, { color: false, interactive: true, columns: 100 });
    expect(view.replace(/\s+/g, ' ')).toMatch(/nothing to recommend: every mask pixel is the ignore index 255/);
    expect(profile.aggregates.foregroundShare).toBe(0);
    const result = await run(['recommend', root, '--no-color']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/every mask pixel is the ignore index 255 .*nothing to recommend/);
    // Masks holding only 255 are not read as 0/255 masks (all-void as likely as all-object): the fix names --binarize.
    expect(result.stderr).toMatch(/fix: .*--binarize/);
    expect(result.stderr).not.toMatch(/--ignore-index none/);
    expect(result.stdout).toBe('');
  });

  it('item 13: one-class masks (0/255 read with an explicit --ignore-index 255): recommend exits 2, also from a profile.json', async () => {
    const half = (w: number, h: number): Buffer => encodePng({ width: w, height: h, colorType: PngColorType.Grey, bitDepth: 8, data: Uint8Array.from({ length: w * h }, (_, i) => (i % w < w / 2 ? 0 : 255)) });
    writeMasks(root, [['a', half(16, 12)], ['b', half(16, 12)]]);
    const out = join(root, 'out');
    // Without the flag 0/255 masks are background/foreground (test/dataset/labels-binary.test.ts); the explicit flag keeps 255 ignored.
    const profiled = await run(['profile', root, '--ignore-index', '255', '--out', out, '--no-color']);
    expect(profiled.code).toBe(0);
    expect(profiled.stdout).toMatch(/nothing to recommend: the masks hold one class only \(id 0/);
    const fromDir = await run(['recommend', root, '--ignore-index', '255']);
    expect(fromDir.code).toBe(2);
    expect(fromDir.stderr).toMatch(/one class only .*nothing to recommend/);
    const fromFile = await run(['recommend', '--profile', join(out, 'profile.json')]);
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toMatch(/fix: if 255 marks your objects .*--binarize/);
  });

  it('item 11: sparse 16-bit ids up to 60000 list only ids in use, keep a small profile, and warn about instance-like ids', { timeout: 60_000 }, async () => {
    // 40 masks, each with 2 instances numbered from a running counter: ids are unique blobs.
    const masks: Array<[string, Buffer]> = [];
    let next = 1;
    for (let k = 0; k < 40; k++) {
      const ids = new Uint16Array(16 * 12);
      for (let i = 0; i < ids.length; i++) {
        const x = i % 16;
        const y = Math.floor(i / 16);
        if (y >= 2 && y < 6 && x >= 2 && x < 6) ids[i] = next;
        if (y >= 7 && y < 10 && x >= 9 && x < 14) ids[i] = next + 1;
      }
      next += 2;
      if (k === 39) ids[0] = 60000;
      masks.push([`m${k}`, encodePng({ width: 16, height: 12, colorType: PngColorType.Grey, bitDepth: 16, data: ids })]);
    }
    writeMasks(root, masks);
    const result = await run(['profile', root, '--json', '--workers', '0', '--ignore-index', 'none']);
    expect(result.code).toBe(0);
    const profile = JSON.parse(result.stdout);
    expect(profile.aggregates.numClasses).toBe(60001);
    expect(profile.classes).toHaveLength(82); // background + 80 instances + id 60000
    expect(result.stdout.length).toBeLessThan(2_000_000);
    const text = formatProfileText(profile, { color: false });
    expect(text).toMatch(/class ids run up to 60000 but only 82 of them occur; the 59,919 ids that never occur are not listed/);
    expect(text).toMatch(/these look like instance ids, not class ids/);
    expect(profileOutput(profile, { color: false, interactive: true, columns: 100 }).replace(/\s+/g, ' ')).toMatch(/these look like instance ids/);
    expect(text.split('\n').length).toBeLessThan(200);
  });

  it('--workers is bounded (1000 threads would each hold an image): exit 2 from the CLI and from code', async () => {
    writeGoodPairs(root, 2);
    const cli = await run(['profile', root, '--workers', '1000']);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/--workers/);
    await expect(profileDataset(optionsFor(root, { workers: 1000 }))).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('0..64') });
  });

  it('item 11: 40 real classes with several regions per image are not called instance ids', async () => {
    const acc = new ProfileAccumulator();
    for (let k = 0; k < 3; k++) {
      const labels = new Uint8Array(80 * 80);
      // Class c (1..40) in two separate 3x3 squares per image.
      for (let c = 1; c <= 40; c++) {
        for (const [x0, y0] of [[((c - 1) % 10) * 8, Math.floor((c - 1) / 10) * 8], [((c - 1) % 10) * 8, 40 + Math.floor((c - 1) / 10) * 8]]) {
          for (let y = y0; y < y0 + 3; y++) labels.fill(c, y * 80 + x0, y * 80 + x0 + 3);
        }
      }
      acc.add(measureMask({ id: String(k), width: 80, height: 80, labels, image: null }, { ignoreIndex: 255, numClasses: null }));
    }
    const profile = acc.toProfile({ root: null, imagesDir: null, masksDir: 'm', hasImages: false, pairsFound: 3, ignoreIndex: 255, classNames: null, numClasses: null, skipped: [], sample: null, boundary: DEFAULT_BOUNDARY_OPTIONS }, 0);
    expect(profile.classes).toHaveLength(41);
    expect(classIdWarnings(profile)).toEqual([]);
    expect(nothingToRecommend(profile)).toBeNull();
  });

  it('every pair bad: the exit-2 error lists each file with its reason', async () => {
    writeMasks(root, [['a', Buffer.from('not a png')], ['b', Buffer.alloc(0)]]);
    const error = await profileDataset(optionsFor(root)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(2);
    expect((error as UserError).message).toMatch(/none of the 2 pairs .* could be read:\n  .*a\.png: not an image.*\n    fix: .*\n  .*b\.png: the mask is an empty file/s);
  });

  it('every pair bad, many of them: the first 10 reasons, then a count', async () => {
    writeMasks(root, Array.from({ length: 13 }, (_, k): [string, Buffer] => [`bad${k}`, Buffer.alloc(0)]));
    const error = (await profileDataset(optionsFor(root)).catch((e: unknown) => e)) as UserError;
    expect(error.message.match(/empty file/g)).toHaveLength(10);
    expect(error.message).toContain('and 3 more problems');
  });
});
