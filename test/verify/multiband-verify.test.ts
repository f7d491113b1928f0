/**
 * `segloss verify` on 4-band GeoTIFF-style images: the U-Net takes one input channel per band (on
 * the wasm engine, and on torch when a Python with torch is found), --bands chooses them,
 * verification.json records what was trained and export writes it, overlays show an RGB view;
 * images with different band counts stop with the files named.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerificationReport } from '../../src/contracts/verification.js';
import { findTorchPython } from '../../src/engine/torch/python.js';
import { createRng } from '../../src/verify/random.js';
import { runCli } from '../helpers/run-cli.js';
import { writeBandTiff } from '../helpers/multiband.js';
import { recommendationFor, satelliteRecipe } from './fixtures.js';

let dir: string;
let recFile: string;
const tiny = ['--steps', '3', '--crop', '32', '--batch', '2', '--candidates', 'recommended,ce', '--threads', '1'];

/** 12 tiles of 4 bands, uint16: the objects (classes 1, 2) show in band 4 (NIR) only. */
async function writeTiles(root: string, bands = 4, count = 12): Promise<void> {
  await mkdir(join(root, 'images'), { recursive: true });
  await mkdir(join(root, 'masks'), { recursive: true });
  const rng = createRng(9);
  const size = 32;
  for (let k = 0; k < count; k++) {
    const mask = new Uint8Array(size * size);
    const image = new Uint16Array(size * size * bands);
    const x0 = rng.int(12);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let c = x >= x0 && x < x0 + 14 && y >= 8 && y < 22 ? 1 : 0;
        if (k % 3 === 0 && x >= 26 && x < 29 && y >= 26 && y < 29) c = 2;
        mask[y * size + x] = c;
        for (let b = 0; b < bands; b++) image[(y * size + x) * bands + b] = 800 + 100 * b + rng.int(120) + (b === 3 ? [0, 1500, 2800][c] : 0);
      }
    }
    await writeFile(join(root, 'images', `tile_${k}.tif`), writeBandTiff(size, size, bands, image));
    await sharp(mask, { raw: { width: size, height: size, channels: 1 } }).png().toFile(join(root, 'masks', `tile_${k}.png`));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segloss-verify-bands-'));
  await writeTiles(join(dir, 'data'));
  recFile = join(dir, 'recommendation.json');
  await writeFile(recFile, JSON.stringify(recommendationFor(satelliteRecipe({ optimizer: { name: 'adam', lr: 3e-3, weightDecay: 0, momentum: null, nesterov: false } }), 3)));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function report(out: string): Promise<VerificationReport> {
  return JSON.parse(await readFile(join(out, 'verification.json'), 'utf8')) as VerificationReport;
}

