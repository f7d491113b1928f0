/** Commander argument parsers shared by the commands: each rejects a bad value with a usage error (exit 2). */
import { InvalidArgumentError } from 'commander';

/** A whole number in [min, max] (an empty string is not 0). */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
      throw new InvalidArgumentError(`expected a whole number ${range}, got "${value}"`);
    }
    return n;
  };
}

/** A number strictly between 0 and 1 (e.g. a validation share). */
export function openFraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n > 0 && n < 1)) throw new InvalidArgumentError(`expected a number between 0 and 1, got "${value}"`);
  return n;
}

/** A number in [0, 1]. */
export function closedFraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(`expected a number in [0, 1], got "${value}"`);
  return n;
}

/** A practical-equivalence margin on a [0, 1] metric: a number in [0, 0.5). */
export function tieMargin(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n < 0.5)) throw new InvalidArgumentError(`expected a mean-Dice margin from 0 to below 0.5, e.g. 0.01, got "${value}"`);
  return n;
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
