/**
 * The synthetic sample's options and their defaults, apart from the generator (which loads sharp
 * to encode PNGs): `segloss sample --help` prints the defaults without loading it.
 */
import { UserError } from '../../common/errors.js';

export interface SampleOptions {
  /** Seed of every random choice. Default 7. */
  seed: number;
  /** Number of image/mask pairs. Default 24. */
  images: number;
  /** Side of the square tiles in pixels (32-4096). Default 256. */
  size: number;
  /** Share of object edges rendered low-contrast, like shadows, in [0, 1]. Default 0.3. */
  blurredShare: number;
  /** Dense urban blocks with roughly balanced classes (ground ~30-40%, every class >= 5%) instead of the article's rare buildings. Default false. */
  balanced: boolean;
}

export const DEFAULT_SAMPLE_OPTIONS: SampleOptions = { seed: 7, images: 24, size: 256, blurredShare: 0.3, balanced: false };

export function resolveSampleOptions(options: Partial<SampleOptions> = {}): SampleOptions {
  const o: SampleOptions = { ...DEFAULT_SAMPLE_OPTIONS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  const whole = (name: string, value: number, min: number, max: number): void => {
    if (!Number.isInteger(value) || value < min || value > max) throw new UserError(`${name} must be a whole number in ${min}..${max}, got ${value}`, { fix: `for example ${name} ${DEFAULT_SAMPLE_OPTIONS[name.slice(2) as 'seed' | 'images' | 'size'] ?? min}` });
  };
  whole('--seed', o.seed, 0, 0xffffffff);
  whole('--images', o.images, 1, 1_000_000);
  whole('--size', o.size, 32, 4096);
  if (!(o.blurredShare >= 0 && o.blurredShare <= 1)) {
    throw new UserError(`--blurred-share must be a number in [0, 1], got ${o.blurredShare}`, { fix: 'for example --blurred-share 0.3' });
  }
  return o;
}
