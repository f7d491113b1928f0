/**
 * Errors a user can act on. The CLI prints `message` (and `fix` when given) without a stack trace
 * and exits with `exitCode`: 2 for bad usage or bad input, 1 when a run failed.
 */
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

/** Formats any thrown value as one or two lines for a user; never includes a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof UserError) {
    return error.fix ? `${error.message}\n  fix: ${error.fix}` : error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