describe('verify on multi-band images', () => {
  it('trains with every band as an input channel (wasm), records it, and export writes IN_CHANNELS', async () => {
    const out = join(dir, 'out-all');
    const r = await runCli(['verify', join(dir, 'data'), '--recommendation', recFile, ...tiny, '--backend', 'wasm', '--out', out]);
    expect(r.stderr).not.toMatch(/Error:/);
    expect(r.code).toBe(0);
    const v = await report(out);
    expect(v.settings.inputChannels).toBe(4);
    expect(v.settings.bands).toBeNull();
    expect(v.candidates.every((c) => c.status === 'ok' && c.stepsDone === 3)).toBe(true);
    // The overlays show an RGB view (bands 1-3) of the 4-band images.
    const overlay = v.candidates[0].overlays[0];
    expect(existsSync(overlay)).toBe(true);
    expect((await sharp(overlay).metadata()).channels).toBe(3);
    expect(existsSync(join(out, 'pictures', 'contact-sheet.png'))).toBe(true);
    const exported = await runCli(['export', join(out, 'verification.json'), '--to', 'pytorch']);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('IN_CHANNELS = 4  # model input channels, one per image band segloss read: every band of 4-band images');
  });

  it('--bands 4,3,2 trains on three chosen bands, in that order', async () => {
    const out = join(dir, 'out-chosen');
    const r = await runCli(['verify', join(dir, 'data'), '--recommendation', recFile, ...tiny, '--backend', 'wasm', '--bands', '4,3,2', '--out', out]);
    expect(r.code).toBe(0);
    const v = await report(out);
    expect(v.settings.inputChannels).toBe(3);
    expect(v.settings.bands).toEqual([4, 3, 2]);
    const exported = await runCli(['export', join(out, 'verification.json'), '--to', 'keras']);
    expect(exported.stdout).toContain('IN_CHANNELS = 3  # model input channels, one per image band segloss read: image bands 4, 3, 2 in this order (--bands)');
  });

  it('recommend records the band count and --bands of the profile, and export writes them; bad values are refused', async () => {
    const out = join(dir, 'rec-out');
    const r = await runCli(['recommend', join(dir, 'data'), '--bands', '4,2', '--out', out]);
    expect(r.code).toBe(0);
    const rec = JSON.parse(await readFile(join(out, 'recommendation.json'), 'utf8'));
    expect(rec.input.inputChannels).toBe(2);
    expect(rec.input.bands).toEqual([4, 2]);
    const exported = await runCli(['export', join(out, 'recommendation.json'), '--to', 'monai']);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('IN_CHANNELS = 2  # model input channels, one per image band segloss read: image bands 4, 2 in this order (--bands)');
    // The snippet still parses as Python (python3 is on every machine the tests run on).
    execFileSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: exported.stdout });
    // Values that reach generated code are checked: a string is refused, never pasted.
    const bad = join(dir, 'bad-recommendation.json');
    await writeFile(bad, JSON.stringify({ ...rec, input: { ...rec.input, inputChannels: '2\nimport os' } }));
    const refused = await runCli(['export', bad, '--to', 'pytorch']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/input\.inputChannels must be a whole number from 1 to 64/);
  });

  it('a band the images lack, or images with different band counts, stop with exit 2 naming the files', async () => {
    const r = await runCli(['verify', join(dir, 'data'), '--recommendation', recFile, ...tiny, '--bands', '1,5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tile_0\.tif: --bands 1,5 asks for band 5, but the image has 4 bands/);
    expect(r.stderr).toMatch(/choose bands from 1 to 4/);

    const mixed = join(dir, 'mixed');
    await writeTiles(mixed, 4, 6);
    const five = join(dir, 'five');
    await writeTiles(five, 5, 2);
    for (const sub of ['images', 'masks']) {
      for (let k = 0; k < 2; k++) {
        const ext = sub === 'images' ? 'tif' : 'png';
        await writeFile(join(mixed, sub, `extra_${k}.${ext}`), await readFile(join(five, sub, `tile_${k}.${ext}`)));
      }
    }
    const m = await runCli(['verify', mixed, '--recommendation', recFile, ...tiny]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/the images have different band counts \(.*tile_0\.tif has 4 bands, .*extra_0\.tif has 5 bands\)/s);
    expect(m.stderr).toMatch(/--bands/);
  });

  it('trains 4 input channels on torch too (skipped without a Python with torch)', async (context) => {
    try {
      await findTorchPython();
    } catch (error) {
      context.skip(`no torch: ${(error as Error).message}`);
    }
    const out = join(dir, 'out-torch');
    const r = await runCli(['verify', join(dir, 'data'), '--recommendation', recFile, ...tiny, '--backend', 'torch', '--out', out]);
    expect(r.stderr).not.toMatch(/Error:/);
    expect(r.code).toBe(0);
    const v = await report(out);
    expect(v.backend.name).toBe('torch');
    expect(v.settings.inputChannels).toBe(4);
    expect(v.candidates.every((c) => c.status === 'ok' && c.stepsDone === 3)).toBe(true);
  }, 60_000);
});
