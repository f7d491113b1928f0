/**
 * "a", "a and b", "a, b and c": the one way a sentence lists things (verdict, candidates, report),
 * so the wording stays the same everywhere.
 */
export function listAnd(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
