/**
 * The views are built as lines of styled segments by pure functions (testable, width-exact);
 * Ink components only map them to <Text>. A role names what a segment means, not its colour.
 */
export type Role = 'title' | 'heading' | 'good' | 'bad' | 'warn' | 'accent' | 'muted' | 'winner' | 'rare';

export interface Segment {
  text: string;
  role?: Role;
}

export type Line = Segment[];

export function seg(text: string, role?: Role): Segment {
  return role ? { text, role } : { text };
}

export function lineText(line: Line): string {
  return line.map((segment) => segment.text).join('');
}

export function linesToText(lines: Line[]): string {
  return lines.map((line) => lineText(line).trimEnd()).join('\n');
}

/** A blank line between sections. */
export const BLANK: Line = [];
