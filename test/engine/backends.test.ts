import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/errors.js';
import { selectBackend, type BackendLoaders } from '../../src/engine/backends.js';

const notInstalled = (pkg: string) => async () => {
  const error = new Error(`Cannot find package '${pkg}' imported from /app/dist/src/engine/backends.js`) as Error & { code: string };
  error.code = 'ERR_MODULE_NOT_FOUND';
  throw error;
};
const loads = (detail: string) => async () => ({ detail, threads: 1 });
const cudaMismatch = async () => {
  throw new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory');
};

function loaders(overrides: Partial<BackendLoaders>): BackendLoaders {
  return {
    'tensorflow-gpu': notInstalled('@tensorflow/tfjs-node-gpu'),
    tensorflow: notInstalled('@tensorflow/tfjs-node'),
    wasm: loads('wasm ok'),
    cpu: loads('cpu ok'),
    ...overrides,
  };
}

describe('selectBackend', () => {
  it('auto uses the first backend that loads and says why the others were skipped', async () => {
    const selected = await selectBackend('auto', loaders({}));
    expect(selected.name).toBe('wasm');
    expect(selected.detail).toBe('wasm ok');
    expect(selected.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow']);
    expect(selected.skipped[0].why).toMatch(/@tensorflow\/tfjs-node-gpu is not installed.*npm i @tensorflow\/tfjs-node-gpu@4\.22\.0.*CUDA 11\.2.*cuDNN 8\.1/);
    expect(selected.skipped[1].why).toMatch(/@tensorflow\/tfjs-node is not installed.*npm i @tensorflow\/tfjs-node@4\.22\.0/);
  });

  it('uses an installed GPU backend first', async () => {
    const selected = await selectBackend('auto', loaders({ 'tensorflow-gpu': loads('gpu ok') }));
    expect(selected).toEqual({ name: 'tensorflow-gpu', detail: 'gpu ok', threads: 1, skipped: [] });
  });

  it('recognises the CUDA 12 / libcudart.so.11.0 failure and points to segloss export', async () => {
    const selected = await selectBackend('auto', loaders({ 'tensorflow-gpu': cudaMismatch, tensorflow: loads('tf ok') }));
    expect(selected.name).toBe('tensorflow');
    expect(selected.skipped).toHaveLength(1);
    expect(selected.skipped[0].why).toMatch(/libtensorflow 2\.9\.1.*CUDA 11\.2 and cuDNN 8\.1.*libcudart\.so\.11\.0.*segloss export/);
  });

  it('falls through to cpu when wasm fails too', async () => {
    const selected = await selectBackend('auto', loaders({ wasm: async () => { throw new Error('wasm: out of memory'); } }));
    expect(selected.name).toBe('cpu');
    expect(selected.skipped[2]).toEqual({ name: 'wasm', why: expect.stringContaining('out of memory') });
  });

  it('an explicitly requested backend that cannot load is a user error (exit 2) with the reason', async () => {
    const error = await selectBackend('tensorflow-gpu', loaders({ 'tensorflow-gpu': cudaMismatch })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(2);
    expect((error as UserError).message).toMatch(/tensorflow-gpu backend cannot be used.*CUDA 11\.2/);
    const missing = await selectBackend('tensorflow', loaders({})).catch((e: unknown) => e);
    expect((missing as UserError).message).toMatch(/@tensorflow\/tfjs-node is not installed/);
  });

  it('an explicit request that loads skips nothing', async () => {
    expect(await selectBackend('cpu', loaders({}))).toEqual({ name: 'cpu', detail: 'cpu ok', threads: 1, skipped: [] });
  });

  it('rejects an unknown backend name', async () => {
    await expect(selectBackend('metal' as 'cpu', loaders({}))).rejects.toThrow(/Unknown backend "metal"/);
  });

  it('with the real loaders here, falls through the uninstalled tfjs-node packages to wasm', async () => {
    const selected = await selectBackend('auto');
    expect(selected.name).toBe('wasm');
    expect(selected.detail).toMatch(/XNNPACK conv gradients/);
    expect(selected.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow']);
    expect(selected.skipped[0].why).toMatch(/not installed/);
  });
});
