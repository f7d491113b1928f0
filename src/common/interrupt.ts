/**
 * Ctrl-C once: abort `controller` so the run stops after the current step and writes what is
 * finished; Ctrl-C twice: exit at once. Returns a function that removes the handler.
 */
export function interruptOnSigint(controller: AbortController): () => void {
  const handler = () => {
    if (controller.signal.aborted) {
      process.stderr.write('\nsegloss: stopped\n');
      process.exit(1);
    }
    process.stderr.write('\nsegloss: stopping after the current step and writing what is finished (Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}
