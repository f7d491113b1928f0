/**
 * OpenMP's wait policy for the runners (src/engine/torch/python.ts runnerEnv, engine.ts
 * oversubscribed), chosen by what bench:train measured: PASSIVE where threads outnumber the free
 * cores or a runner has one thread, OpenMP's default where one runner's threads fit idle cores,
 * and the user's own OMP_WAIT_POLICY always.
 */
import { describe, expect, it } from 'vitest';
import { oversubscribed } from '../../src/engine/torch/engine.js';
import { runnerEnv } from '../../src/engine/torch/python.js';

describe('torch runners: OpenMP wait policy', () => {
  it('counts the runners\' threads and the jobs already running against the cores', () => {
    expect(oversubscribed(['cpu'], 2, 2, 0.3)).toBe(false);
    expect(oversubscribed(['cpu'], 2, 2, 1.2)).toBe(true);
    expect(oversubscribed(['cpu', 'cpu'], 2, 2, 0)).toBe(true);
    expect(oversubscribed(['cpu', 'cpu'], 1, 2, 0.9)).toBe(false);
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
});
