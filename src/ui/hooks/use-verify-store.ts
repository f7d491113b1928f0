import { useSyncExternalStore } from 'react';
import type { VerifyState, VerifyStore } from '../verify-state.js';

/** The live verify state; re-renders whenever the training loop pushes an event. */
export function useVerifyState(store: VerifyStore): VerifyState {
  return useSyncExternalStore(store.subscribe, store.getState, store.getState);
}
