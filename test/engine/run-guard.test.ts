import { describe, expect, it } from 'vitest';
import { runGuard } from '../../src/engine/run-guard.js';

describe('runGuard', () => {
  it('lets a live run through, refuses it after dispose, and says whether dispose was the first', () => {
    const guard = runGuard('focal#1', () => undefined);
    expect(() => guard.check()).not.toThrow();
    expect(guard.release()).toBe(true);
    expect(() => guard.check()).toThrow('run focal#1 was disposed');
    expect(guard.release()).toBe(false);
  });

  it('checks the engine first', () => {
    const guard = runGuard('ce#2', () => {
      throw new Error('the engine was disposed');
    });
    expect(() => guard.check()).toThrow('the engine was disposed');
  });
});
