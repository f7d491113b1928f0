/**
 * Memory of one wasm training step of verify's U-Net, for the constants of
 * src/commands/training-memory.ts (the --batch x --crop x --model-width check):
 *   npx tsx bench/train-memory.ts BATCH CROP WIDTH [DEPTH]
 * prints the RSS before and after two training steps in one thread (6 classes, Adam, CE). Run it
 * under `/usr/bin/time -f %M` for the peak. Measured here (depth 3): 16 x 64² width 8: 420 MB;
 * 32 x 64² width 8: 648 MB; 16 x 64² width 16: 628 MB; 16 x 128² width 8: 1.12 GB;
 * 8 x 256² width 16: 3.6 GB; 12 x 256² width 16: aborted in wasm (4 GB heap).
 */
import { createTrainingEngine } from '../src/engine/index.js';
import { defaultLossModuleUrl } from '../src/engine/replica.js';

const [batchSize, size, width, depth = 3] = process.argv.slice(2).map(Number);
if (![batchSize, size, width].every((n) => Number.isInteger(n) && n > 0)) {
  process.stderr.write('usage: npx tsx bench/train-memory.ts BATCH CROP WIDTH [DEPTH]\n');
  process.exit(2);
}
const numClasses = 6;
const engine = await createTrainingEngine({
  backend: 'wasm',
  threads: 1,
  model: { numClasses, inputChannels: 3, depth, baseWidth: width, seed: 1 },
  loss: { name: 'ce', params: {} },
  lossContext: { numClasses, ignoreIndex: null, classWeights: null, scaleAware: null },
  optimizer: { name: 'adam', lr: 1e-3, weightDecay: 0, momentum: null, nesterov: false },
  gradientClipNorm: null,
  lossModule: defaultLossModuleUrl(),
});
const pixels = batchSize * size * size;
const before = process.memoryUsage().rss;
const batch = {
  images: new Float32Array(pixels * 3).map(() => Math.random()),
  labels: new Int32Array(pixels).map(() => Math.floor(Math.random() * numClasses)),
  n: batchSize,
  height: size,
  width: size,
};
for (let i = 0; i < 2; i++) await engine.trainStep(batch, 1e-3);
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
console.log(JSON.stringify({ batchSize, size, width, depth, rssBeforeMB: mb(before), rssAfterMB: mb(process.memoryUsage().rss) }));
await engine.dispose();
process.exit(0);
