/**
 * Ctrl-C during a long run. Once: abort `controller`, so the run stops after the current step and
 * writes what is finished; twice: exit at once. Before anything could be finished (profiling,
 * loading, calibrating: `canFinishGracefully` says false) the first Ctrl-C exits at once too, since
 * waiting would only delay a run with nothing to write. Every exit by Ctrl-C uses code 130
 * (128 + SIGINT), the shell convention that `npx` and `npm run` report as well, so the code is the
 * same however segloss was started. Folders the run created and left empty are removed by the
 * 'exit' handler of common/output.ts.
 */
export const INTERRUPTED_EXIT_CODE = 130;

export interface InterruptOptions {
  /** False while nothing can be finished yet: a first Ctrl-C then exits at once. Default: always true. */
  canFinishGracefully?: () => boolean;
  /** How to leave (tests inject one). */
  exit?: (code: number) => void;
  write?: (text: string) => void;
  /** What the first Ctrl-C says the run will do before it stops (default: after the current step). */
  stopping?: string;
}

/** What one Ctrl-C does (interruptOnSigint installs it for SIGINT). */
export function sigintHandler(controller: AbortController, options: InterruptOptions = {}): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const write = options.write ?? ((text: string) => process.stderr.write(text));
  return () => {
    if (controller.signal.aborted) {
      write('\nsegloss: stopped\n');
      exit(INTERRUPTED_EXIT_CODE);
      return;
    }
    if (options.canFinishGracefully && !options.canFinishGracefully()) {
      write('\nsegloss: stopped (nothing was finished yet, so nothing is written)\n');
      controller.abort();
      exit(INTERRUPTED_EXIT_CODE);
      return;
    }
    write(`\nsegloss: ${options.stopping ?? 'stopping after the current step'} and writing what is finished (Ctrl-C again to quit now)\n`);
    controller.abort();
  };
}

/** Installs the SIGINT handler; returns a function that removes it. */
export function interruptOnSigint(controller: AbortController, options: InterruptOptions = {}): () => void {
  const handler = sigintHandler(controller, options);
  process.on('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}
