/** `segloss sample OUT`: write the seeded synthetic satellite-like dataset with its truth.json. */
import { Command } from 'commander';
import { note, outputOptionsFrom, prepareOutputFolder, printJson } from '../common/output.js';
import type { SampleTruth } from '../contracts/sample.js';
import { DEFAULT_SAMPLE_OPTIONS, resolveSampleOptions } from '../dataset/sample/options.js';
import { closedFraction, limited, withRange } from './option-parsers.js';
import { safeTerminalText } from '../common/safe-text.js';

const percent = (x: number): string => (x >= 0.01 ? `${(100 * x).toFixed(2)}%` : `${(100 * x).toFixed(3)}%`);

export function formatSampleSummary(out: string, truth: SampleTruth): string {
  const width = Math.max(...truth.classNames.map((n) => n.length));
  const lines = [
    `wrote ${truth.images} images + masks of ${truth.width}x${truth.height} to ${out} (seed ${truth.seed})`,
    `  ${'class'.padEnd(width)}  pixel share  objects  images`,
    ...truth.classNames.map(
      (name, c) =>
        `  ${name.padEnd(width)}  ${percent(truth.classShares[c]).padStart(11)}  ${String(c === 0 ? '-' : truth.objectCounts[c]).padStart(7)}  ${String(truth.imagesWithClass[c]).padStart(6)}`,
    ),
    `  ambiguous (low-contrast) boundary share: ${truth.ambiguousBoundaryShare.toFixed(3)} of ${truth.boundaryPixels} boundary pixels`,
    `  truth.json has the exact values; profile it with: segloss profile ${out}`,
  ];
  return `${lines.join('\n')}\n`;
}

export function registerSampleCommand(program: Command): void {
  const d = DEFAULT_SAMPLE_OPTIONS;
  program
    .command('sample')
    .description('Write a seeded synthetic satellite-like dataset (images/, masks/, classes.json, truth.json) in the article\'s setting.')
    .argument('<out>', 'output folder (created if missing)')
    .option('--seed <n>', withRange('random seed', 'seed'), limited('seed'), d.seed)
    .option('--images <n>', withRange('number of image/mask pairs', 'sample-images'), limited('sample-images'), d.images)
    .option('--size <n>', withRange('tile side in pixels (square tiles)', 'sample-size'), limited('sample-size'), d.size)
    .option('--blurred-share <x>', 'share of object edges rendered low-contrast like shadows, 0..1', closedFraction, d.blurredShare)
    .option('--balanced', 'dense urban blocks with roughly balanced classes instead of the article\'s rare buildings')
    .option('--json', 'print only truth.json\'s content on stdout')
    .option('--no-color', 'plain text without colour')
    .action(async (out: string, opts: Record<string, unknown>) => {
      const output = outputOptionsFrom(opts as { json?: boolean; color?: boolean });
      const options = resolveSampleOptions({
        seed: opts.seed as number,
        images: opts.images as number,
        size: opts.size as number,
        blurredShare: opts.blurredShare as number,
        balanced: Boolean(opts.balanced),
      });
      const dir = await prepareOutputFolder(out, 'OUT');
      // The generator (and sharp, to encode PNGs) loads here, when sample runs, not for --help.
      const { writeSampleDataset } = await import('../dataset/sample/index.js');
      const started = Date.now();
      let lastNote = started;
      const truth = await writeSampleDataset(dir, options, (done, total) => {
        const now = Date.now();
        if (now - lastNote < 1000 || done === total) return;
        lastNote = now;
        note(`sample: ${done}/${total} tiles written`);
      });
      if (output.json) printJson(truth);
      else process.stdout.write(safeTerminalText(formatSampleSummary(out, truth)));
    });
}
