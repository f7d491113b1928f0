import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { expect } from 'vitest';
import { createRng } from '../../src/verify/random.js';

export const inlineCeModule = pathToFileURL(new URL('./fixtures/inline-ce.ts', import.meta.url).pathname).href;

export function randomBatch(seed: number, n: number, height: number, width: number, channels: number, numClasses: number) {
  const rng = createRng(seed);
  const pixels = n * height * width;
  return {
    images: Float32Array.from({ length: pixels * channels }, () => rng.next() * 2 - 1),
    labels: Int32Array.from({ length: pixels }, () => rng.int(numClasses)),
    n,
    height,
    width,
  };
}

/** Images whose class is readable from the pixel (a learnable batch). */
export function learnableBatch(seed: number, n: number, size: number, numClasses: number) {
  const rng = createRng(seed);
  const pixels = n * size * size;
  const labels = new Int32Array(pixels);
  const images = new Float32Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const y = Math.floor((i % (size * size)) / size);
    const x = i % size;
    labels[i] = (Math.floor(x / 4) + Math.floor(y / 4) + Math.floor(i / (size * size))) % numClasses;
    images[i * 3] = labels[i] / numClasses + 0.1 * (rng.next() - 0.5);
    images[i * 3 + 1] = rng.next() - 0.5;
    images[i * 3 + 2] = (labels[i] % 2) - 0.5;
  }
  return { images, labels, n, height: size, width: size };
}

/** Size of the wasm heap, which grows (never shrinks) when something leaks. */
function heapBytes(backend: BackendWasm): number {
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.length;
}

/**
 * Runs `step` 3 times to warm up, then `repeats` times, and expects tensors, bytes, the backend's
 * data ids and the wasm heap to stay exactly where they were (a leaked intermediate or XNNPACK
 * packed operand would grow one of them).
 */
export function expectNoLeak(backend: BackendWasm, step: () => void, repeats: number): void {
  for (let i = 0; i < 3; i++) step();
  const snapshot = () => ({ tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, dataIds: backend.numDataIds(), heap: heapBytes(backend) });
  const before = snapshot();
  for (let i = 0; i < repeats; i++) step();
  expect(snapshot()).toEqual(before);
}
