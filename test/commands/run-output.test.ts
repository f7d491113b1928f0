/**
 * Issue 13, smaller items: Ctrl-C, stdout errors, --out folders, atomic writes, and two runs
 * into one --out (overlays and contracts of different runs never mix).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { INTERRUPTED_EXIT_CODE, sigintHandler } from '../../src/common/interrupt.js';
import { prepareOutputFile, prepareOutputFolder, removeEmptyCreatedFolders, watchStdout, writeFileAtomic, writeOutputFile } from '../../src/common/output.js';
import { writeReport } from '../../src/report/write-report.js';
import type { VerifyImage } from '../../src/verify/data.js';
import { createOverlayWriter } from '../../src/verify/overlays.js';
import { buildProfile } from '../rules/profile-builder.js';
import { recommendationFixture } from '../fixtures/ui/contracts.js';

const temp = () => mkdtempSync(join(tmpdir(), 'segloss-run-output-'));

describe('Ctrl-C', () => {
  it('exits 130 (what npx reports too), once training runs only on the second Ctrl-C', () => {
    const exit = vi.fn();
    const controller = new AbortController();
    const handler = sigintHandler(controller, { canFinishGracefully: () => true, exit, write: () => {} });
    handler();
    expect(controller.signal.aborted).toBe(true);
    expect(exit).not.toHaveBeenCalled();
    handler();
    expect(exit).toHaveBeenCalledWith(INTERRUPTED_EXIT_CODE);
    expect(INTERRUPTED_EXIT_CODE).toBe(130);
  });

  it('before anything can be finished (profiling, loading) the first Ctrl-C stops at once', () => {
    // Before: verify profiled on for 20.7 s after Ctrl-C, then wrote nothing anyway.
    const exit = vi.fn();
    const writes: string[] = [];
    sigintHandler(new AbortController(), { canFinishGracefully: () => false, exit, write: (t) => writes.push(t) })();
    expect(exit).toHaveBeenCalledWith(130);
    expect(writes.join('')).toContain('nothing was finished yet');
  });
});

describe('stdout write errors', () => {
  it('are remembered (EPIPE aside, which calls the broken-pipe exit)', async () => {
    const stream = new PassThrough();
    const brokenPipe = vi.fn();
    const watch = watchStdout(stream, brokenPipe);
    stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(brokenPipe).toHaveBeenCalledOnce();
    expect(await watch.failure()).toBeNull();
    stream.emit('error', Object.assign(new Error('no space'), { code: 'ENOSPC' }));
    expect((await watch.failure())?.code).toBe('ENOSPC');
    watch.stop();
  });
});

describe('--out folders', () => {
  it('a file in the parent chain is named; nothing is created', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'file'), 'x');
    await expect(prepareOutputFolder(join(dir, 'file', 'a', 'b'))).rejects.toThrow(`--out ${join(dir, 'file', 'a', 'b')} cannot be created: ${join(dir, 'file')} is a file, not a folder`);
    expect(readdirSync(dir)).toEqual(['file']);
  });

  it('created folders are removed while empty, kept once something is in them; no probe file stays', async () => {
    const dir = temp();
    await prepareOutputFolder(join(dir, 'a', 'b'));
    await prepareOutputFolder(join(dir, 'c'));
    writeFileSync(join(dir, 'c', 'result.json'), '{}');
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual([]);
    removeEmptyCreatedFolders();
    expect(readdirSync(dir)).toEqual(['c']);
    expect(readdirSync(join(dir, 'c'))).toEqual(['result.json']);
  });

  it('export --out: a folder or a device is refused as the file; a link is followed', async () => {
    const dir = temp();
    await expect(prepareOutputFile(dir)).rejects.toThrow(`--out ${dir} is a folder`);
    // Renaming a temp file over /dev/full would have replaced the device node.
    await expect(prepareOutputFile('/dev/full')).rejects.toThrow('--out /dev/full is not a regular file (a device, pipe or socket)');
    writeFileSync(join(dir, 'target.py'), 'old');
    symlinkSync(join(dir, 'target.py'), join(dir, 'link.py'));
    expect(await prepareOutputFile(join(dir, 'link.py'))).toBe(join(dir, 'target.py'));
    expect(await prepareOutputFile(join(dir, 'new', 'recipe.py'))).toBe(join(dir, 'new', 'recipe.py'));
  });
});

describe('atomic writes', () => {
  it('replace the file by rename and leave no temp file, also when the write fails', async () => {
    const dir = temp();
    const path = join(dir, 'contract.json');
    await writeFileAtomic(path, 'one');
    await writeOutputFile(dir, 'contract.json', 'two');
    expect(readFileSync(path, 'utf8')).toBe('two');
    mkdirSync(join(dir, 'taken.json'));
    await expect(writeOutputFile(dir, 'taken.json', 'x')).rejects.toThrow(/cannot write .*taken\.json/);
    expect(readdirSync(dir).sort()).toEqual(['contract.json', 'taken.json']);
  });
});

describe('two runs into one --out', () => {
  const image = (id: string): VerifyImage => ({ id, width: 4, height: 4, channels: 1, pixels: new Uint8Array(16).fill(90), labels: new Uint8Array(16).fill(1) });

  it("a run's first overlays clear the overlays an earlier run left (candidates and images)", async () => {
    // Before: overlays/ kept the first run's candidates and images beside the second run's.
    const dir = temp();
    const first = createOverlayWriter(dir, 2, 4);
    await first('focal', [image('old-a'), image('old-b')], [new Uint8Array(16), new Uint8Array(16)]);
    await first('ce', [image('old-a')], [new Uint8Array(16)]);
    mkdirSync(join(dir, 'overlays', 'mine'));
    writeFileSync(join(dir, 'overlays', 'mine', 'notes.txt'), 'a user file');
    const second = createOverlayWriter(dir, 2, 4);
    await second('dice', [image('new')], [new Uint8Array(16)]);
    expect(readdirSync(join(dir, 'overlays')).sort()).toEqual(['dice', 'mine', 'truth']);
    expect(readdirSync(join(dir, 'overlays', 'truth'))).toEqual(['new.png']);
    expect(readdirSync(join(dir, 'overlays', 'mine'))).toEqual(['notes.txt']);
  });

  it('a report without a verification removes the verification.json of an earlier run', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'verification.json'), '{"kind":"VerificationReport"}');
    await writeReport(dir, { profile: buildProfile(), recommendation: recommendationFixture, verification: null });
    expect(existsSync(join(dir, 'verification.json'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['profile.json', 'recommendation.json', 'report.html', 'report.md']);
  });
});
