/**
 * User-supplied text (class names, file names, rule rationales, recipe fields read from a JSON
 * file) reaches the terminal and generated code. Control characters in it could move the cursor,
 * rewrite the screen, set the window title (terminal escape sequences), end a Python comment
 * (a newline) or make Python refuse the file (NUL). These helpers show such characters as visible
 * escapes (`\x1b`, `\n`, `\u202e`) instead of passing them through.
 */

/**
 * C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the bidirectional
 * overrides and isolates ("Trojan Source": text that displays in another order than it runs).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
/** The same set without the line feed: for multi-line messages. */
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  if (ch === '\t') return '\\t';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line of text with every control character shown as an escape (newlines included). */
export function safeLine(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** Text that may span lines: newlines kept, every other control character shown as an escape. */
export function safeMultiline(text: string): string {
  return text.replace(UNSAFE_BUT_NEWLINE, escapeChar);
}

/** True when the text has a character safeLine would escape. */
export function hasUnsafeCharacters(text: string): boolean {
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.test(text);
  UNSAFE.lastIndex = 0;
  return found;
}

/** segloss's own styling: SGR sequences only (colours, bold, dim, reset). */
const OWN_STYLE = /\u001b\[[0-9;]*m/y;

/**
 * Finished terminal text (plain output with segloss's own colours): newlines and SGR colour
 * sequences kept, every other control character shown as an escape. A cursor-moving or
 * title-setting sequence from user text therefore prints as `\x1b]0;...` instead of acting.
 */
export function safeTerminalText(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '\u001b') {
      OWN_STYLE.lastIndex = i;
      const match = OWN_STYLE.exec(text);
      if (match) {
        out += match[0];
        i += match[0].length;
        continue;
      }
    }
    const next = text.slice(i).search(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/);
    if (next === 0) {
      out += safeMultiline(text[i]);
      i += 1;
    } else if (next < 0) {
      out += text.slice(i);
      break;
    } else {
      out += text.slice(i, i + next);
      i += next;
    }
  }
  return out;
}
