/**
 * The views are built as lines of styled segments by pure functions (testable, width-exact);
 * Ink components only map them to <Text>. A role names what a segment means, not its colour.
 */
import { safeLine } from '../common/safe-text.js';

export type Role = 'title' | 'heading' | 'good' | 'bad' | 'warn' | 'accent' | 'muted' | 'winner' | 'rare';

export interface Segment {
  text: string;
  role?: Role;
}

export type Line = Segment[];

/**
 * Every piece of text a view shows is made here, so this is where control characters in user
 * text (a class name, a file name, a rule's rationale) become visible escapes instead of moving
 * the cursor or rewriting the terminal.
 */
export function seg(text: string, role?: Role): Segment {
  const safe = safeLine(text);
  return role ? { text: safe, role } : { text: safe };
}

export function lineText(line: Line): string {
  return line.map((segment) => segment.text).join('');
}

export function linesToText(lines: Line[]): string {
  return lines.map((line) => lineText(line).trimEnd()).join('\n');
}

/** A blank line between sections. */
export const BLANK: Line = [];
