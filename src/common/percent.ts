/**
 * A fraction as a short percentage: 0.05 -> 5%, 0.333 -> 33.3%, 0.975 -> 97.5%. Lives in common so
 * the verdict and racing (src/verify) format their confidence levels as the reports and views do
 * (src/ui/format.ts re-exports it).
 */
export function formatPercent(fraction: number, significantDigits = 3): string {
  return `${Number((fraction * 100).toPrecision(significantDigits))}%`;
}

/**
 * A confidence level or an error level: 97.5%, 96.25%, 0.2344%. Four significant digits, so a
 * level the error budget computes (error-budget.ts) is printed as it was used, not rounded.
 */
export function formatLevel(fraction: number): string {
  return formatPercent(fraction, 4);
}
