/**
 * A fraction as a short percentage: 0.05 -> 5%, 0.333 -> 33.3%, 0.975 -> 97.5%. Lives in common so
 * the verdict and racing (src/verify) format their confidence levels as the reports and views do
 * (src/ui/format.ts re-exports it).
 */
export function formatPercent(fraction: number, significantDigits = 3): string {
  return `${Number((fraction * 100).toPrecision(significantDigits))}%`;
}

/**
 * A confidence level or an error level: 97.5%, 96.25%, 99.9167%, 0.07813%. A level near 100% is
 * told by what it leaves out, so it keeps three significant digits of that (100% - 0.0833%) rather
 * than rounding to 99.9% or 100%; a small level keeps four significant digits.
 */
export function formatLevel(fraction: number): string {
  if (!(fraction > 0.5 && fraction < 1)) return formatPercent(fraction, 4);
  const miss = Number(((1 - fraction) * 100).toPrecision(3));
  const decimals = Math.max(0, 2 - Math.floor(Math.log10(miss)));
  return `${Number((100 - miss).toFixed(decimals))}%`;
}
