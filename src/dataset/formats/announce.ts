/**
 * The line saying which dataset format was read and why ("dataset format: cityscapes (found
 * leftImg8bit/ and gtFine/), split train"), with the format's notes, on stderr. Commands index a
 * dataset more than once (verify checks it, then loads it): each line is printed once per process.
 */
import { note } from '../../common/output.js';
import type { FormatChoice } from '../types.js';

const printed = new Set<string>();

export function formatChoiceText(choice: FormatChoice, root: string | null): string {
  const split = choice.split === null ? '' : `, split ${choice.split}`;
  return `dataset format: ${choice.name} (${choice.reason})${split}${root ? ` at ${root}` : ''}`;
}

export function announceFormat(choice: FormatChoice | undefined, notes: string[], root: string | null): void {
  const lines = [...(choice ? [formatChoiceText(choice, root)] : []), ...notes.map((line) => `  ${line}`)];
  const text = lines.join('\n');
  if (lines.length === 0 || printed.has(text)) return;
  printed.add(text);
  note(text);
}
