/**
 * Device and process layout of the torch engine, without Python: --device/--devices parsing,
 * auto resolution and "CUDA asked but not available" from a probe, one single-thread process per
 * core on the CPU, and the smallest torch version accepted.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/errors.js';
import { parseDeviceList, resolveDevices } from '../../src/engine/torch/devices.js';
import { cpuLayout, createTorchEngine } from '../../src/engine/torch/engine.js';
import { torchAtLeast, unusableBecause, type TorchProbe } from '../../src/engine/torch/python.js';
import { runCli } from '../helpers/run-cli.js';

const probe = (over: Partial<TorchProbe> = {}): TorchProbe => ({
  python: '3.11.2', executable: '/usr/bin/python3', numpy: '1.24.2', numpyError: null, torch: '2.3.1', torchError: null,
  cuda: false, cudaDevices: [], mps: false, smp: null, ...over,
});
const gpus = probe({ cuda: true, cudaDevices: [{ name: 'A', memoryBytes: 1 }, { name: 'B', memoryBytes: 1 }] });

describe('torch devices', () => {
  it('--precision fp16 without a GPU is refused before any runner starts, naming the fix', async () => {
    const found = { command: '/no/python', origin: 'test', probe: probe(), skipped: [] };
    const data = { train: [], val: [], normalisation: { mean: [0], std: [1] }, numClasses: 2, ignoreIndex: null };
    const error = await createTorchEngine({ backend: 'torch', model: { numClasses: 2, inputChannels: 1, depth: 1, baseWidth: 4 }, data, torch: { found, precision: 'fp16' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/--precision fp16 needs a GPU/);
  });

  it('parses --devices and refuses what is not a device', () => {
    expect(parseDeviceList('cuda:0, cuda:1')).toEqual(['cuda:0', 'cuda:1']);
    expect(() => parseDeviceList('cuda:0,gpu1')).toThrow(/"gpu1" is not a device/);
    expect(() => parseDeviceList(',')).toThrow(UserError);
  });

  it('auto takes the first CUDA device, else MPS, else the CPU; CUDA asked without CUDA is a clear error', () => {
    expect(resolveDevices({ device: 'auto' }, gpus)).toEqual(['cuda:0']);
    expect(resolveDevices({}, probe({ mps: true }))).toEqual(['mps']);
    expect(resolveDevices({}, probe())).toEqual(['cpu']);
    expect(resolveDevices({ device: 'cuda', devices: ['cuda:1', 'cuda:0'] }, gpus)).toEqual(['cuda:1', 'cuda:0']);
    expect(() => resolveDevices({ device: 'cuda' }, probe())).toThrow(/cuda was asked for, but torch 2\.3\.1 in \/usr\/bin\/python3 sees no CUDA device/);
    expect(() => resolveDevices({ devices: ['cuda:2'] }, gpus)).toThrow(/torch sees 2 CUDA device/);
    expect(() => resolveDevices({ device: 'mps' }, probe())).toThrow(/mps was asked for/);
  });

  it('on the CPU: one single-thread runner per core unless --threads or --devices say otherwise', () => {
    expect(cpuLayout(['cpu'], false, undefined, 2)).toEqual({ devices: ['cpu', 'cpu'], threads: 1 });
    expect(cpuLayout(['cpu'], false, 2, 2)).toEqual({ devices: ['cpu'], threads: 2 });
    expect(cpuLayout(['cpu', 'cpu', 'cpu'], true, undefined, 8)).toEqual({ devices: ['cpu', 'cpu', 'cpu'], threads: 2 });
    expect(cpuLayout(['cuda:0', 'cuda:1'], true, undefined, 8)).toEqual({ devices: ['cuda:0', 'cuda:1'], threads: 4 });
  });

  it('torch >= 1.13 with numpy is usable; older, missing torch or numpy say why', () => {
    expect(torchAtLeast('1.13.0a0', [1, 13])).toBe(true);
    expect(torchAtLeast('2.0.1+cu118', [1, 13])).toBe(true);
    expect(torchAtLeast('1.12.1', [1, 13])).toBe(false);
    expect(unusableBecause(probe())).toBeNull();
    expect(unusableBecause(probe({ torch: null, torchError: "ModuleNotFoundError: No module named 'torch'" }))).toMatch(/without torch/);
    expect(unusableBecause(probe({ numpy: null, numpyError: 'ModuleNotFoundError' }))).toMatch(/without numpy/);
  });
});

describe('verify flags for the torch backend', () => {
  const run = runCli;

  it('refuses a bad device and torch flags on a tfjs backend (exit 2, before any data is read)', async () => {
    const bad = await run(['verify', '/nonexistent', '--backend', 'torch', '--devices', 'cuda:0,gpu']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--devices "cuda:0,gpu": "gpu" is not a device/);
    const badDevice = await run(['verify', '/nonexistent', '--backend', 'torch', '--device', 'tpu']);
    expect(badDevice.stderr).toMatch(/--device "tpu": "tpu" is not a device/);
    const wrongBackend = await run(['verify', '/nonexistent', '--backend', 'wasm', '--device', 'cuda']);
    expect(wrongBackend.code).toBe(2);
    expect(wrongBackend.stderr).toMatch(/apply to the torch backend, not --backend wasm/);
    const precisionOnWasm = await run(['verify', '/nonexistent', '--backend', 'wasm', '--precision', 'bf16']);
    expect(precisionOnWasm.code).toBe(2);
    expect(precisionOnWasm.stderr).toMatch(/--precision and --no-deterministic apply to the torch backend/);
    const badPrecision = await run(['verify', '/nonexistent', '--backend', 'torch', '--precision', 'fp8']);
    expect(badPrecision.code).toBe(2);
    expect(badPrecision.stderr).toMatch(/fp32, bf16, fp16/);
  });
});
