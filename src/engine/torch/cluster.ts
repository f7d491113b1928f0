/**
 * `verify --cluster tcp://HOST:PORT`: the torch engine's runners on a Dask cluster. Each cluster
 * worker gets one runner, which is the bridge python/segloss_torch/cluster.py (the runner's own
 * protocol, executed by an actor on that worker): the engine, the protocol and the verdict do
 * not change. Before anything trains, the cluster is probed (reachable, has workers, each with the
 * bridge's Python minor version and torch >= 1.13); every problem is a UserError (exit 2).
 */
import { UserError } from '../../common/errors.js';
import { runJsonLineProbe } from './python.js';

export interface ClusterWorker {
  address: string;
  python: string;
  torch: string | null;
  nthreads: number;
  /** CUDA devices torch sees on the worker. */
  cuda: number;
  /** Dask resources the worker was started with (`dask worker --resources GPU=1`). */
  resources: Record<string, number>;
}

/** What verification.json records of the cluster (backend.cluster). */
export interface ClusterRecord {
  scheduler: string;
  workers: Array<{ address: string; device: string; threads: number; torch: string | null }>;
  /** Hash of the runner code uploaded to the workers. */
  code: string | null;
  /** --cache-dir: the shared folder the workers read the data from (null: sent to each worker). */
  cacheDir: string | null;
  /** Workers lost during the run, and where their runs resumed (from the last checkpoint, replayed to the same step). */
  recoveries: ClusterRecovery[];
}

export interface ClusterRecovery {
  from: string;
  to: string;
  why: string;
}

/** The recoveries a bridge reports with a reply (new ones since its last reply), checked. */
export function recoveriesIn(reply: Record<string, unknown>): ClusterRecovery[] {
  const list = reply.recoveries;
  if (!Array.isArray(list)) return [];
  return list
    .filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null)
    .map((r) => ({ from: String(r.from ?? ''), to: String(r.to ?? ''), why: String(r.why ?? '').slice(0, 500) }));
}

export const CLUSTER_PROBE_TIMEOUT_MS = 180_000;
const ADDRESS = /^(tcp|tls|ucx|inproc):\/\/[A-Za-z0-9.\-_[\]:]+(:\d{1,5})?$/;
const ADDRESS_FIX = 'pass the scheduler address a Dask scheduler prints, e.g. --cluster tcp://10.0.0.5:8786';

export function checkClusterAddress(address: string): string {
  if (!ADDRESS.test(address)) throw new UserError(`--cluster ${JSON.stringify(address)} is not a Dask scheduler address`, { fix: ADDRESS_FIX });
  return address;
}

interface ProbeAnswer {
  scheduler: string;
  workers: ClusterWorker[];
  problems: string[];
  code: string | null;
  python: string;
}

function parseAnswer(line: string): ProbeAnswer | null {
  if (!line.startsWith('{')) return null;
  try {
    const json = JSON.parse(line) as Partial<ProbeAnswer>;
    if (!Array.isArray(json.workers) || !Array.isArray(json.problems)) return null;
    return json as ProbeAnswer;
  } catch {
    return null;
  }
}

/** The device a worker's runner trains on: its GPU when it declares one (resources GPU) and torch sees it. */
export function workerDevice(worker: ClusterWorker): string {
  return (worker.resources?.GPU ?? 0) > 0 && worker.cuda > 0 ? 'cuda' : 'cpu';
}

/** Probes the cluster with the bridge's Python; the workers, or a UserError naming every problem. */
export async function probeCluster(python: string, address: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = CLUSTER_PROBE_TIMEOUT_MS): Promise<{ workers: ClusterWorker[]; code: string | null }> {
  checkClusterAddress(address);
  const answer = await runJsonLineProbe(python, ['-m', 'segloss_torch.cluster', '--probe', address], env, timeoutMs, parseAnswer);
  if ('failure' in answer) {
    const noDask = /No module named '?distributed/.test(answer.failure);
    throw new UserError(`the Dask cluster probe (${python} -m segloss_torch.cluster) ${answer.failure}`, {
      fix: noDask ? `install Dask distributed into ${python} (Debian: apt-get install python3-distributed; else pip install distributed)` : ADDRESS_FIX,
    });
  }
  if (answer.problems.length > 0) {
    const unreachable = answer.problems.some((p) => p.startsWith('cannot reach'));
    const none = answer.problems.some((p) => p.includes('has no workers'));
    throw new UserError(`the Dask cluster at ${address} cannot train: ${answer.problems.join('; ')}`, {
      fix: unreachable
        ? `start a scheduler (dask scheduler) and check the address and the network, then ${ADDRESS_FIX.replace('pass', 'pass')}`
        : none
          ? 'start workers that connect to it (dask worker ADDRESS; on Slurm dask-jobqueue, on Kubernetes dask-kubernetes)'
          : 'give every worker the bridge\'s Python minor version with torch >= 1.13 and numpy (the segloss runner itself is uploaded), or run segloss with --python matching the workers',
    });
  }
  return { workers: answer.workers, code: answer.code };
}
