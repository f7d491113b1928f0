/** Python literals for the generated snippets. */
import type { LossParamValue } from '../../contracts/losses.js';

/** A float as Python writes it: 2 -> 2.0, 0.0003 -> 0.0003, 1e-05 -> 1e-05. */
export function pyFloat(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`cannot export non-finite number ${value}`);
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}.0`;
  // Python's repr switches to exponent notation below 1e-4: 1e-05, 0.0003.
  const text = Math.abs(value) < 1e-4 ? value.toExponential() : String(value);
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

export function pyBool(value: boolean): string {
  return value ? 'True' : 'False';
}

export function pyValue(value: LossParamValue | number[]): string {
  if (value === null) return 'None';
  if (Array.isArray(value)) return `[${value.map(pyFloat).join(', ')}]`;
  if (typeof value === 'number') return pyFloat(value);
  if (typeof value === 'boolean') return pyBool(value);
  return JSON.stringify(value);
}

/** Python comment lines for a (possibly long) text, wrapped near 96 columns. */
export function pyComment(text: string, indent = ''): string[] {
  const words = text.split(/\s+/).filter(Boolean);
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
