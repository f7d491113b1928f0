/**
 * A fraction as a short percentage: 0.05 -> 5%, 0.333 -> 33.3%, 0.975 -> 97.5%. Lives in common so
 * the verdict and racing (src/verify) format their confidence levels as the reports and views do
 * (src/ui/format.ts re-exports it).
 */
export function formatPercent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(3))}%`;
}
