/**
 * OpenMP's wait policy for the runners (src/engine/torch/python.ts runnerEnv, engine.ts
 * oversubscribed), chosen by what bench:train measured: PASSIVE where threads outnumber the free
 * cores or a runner has one thread, OpenMP's default where one runner's threads fit idle cores,
 * and the user's own OMP_WAIT_POLICY always.
 */
import { describe, expect, it } from 'vitest';
import { oversubscribed, oversubscribedNow } from '../../src/engine/torch/engine.js';
import { busyCoresBetween } from '../../src/engine/torch/busy-cores.js';
import { runnerEnv } from '../../src/engine/torch/python.js';

describe('torch runners: OpenMP wait policy', () => {
  it('counts the runners\' threads and the cores busy now against the cores', () => {
    expect(oversubscribed(['cpu'], 2, 2, 0.3)).toBe(false);
    expect(oversubscribed(['cpu'], 2, 2, 0.6)).toBe(true);
    expect(oversubscribed(['cpu'], 2, 2, 1.2)).toBe(true);
    expect(oversubscribed(['cpu', 'cpu'], 2, 2, 0)).toBe(true);
    expect(oversubscribed(['cpu', 'cpu'], 1, 2, 0.4)).toBe(false);
    expect(oversubscribed(['cuda:0', 'cuda:1'], 4, 8, 0)).toBe(false);
    expect(oversubscribed(['cuda:0', 'cpu'], 4, 4, 0)).toBe(true);
  });

  it('PASSIVE for one thread or oversubscribed cores, the default for a runner that fits, the user\'s choice always', () => {
    const env = { PATH: '/usr/bin' };
    expect(runnerEnv(env).OMP_WAIT_POLICY).toBe('PASSIVE');
    expect(runnerEnv(env, { perProcess: 2, oversubscribed: true }).OMP_WAIT_POLICY).toBe('PASSIVE');
    expect('OMP_WAIT_POLICY' in runnerEnv(env, { perProcess: 2, oversubscribed: false })).toBe(false);
    expect(runnerEnv({ ...env, OMP_WAIT_POLICY: 'ACTIVE' }, { perProcess: 1, oversubscribed: true }).OMP_WAIT_POLICY).toBe('ACTIVE');
    expect(runnerEnv({ ...env, OMP_WAIT_POLICY: 'PASSIVE' }, { perProcess: 2, oversubscribed: false }).OMP_WAIT_POLICY).toBe('PASSIVE');
  });

  it('measures busy cores from the per-CPU time counters, not the load average', async () => {
    const cpu = (user: number, idle: number) => ({ model: 'x', speed: 1, times: { user, nice: 0, sys: 0, idle, irq: 0 } });
    // core 0 fully busy over the window, core 1 idle: one busy core
    expect(busyCoresBetween([cpu(0, 0), cpu(0, 0)], [cpu(100, 0), cpu(0, 100)])).toBeCloseTo(1, 10);
    // both half busy
    expect(busyCoresBetween([cpu(10, 10), cpu(10, 10)], [cpu(60, 60), cpu(60, 60)])).toBeCloseTo(1, 10);
    // a counter that did not move says nothing
    expect(busyCoresBetween([cpu(5, 5)], [cpu(5, 5)])).toBe(0);
    // decided without a measurement where it cannot matter
    expect(await oversubscribedNow(['cpu', 'cpu'], 2, 2)).toBe(true);
    expect(await oversubscribedNow(['cpu', 'cpu'], 1, 2)).toBe(false);
    expect(await oversubscribedNow(['cuda:0'], 4, 8)).toBe(false);
  });
});
