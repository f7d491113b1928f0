import { UserError } from '../common/errors.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/**
 * Parses a time budget such as `90s`, `5m`, `1h` or `1m30s` into seconds.
 * A bare number is read as seconds.
 */
export function parseBudget(text: string): number {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return checkPositive(Number(trimmed), text);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)([smh])/g)];
  const consumed = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || consumed !== trimmed) {
    throw new UserError(`--budget "${text}" is not a duration`, { fix: 'write it like 90s, 5m, 1h or 1m30s' });
  }
  const seconds = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_SECONDS[p[2]], 0);
  return checkPositive(seconds, text);
}

function checkPositive(seconds: number, text: string): number {
  if (!(seconds > 0)) throw new UserError(`--budget "${text}" must be longer than zero`, { fix: 'for example --budget 5m' });
  return seconds;
}

/** Formats seconds the way --budget accepts them, e.g. 300 -> "5m", 90 -> "1m30s". */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${rest ? `${rest}s` : ''}`;
}
