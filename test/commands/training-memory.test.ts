/** The memory check of verify's training step (issue 13 item 7: --batch 100000 reached 13 GB, then crashed in wasm). */
import { describe, expect, it } from 'vitest';
import { checkTrainingMemory, estimateTrainingMemory } from '../../src/commands/training-memory.js';

const GB = 1e9;
const shape = (batch: number, crop: number, modelWidth: number, threads = 2, wasm = true) => ({ batch, crop, modelWidth, threads, wasm });

describe('training memory check', () => {
  it('matches the measured cost of one wasm worker within 15%', () => {
    // Measured (RSS after two steps, one worker, depth 3): 8 x 256² at width 16 -> 3.6 GB; 16 x 64² at width 8 -> 0.42 GB.
    expect(estimateTrainingMemory(shape(8, 256, 16, 1)).perWorker / (3.6 * 2 ** 30)).toBeCloseTo(1, 0);
    expect(Math.abs(estimateTrainingMemory(shape(16, 64, 8, 1)).perWorker / (0.42 * 2 ** 30) - 1)).toBeLessThan(0.15);
  });

  it('passes the defaults and what ran; refuses what crashed', () => {
    expect(() => checkTrainingMemory(shape(8, 64, 8), 16 * GB)).not.toThrow();
    expect(() => checkTrainingMemory(shape(8, 256, 16, 1), 64 * GB)).not.toThrow(); // ran: 3.6 GB in one worker
    expect(() => checkTrainingMemory(shape(12, 256, 16, 1), 64 * GB)).toThrow(/above the 4 GB a wasm heap can hold/); // aborted in wasm
    expect(() => checkTrainingMemory(shape(100_000, 64, 8), 24 * GB)).toThrow(/--batch 100000 x --crop 64² x --model-width 8 needs about \d+ GB for one training step, more than half of this machine's 24 GB \(about 14 MB per crop\)/);
  });

  it('the fix names a batch that fits, or a smaller crop when not even one crop fits', () => {
    let message = '';
    try {
      checkTrainingMemory(shape(64, 256, 16), 64 * GB);
    } catch (error) {
      message = String((error as { fix?: string }).fix);
    }
    const suggested = Number(/--batch (\d+) or less/.exec(message)?.[1]);
    expect(suggested).toBeGreaterThan(0);
    expect(() => checkTrainingMemory(shape(suggested, 256, 16), 64 * GB)).not.toThrow();
    expect(() => checkTrainingMemory(shape(suggested + 1, 256, 16), 64 * GB)).toThrow();
    expect(() => checkTrainingMemory(shape(1, 1024, 64), 64 * GB)).toThrow(expect.objectContaining({ fix: expect.stringMatching(/use a smaller --crop or --model-width: one 1024² crop at width 64 alone needs/) }));
  });

  it('native TensorFlow has no 4 GB wasm cap, only the machine share', () => {
    expect(() => checkTrainingMemory(shape(12, 256, 16, 1, false), 64 * GB)).not.toThrow();
  });
});
