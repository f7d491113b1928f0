/**
 * Which devices the torch engine runs on: --devices cuda:0,cuda:1 (one runner process each), or
 * --device cuda|cuda:N|cpu|mps|auto (auto: the first CUDA device, else MPS, else the CPU), checked
 * against what the probe saw so "CUDA asked but not available" is a clear error before any start.
 */
import { availableParallelism } from 'node:os';
import { UserError } from '../../common/errors.js';
import type { TorchProbe } from './python.js';

export type DeviceRequest = { device?: string; devices?: string[] };

const DEVICE = /^(cpu|mps|cuda(:\d+)?)$/;

/**
 * Each --devices entry is one runner process holding torch (~200 MB on the CPU) and its own model
 * replicas: a thousand entries started a thousand Pythons. At most MAX_DEVICE_ENTRIES in all, and
 * no more CPU entries than twice the cores (as --threads).
 */
export const MAX_DEVICE_ENTRIES = 64;
export const maxCpuEntries = (cores = availableParallelism()) => Math.min(MAX_DEVICE_ENTRIES, 2 * cores);

/** Parses --devices "cuda:0,cuda:1" (also used for --device, one entry). */
export function parseDeviceList(text: string, flag = '--devices'): string[] {
  const list = text.split(',').map((d) => d.trim()).filter(Boolean);
  const bad = list.find((d) => !DEVICE.test(d));
  if (list.length === 0 || bad !== undefined) {
    throw new UserError(`${flag} ${JSON.stringify(text)}: ${bad === undefined ? 'no device given' : `"${bad}" is not a device`}`, { fix: `use cpu, mps, cuda or cuda:N${flag === '--devices' ? ', comma-separated (e.g. cuda:0,cuda:1)' : ', or auto'}` });
  }
  const cpuEntries = list.filter((d) => d === 'cpu').length;
  if (list.length > MAX_DEVICE_ENTRIES || cpuEntries > maxCpuEntries()) {
    throw new UserError(`${flag} lists ${list.length} devices${cpuEntries > maxCpuEntries() ? ` (${cpuEntries} of them cpu)` : ''}: at most ${MAX_DEVICE_ENTRIES}, and at most ${maxCpuEntries()} cpu entries on ${availableParallelism()} cores (one runner process each)`, {
      fix: 'list each device once or twice (e.g. cuda:0,cuda:1); for more CPU threads use --threads',
    });
  }
  return list;
}

export function resolveDevices(request: DeviceRequest, probe: TorchProbe): string[] {
  const asked = request.devices?.length ? request.devices : [request.device ?? 'auto'];
  return asked.map((device) => {
    if (device === 'auto') return probe.cuda ? 'cuda:0' : probe.mps ? 'mps' : 'cpu';
    if (!DEVICE.test(device)) throw new UserError(`unknown device "${device}"`, { fix: 'use cpu, mps, cuda, cuda:N or auto' });
    if (device.startsWith('cuda')) {
      if (!probe.cuda) {
        throw new UserError(`${device} was asked for, but torch ${probe.torch} in ${probe.executable} sees no CUDA device${probe.cudaError ? ` (${probe.cudaError})` : ''}`, {
          fix: 'use a CUDA build of torch and check `nvidia-smi`; or --device cpu (or auto)',
        });
      }
      const index = device === 'cuda' ? 0 : Number(device.slice(5));
      if (index >= probe.cudaDevices.length) {
        throw new UserError(`${device} was asked for, but torch sees ${probe.cudaDevices.length} CUDA device(s)`, { fix: `use cuda:0${probe.cudaDevices.length > 1 ? ` to cuda:${probe.cudaDevices.length - 1}` : ''}` });
      }
      return `cuda:${index}`;
    }
    if (device === 'mps' && !probe.mps) {
      throw new UserError(`mps was asked for, but torch ${probe.torch} reports torch.backends.mps.is_available() False`, { fix: 'use --device cpu (or auto)' });
    }
    return device;
  });
}

export const isGpu = (device: string) => device !== 'cpu';

/** Crop and batch verify uses on a GPU when the user gave neither (a GPU step at 64x64 x 8 is mostly overhead). */
export const GPU_TRAINING_DEFAULTS = { cropSize: 128, batchSize: 16 } as const;
