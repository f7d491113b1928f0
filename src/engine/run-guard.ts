/**
 * The use-after-dispose guard every engine run needs: each call first checks that the engine is
 * still up (its own `alive`), then that this run was not disposed. One place so the wasm and torch
 * engines say the same thing.
 */
export interface RunGuard {
  /** Throws when the engine or this run was disposed. */
  check(): void;
  /** Marks the run disposed; false when it already was (dispose twice is a no-op). */
  release(): boolean;
}

export function runGuard(runId: string, engineAlive: () => void): RunGuard {
  let released = false;
  return {
    check() {
      engineAlive();
      if (released) throw new Error(`run ${runId} was disposed`);
    },
    release() {
      if (released) return false;
      released = true;
      return true;
    },
  };
}
