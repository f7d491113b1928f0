import { useStdout } from 'ink';

export const MIN_VIEW_WIDTH = 40;
export const MAX_VIEW_WIDTH = 120;

/** The width a view lays itself out for: the given one, else the terminal's, clamped to 40-120. */
export function clampWidth(columns: number | undefined): number {
  return Math.min(MAX_VIEW_WIDTH, Math.max(MIN_VIEW_WIDTH, Math.floor(columns ?? 80)));
}

export function useViewWidth(width?: number): number {
  const { stdout } = useStdout();
  return clampWidth(width ?? stdout?.columns);
}
