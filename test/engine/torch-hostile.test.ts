/**
 * Issue 13's classes of fault on the torch backend's surfaces: a --python that hangs (the probe
 * times out and says so), a runner that prints garbage, a line without end or never starts, or
 * replies nonsense (a clear error, never a crash or a hang), --devices with a thousand entries,
 * --model-weights that is a FIFO, /dev/zero or a pickle that runs code, a temp folder that cannot
 * take the data cache, a --model string that carries code. Fake runners stand in for torch
 * where they can; the rest is skipped, saying why, when no Python with torch is found.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/errors.js';
import { createTorchEngine } from '../../src/engine/torch/engine.js';
import { findTorchPython, runnerRoot, type FoundPython, type TorchProbe } from '../../src/engine/torch/python.js';
import { startRunner } from '../../src/engine/torch/runner-process.js';
import type { TrainingData } from '../../src/engine/types.js';
import { runCli } from '../helpers/run-cli.js';

let found: FoundPython | null = null;
try {
  found = await findTorchPython();
} catch (error) {
  process.stderr.write(`torch hostile-input tests that need torch skipped: ${(error as Error).message}\n`);
}
const withTorch = found ? it : it.skip;

const fixtures = fileURLToPath(new URL('./fixtures/python', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'segloss-torch-hostile-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const model = { numClasses: 2, inputChannels: 1, depth: 2, baseWidth: 4, classPriors: [0.7, 0.3] };
function tinyData(): TrainingData {
  const image = (id: string, w: number, h: number) => ({ id, width: w, height: h, channels: 1, pixels: new Uint8Array(w * h).fill(90), labels: new Uint8Array(w * h).map((_, i) => i % 2) });
  return { train: [image('a', 16, 16)], val: [image('b', 16, 16)], normalisation: { mean: [90], std: [10] }, numClasses: 2, ignoreIndex: 255 };
}
/** A Python that never needs to run: the checks under test come before any start. */
const probe: TorchProbe = { python: '3.11', executable: '/x', numpy: '1.24', numpyError: null, torch: '2.1', torchError: null, cuda: false, cudaDevices: [], mps: false, smp: '0.3' };
const notRun: FoundPython = { command: join(scratch, 'never-run-python'), origin: 'test', probe, skipped: [] };

const run = runCli;

