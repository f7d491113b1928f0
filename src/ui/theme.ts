/**
 * Colours per role. With colour off (NO_COLOR, --no-color) a segment gets no style at all, not
 * even bold or dim, so the output carries no ANSI escapes; the views never rely on colour alone
 * (markers such as ★, ×, ▶ carry the meaning).
 */
import type { TextProps } from 'ink';
import type { Role } from './lines.js';

const STYLES: Record<Role, TextProps> = {
  title: { bold: true },
  heading: { bold: true, color: 'cyan' },
  good: { color: 'green' },
  bad: { color: 'red' },
  warn: { color: 'yellow' },
  accent: { color: 'cyan' },
  muted: { dimColor: true },
  winner: { color: 'green', bold: true },
  rare: { color: 'magenta', bold: true },
};

export function styleFor(role: Role | undefined, color: boolean): TextProps {
  return color && role ? STYLES[role] : {};
}
