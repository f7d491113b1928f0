/**
 * How many cores are busy right now, measured over a short window from the kernel's per-CPU time
 * counters (os.cpus()). The runners' OpenMP wait policy (engine.ts `oversubscribed`) is chosen from
 * it: the 1-minute load average it replaced still counts work that ended up to a minute ago
 * (bench:train's own previous row, a finished test) and on a small VM counts kernel threads in
 * uninterruptible sleep, so it sent `torch threads=2` to PASSIVE on idle cores (0.66x the plain loop
 * at 64x64, issue 19).
 */
import { cpus } from 'node:os';

/** Busy time over total time, summed over CPUs, between two readings of the counters. */
export function busyCoresBetween(before: ReturnType<typeof cpus>, after: ReturnType<typeof cpus>): number {
  const total = (t: (typeof before)[number]['times']) => t.user + t.nice + t.sys + t.idle + t.irq;
  let busy = 0;
  for (let i = 0; i < Math.min(before.length, after.length); i++) {
    const elapsed = total(after[i].times) - total(before[i].times);
    if (elapsed <= 0) continue;
    busy += 1 - (after[i].times.idle - before[i].times.idle) / elapsed;
  }
  return Math.max(0, busy);
}

/** Busy cores (fractional) over the next `windowMs` milliseconds. */
export async function measureBusyCores(windowMs = 250): Promise<number> {
  const before = cpus();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  return busyCoresBetween(before, cpus());
}
