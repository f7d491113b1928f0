import { mulberry32 } from '../common/random.js';

/**
 * A small seeded PRNG (mulberry32) so every candidate sees the same crops in the same order and a
 * run is reproducible from its seed. Not cryptographic; 32-bit state is plenty for crop sampling.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

export function createRng(seed: number): Rng {
  const next = mulberry32(Math.floor(seed) ^ 0x9e3779b9);
  return { next, int: (n) => Math.floor(next() * n) };
}

/** Fisher-Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Derives an independent seed for a named stream (split, crops, bootstrap) from the run seed. */
export function deriveSeed(seed: number, stream: string): number {
  let h = (Math.floor(seed) ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < stream.length; i++) {
    h ^= stream.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
