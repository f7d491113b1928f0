/**
 * Python literals and comments for the generated snippets. Nothing read from a file is pasted into
 * code: numbers go through pyFloat/pyInt (which refuse anything but a finite number), strings
 * through pyString (a quoted literal with every non-printable character escaped), and text in
 * comments or docstrings through pyCommentText/pyDocText, which show control characters as
 * visible escapes, so a newline in a class name cannot end a comment and start a line of code.
 */
import type { LossParamValue } from '../../contracts/losses.js';
import { safeLine } from '../../common/safe-text.js';

/** A float as Python writes it: 2 -> 2.0, 0.0003 -> 0.0003, 1e-05 -> 1e-05. */
export function pyFloat(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`cannot export non-finite number ${value}`);
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}.0`;
  // Python's repr switches to exponent notation below 1e-4: 1e-05, 0.0003.
  const text = Math.abs(value) < 1e-4 ? value.toExponential() : String(value);
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** A whole number as a Python int; anything else is refused. */
export function pyInt(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`cannot export ${JSON.stringify(value)} as a whole number`);
  return String(value);
}

/** A Python str literal: double-quoted, with backslash, quote and every non-printable-ASCII character escaped. */
export function pyString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** Text for a `#` comment: on one line, control characters shown as escapes. */
export function pyCommentText(text: string): string {
  return safeLine(text);
}

/**
 * Text for one line inside a triple-quoted docstring: as pyCommentText, with backslashes doubled
 * and every quote that another quote follows escaped, so no run of three can close the string.
 */
export function pyDocText(text: string): string {
  return safeLine(text).replace(/\\/g, '\\\\').replace(/"(?=")/g, '\\"');
}

export function pyBool(value: boolean): string {
  return value ? 'True' : 'False';
}

export function pyValue(value: LossParamValue | number[] | undefined): string {
  if (value === null || value === undefined) return 'None';
  if (Array.isArray(value)) return `[${value.map(pyFloat).join(', ')}]`;
  if (typeof value === 'number') return pyFloat(value);
  if (typeof value === 'boolean') return pyBool(value);
  return pyString(value);
}

/** Python comment lines for a (possibly long) text, wrapped near 96 columns. */
export function pyComment(text: string, indent = ''): string[] {
  const words = pyCommentText(text).split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let current = '';
  for (const word of words) {
    if (current && current.length + word.length + 1 > 94 - indent.length) {
      lines.push(`${indent}# ${current}`);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(`${indent}# ${current}`);
  return lines;
}
