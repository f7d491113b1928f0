/**
 * Errors a user can act on. The CLI prints `message` (and `fix` when given) without a stack trace
 * and exits with `exitCode`: 2 for bad usage or bad input, 1 when a run failed.
 */
import { safeMultiline } from './safe-text.js';

export class UserError extends Error {
  readonly exitCode: 1 | 2;
  readonly fix: string | undefined;

  constructor(message: string, options: { fix?: string; exitCode?: 1 | 2; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.exitCode = options.exitCode ?? 2;
    this.fix = options.fix;
  }
}

/**
 * Formats any thrown value as one or two lines for a user; never includes a stack trace. Messages
 * quote file names and values from the input, so control characters are shown as escapes.
 */
export function describeError(error: unknown): string {
  if (error instanceof UserError) {
    return safeMultiline(error.fix ? `${error.message}\n  fix: ${error.fix}` : error.message);
  }
  if (error instanceof Error) return safeMultiline(error.message);
  return safeMultiline(String(error));
}
