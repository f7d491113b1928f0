/**
 * bench:seed-variance is the measurement behind "the seed variance is not pooled" (seed-stats.ts);
 * this keeps its analysis of the kept run working and its headline numbers where the README and
 * the module comment quote them.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('bench:seed-variance --from the kept run', () => {
  it('reports unequal seed variances at 640 steps and the pooled interval far above its 2.5% for CE', () => {
    const r = spawnSync('node', ['--import', 'tsx', 'bench/seed-variance.ts', '--from', 'bench/results/seed-variance-rare-2.json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const rung3 = r.stdout.split('\n\n').find((block) => block.startsWith('rung 3 (640 steps)'));
    expect(rung3).toBeDefined();
    const p = Number(/equal pair variances p = ([\d.]+)/.exec(rung3!)![1]);
    expect(p).toBeLessThan(0.01);
    const ce = rung3!.split('\n').find((line) => line.startsWith('ce '))!.trim().split(/\s+/);
    // candidate, mean Dice, seed sd, paired sd, A/A pooled, A/A paired
    const [pooled, paired] = [parseFloat(ce[4]), parseFloat(ce[5])];
    expect(pooled).toBeGreaterThan(7);
    expect(paired).toBeGreaterThan(1.5);
    expect(paired).toBeLessThan(3.5);
  });

  it('exits 1 with a message naming the file that is not a verification.json', () => {
    const r = spawnSync('node', ['--import', 'tsx', 'bench/seed-variance.ts', '--from', 'package.json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^seed-variance: package\.json is not a verification\.json/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