describe('torch backend: hostile input', () => {
  it('a --python that hangs: the probe stops it at its timeout and says so (was: 120 s, then a wait on its orphans)', async () => {
    const hanging = join(scratch, 'hanging-python');
    writeFileSync(hanging, '#!/bin/sh\nsleep 600\n');
    chmodSync(hanging, 0o755);
    const started = performance.now();
    const error = await findTorchPython({ python: hanging, probeTimeoutMs: 1500 }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/--python \(.*hanging-python\): did not answer within 2 s and was stopped/);
  }, 20_000);

  it('a probe line that is JSON but not a probe is refused, not trusted', async () => {
    const liar = join(scratch, 'liar-python');
    writeFileSync(liar, '#!/bin/sh\necho \'{"torch": 5, "numpy": [], "python": null}\'\n');
    chmodSync(liar, 0o755);
    await expect(findTorchPython({ python: liar })).rejects.toThrow(/liar-python\): did not run the probe \(printed no probe line\)/);
  });

  it('--devices with 1000 entries: exit 2 before anything starts (was: 1000 Python processes)', async () => {
    const r = await run(['verify', '/nonexistent', '--backend', 'torch', '--devices', Array(1000).fill('cpu').join(',')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--devices lists 1000 devices \(1000 of them cpu\): at most 64/);
    const gpus = await run(['verify', '/nonexistent', '--backend', 'torch', '--devices', Array(65).fill('cuda:0').join(',')]);
    expect(gpus.stderr).toMatch(/--devices lists 65 devices: at most 64/);
  });

  it('--model-weights that is a FIFO or /dev/zero is refused by name (was: torch.load blocked or read forever)', async () => {
    const fifo = join(scratch, 'weights.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const [file, what] of [[fifo, 'a named pipe \\(FIFO\\)'], ['/dev/zero', 'a character device']]) {
      const error = await createTorchEngine({ backend: 'torch', model, data: tinyData(), torch: { found: notRun, model: 'smp:Unet:resnet34', modelWeights: file } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toMatch(new RegExp(`--model-weights .*: is not a regular file: it is ${what}`));
    }
  });

  it('a --model string with quotes or a newline is refused before it reaches Python', async () => {
    for (const name of ['smp:Unet:resnet34"\nimport os; os.system("x")', "smp:Unet:x');print('", 'smp:__class__:x']) {
      await expect(createTorchEngine({ backend: 'torch', model, data: tinyData(), torch: { found: notRun, model: name } })).rejects.toThrow(/is not a model segloss knows/);
    }
  });

  it('a temp folder that cannot take the data cache: exit 2 naming it and TMPDIR (was: a raw ENOENT)', async () => {
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = join(scratch, 'no-such-temp');
    try {
      const error = await createTorchEngine({ backend: 'torch', model, data: tinyData(), torch: { found: notRun, devices: ['cpu'] } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).exitCode).toBe(2);
      expect((error as Error).message).toMatch(/cannot create its data cache in the temp folder .*no-such-temp: it does not exist/);
      expect((error as UserError).fix).toMatch(/set TMPDIR/);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });

  withTorch('a runner printing JSON that is not an object is not a crash (was: TypeError reading null.ready)', async () => {
    const runner = await startRunner({ python: found!.command, label: 'test', module: 'fake_runner_hostile', env: { ...process.env, PYTHONPATH: fixtures, FAKE_MODE: 'null-first' } });
    try {
      expect(await runner.request('ping')).toMatchObject({ ok: true });
      expect(runner.stderrTail()).toContain('[stdout] null');
    } finally {
      await runner.close();
    }
  }, 30_000);

  withTorch('the runner ignores command lines that are JSON but not objects, or not UTF-8, and still obeys the next command (was: its reader thread died and it hung)', () => {
    const input = Buffer.concat([Buffer.from('[1,2]\n"x"\n42\n'), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from('{"cmd":"shutdown","id":7}\n')]);
    const out = execFileSync(found!.command, ['-u', '-m', 'segloss_torch'], { input, env: { ...process.env, PYTHONPATH: runnerRoot() }, timeout: 60_000, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
    const replies = out.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(replies[0]).toMatchObject({ ready: true });
    expect(replies[1]).toEqual({ id: 7, ok: true });
  }, 90_000);

  withTorch('a runner printing a line without end is stopped at the line limit (was: memory without end)', async () => {
    const error = await startRunner({ python: found!.command, label: 'test', module: 'fake_runner_hostile', env: { ...process.env, PYTHONPATH: fixtures, FAKE_MODE: 'huge-line' } }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/printed a line of more than 16 MB on its protocol output/);
  }, 30_000);

  withTorch('a runner that never says it is ready is stopped at the start timeout (was: a hang)', async () => {
    const error = await startRunner({ python: found!.command, label: 'test', module: 'fake_runner_hostile', readyTimeoutMs: 1500, env: { ...process.env, PYTHONPATH: fixtures, FAKE_MODE: 'never-ready' } }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/did not start within 2 s \(it never said it was ready\) and was stopped/);
  }, 30_000);

  withTorch('a runner reply that is not what was asked is an error, not a TypeError or a short prediction', async () => {
    const data = tinyData();
    const engine = await createTorchEngine({ backend: 'torch', model, data, torch: { found: found!, devices: ['cpu'], runnerModule: 'fake_runner_hostile', env: { ...process.env, PYTHONPATH: fixtures, FAKE_MODE: 'bad-reply' } } });
    try {
      const recipe = (await import('../verify/fixtures.js')).satelliteRecipe();
      const runHandle = await engine.createRun({ id: 'x', seed: 1, recipe, loss: { name: 'ce', params: {} }, lossContext: { numClasses: 2, ignoreIndex: 255, classWeights: null, scaleAware: null } });
      const step = { batch: { size: 8, crops: [{ image: 0, x0: 0, y0: 0, flipX: false, flipY: false }] }, learningRate: 1e-3, progress: 0 };
      const trainError = await runHandle.train([step]).catch((e: unknown) => e);
      expect(trainError).toBeInstanceOf(UserError);
      expect((trainError as Error).message).toMatch(/run x: the PyTorch runner failed: the runner's reply to train is not a list of at most 1 losses/);
      await expect(runHandle.predictValidation()).rejects.toThrow(/predictions are not sized as the 1 validation images/);
    } finally {
      await engine.dispose();
    }
  }, 60_000);

  withTorch('--model-weights that is a pickle running code is refused, and the code does not run', async () => {
    const evil = join(scratch, 'evil.pth');
    const marker = join(scratch, 'pwned');
    execFileSync(found!.command, ['-c', `import os, torch\nclass E:\n    def __reduce__(self): return (os.system, ("touch ${marker}",))\ntorch.save({"0.weight": E()}, ${JSON.stringify(evil)})`]);
    const withSmp = { ...found!, probe: { ...found!.probe, smp: '0.0-test' } };
    const env = { ...process.env, PYTHONPATH: fixtures };
    const error = await createTorchEngine({ backend: 'torch', model, data: tinyData(), torch: { env, found: withSmp, model: 'smp:Unet:fake34', modelWeights: evil, devices: ['cpu'] } }).catch((e: unknown) => e);
    expect(existsSync(marker)).toBe(false);
    expect((error as Error).message).toMatch(/evil\.pth holds more than tensors, so it was not loaded/);
  }, 60_000);
});
