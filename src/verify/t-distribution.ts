/**
 * Student's t quantiles and CDF (non-integer degrees of freedom, for Welch-Satterthwaite), from
 * jStat (npm `jstat`, pinned): one dependency-free package instead of hand-written incomplete-beta
 * code. Checked against R's qt/pt in test/verify/seed-stats.test.ts (qt(0.975, 2) = 4.302653).
 */
import { createRequire } from 'node:module';

interface JStat {
  studentt: { cdf(x: number, dof: number): number; inv(p: number, dof: number): number };
  normal: { inv(p: number, mean: number, sd: number): number; cdf(x: number, mean: number, sd: number): number };
}

const { jStat } = createRequire(import.meta.url)('jstat') as { jStat: JStat };

/** Beyond this many degrees of freedom the t distribution is taken as the normal one. */
const NORMAL_DF = 1e7;

/** The p-quantile of Student's t with `df` degrees of freedom (df may be fractional; Infinity = normal). */
export function tQuantile(p: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`t quantile needs df > 0, got ${df}`);
  return df >= NORMAL_DF ? jStat.normal.inv(p, 0, 1) : jStat.studentt.inv(p, df);
}

/** P(T <= x) for Student's t with `df` degrees of freedom. */
export function tCdf(x: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`t CDF needs df > 0, got ${df}`);
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x === Number.NEGATIVE_INFINITY) return 0;
  return df >= NORMAL_DF ? jStat.normal.cdf(x, 0, 1) : jStat.studentt.cdf(x, df);
}
