/** Seeded pseudo-random numbers for the sample generator (no Math.random anywhere). */
import { mulberry32 } from '../../common/random.js';

export { mulberry32 };


/** Mixes numbers into one 32-bit seed (splitmix-style), so every image and purpose gets its own stream. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

export class Random {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }
  /** Whole number in [low, high] inclusive. */
  int(low: number, high: number): number {
    return low + Math.floor((high - low + 1) * this.next());
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

/** 65,536 standard-normal values from a fixed seed: per-pixel noise is a table lookup. */
export const NORMAL_TABLE: Float32Array = (() => {
  const random = new Random(0x5e910555);
  const table = new Float32Array(65536);
  for (let i = 0; i < table.length; i++) table[i] = random.normal();
  return table;
})();
