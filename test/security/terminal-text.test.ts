/** Control characters from user text never reach the terminal raw (issue 13, item 1). */
import { describe, expect, it } from 'vitest';
import { safeLine, safeMultiline, safeTerminalText } from '../../src/common/safe-text.js';
import { describeError, UserError } from '../../src/common/errors.js';
import { seg } from '../../src/ui/lines.js';
import { plainProgressPrinter } from '../../src/ui/render.js';

describe('safe text', () => {
  it('shows escape sequences, carriage returns, NUL and bidi overrides as visible escapes', () => {
    expect(safeLine('a\u001b]0;owned\u0007b')).toBe('a\\x1b]0;owned\\x07b');
    expect(safeLine('x\ry\nz\u0000')).toBe('x\\ry\\nz\\x00');
    expect(safeLine('abc\u202edef')).toBe('abc\\u202edef');
    expect(safeLine('plain café ✓')).toBe('plain café ✓');
  });
  it('keeps newlines in multi-line messages only', () => {
    expect(safeMultiline('one\ntwo\u001b[2J')).toBe('one\ntwo\\x1b[2J');
  });
  it('keeps segloss\'s own colours but not a cursor move', () => {
    expect(safeTerminalText('\u001b[1mtitle\u001b[0m\nroof\u001b[2Aup')).toBe('\u001b[1mtitle\u001b[0m\nroof\\x1b[2Aup');
  });
  it('is applied to every view segment, every error and every progress line', () => {
    expect(seg('roof\u001b[2J').text).toBe('roof\\x1b[2J');
    expect(describeError(new UserError('bad class "a\u001b]0;x\u0007"', { fix: 'rename\rit' }))).toBe('bad class "a\\x1b]0;x\\x07"\n  fix: rename\\rit');
    const lines: string[] = [];
    plainProgressPrinter((line) => lines.push(line))({ kind: 'message', text: 'class \u001b[31mred\u001b[0m' });
    expect(lines).toEqual(['class \\x1b[31mred\\x1b[0m']);
  });
});
