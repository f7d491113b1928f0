/** Test helpers: strip ANSI escapes and measure frame lines in terminal columns (all glyphs used are 1 column). */
export const ANSI_PATTERN = /\u001b\[[0-9;?]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI_PATTERN, '');
}

export function widestLine(frame: string): number {
  return Math.max(...stripAnsi(frame).split('\n').map((line) => [...line].length));
}

export function frameOf(value: string | undefined): string {
  if (value === undefined) throw new Error('nothing was rendered');
  return value;
}
