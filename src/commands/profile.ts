/** `segloss profile DIR`: measure a dataset and print (or write) its DatasetProfile. */
import { Command } from 'commander';
import { addDatasetOptions, datasetOptionsFrom } from '../dataset/options.js';
import { interruptOnSigint } from '../common/interrupt.js';
import { isInteractive, note, outputOptionsFrom, prepareOutputFolder, printJson, writeOutputFile } from '../common/output.js';
import type { ProfileProgress } from '../contracts/events.js';
import type { Shard } from '../profiler/index.js';
import { UserError } from '../common/errors.js';
import { limited, withRange } from './option-parsers.js';

/** Progress on stderr: once runs last more than 2 s, at most once a second, then a final line. */
export function progressPrinter(interactive: boolean): { onProgress: (p: ProfileProgress) => void; finish: () => void } {
  const started = Date.now();
  let lastPrinted = 0;
  let last: ProfileProgress | null = null;
  let printedAny = false;
  const line = (p: ProfileProgress): string =>
    `profiling ${p.done}/${p.total} masks, ${p.rate.toFixed(0)} masks/s` +
    (p.etaSeconds !== null && p.done < p.total ? `, ${Math.ceil(p.etaSeconds)} s left` : '') +
    (p.skipped ? `, ${p.skipped} skipped` : '');
  return {
    onProgress(p) {
      last = p;
      const now = Date.now();
      if (now - started < 2000 || now - lastPrinted < 1000) return;
      lastPrinted = now;
      printedAny = true;
      if (interactive && process.stderr.isTTY) process.stderr.write(`\r${line(p)}\u001b[K`);
      else note(line(p));
    },
    finish() {
      if (!printedAny || !last) return;
      if (interactive && process.stderr.isTTY) process.stderr.write(`\r${line(last)}\u001b[K\n`);
      else note(line(last));
    },
  };
}

export function registerProfileCommand(program: Command): void {
  const command = program
    .command('profile')
    .description('Measure class imbalance, object scale and boundary ambiguity of a segmentation dataset.')
    .argument('<dir>', 'dataset root as published (a layout listed by `segloss formats`, e.g. ROOT/images + ROOT/masks), or a folder of masks')
    .option('--sample <n>', withRange('profile a seeded random subset of N pairs and report 95% confidence intervals', 'sample'), limited('sample'))
    .option('--seed <n>', withRange('seed of the --sample subset', 'seed'), limited('seed'), 0)
    .option('--workers <n>', withRange('worker threads (default: number of cores; 0 = main thread)', 'workers'), limited('workers'))
    .option('--shard <k/n>', 'profile shard K of N (K from 0; auto/N reads SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX) into DIR/profile-part-K-of-N.json for `segloss merge`; needs --out')
    .option('--json', 'print only the DatasetProfile JSON on stdout (with --shard: the part)')
    .option('--out <dir>', 'write profile.json into DIR')
    .option('--no-color', 'plain text without colour');
  addDatasetOptions(command);
  command.action(async (dir: string, opts: Record<string, unknown>) => {
    // The profiler and the Ink views load here, when profile runs, not for --help.
    const [{ parseShard, profileDataset }, { profileOutput }] = await Promise.all([import('../profiler/index.js'), import('../ui/render.js')]);
    const output = outputOptionsFrom(opts as { json?: boolean; out?: string; color?: boolean });
    const shard = opts.shard === undefined ? null : parseShard(String(opts.shard));
    if (shard && !output.out) throw new UserError('--shard writes a profile part for `segloss merge`, so it needs --out DIR', { fix: `add --out DIR (each shard may use the same DIR: the file is profile-part-K-of-${shard.count}.json)` });
    // A bad --out is found before the profile, not after it.
    if (output.out) await prepareOutputFolder(output.out);
    // Nothing is finished until the profile is: Ctrl-C stops at once.
    const stopListening = interruptOnSigint(new AbortController(), { canFinishGracefully: () => false });
    const progress = progressPrinter(isInteractive(output));
    const options = {
      ...datasetOptionsFrom(opts, dir),
      sample: opts.sample as number | undefined,
      seed: opts.seed as number,
      workers: opts.workers as number | undefined,
    };
    if (shard) {
      await writeShard(options, shard, output, progress, stopListening);
      return;
    }
    const profile = await profileDataset(options, progress.onProgress).finally(stopListening);
    progress.finish();
    if (output.out) {
      const path = await writeOutputFile(output.out, 'profile.json', `${JSON.stringify(profile, null, 2)}\n`);
      if (!output.json) note(`wrote ${path}`);
    }
    if (output.json) printJson(profile);
    // Ink view on a terminal, plain text (src/report/profile-text.ts) when piped.
    else process.stdout.write(profileOutput(profile, { color: output.color }));
  });
}

/** `--shard K/N`: profiles one shard and writes its part (nothing to render: merge makes the profile). */
async function writeShard(
  options: Parameters<typeof import('../profiler/index.js').profileShard>[0],
  shard: Shard,
  output: ReturnType<typeof outputOptionsFrom>,
  progress: ReturnType<typeof progressPrinter>,
  stopListening: () => void,
): Promise<void> {
  const { profileShard } = await import('../profiler/index.js');
  const part = await profileShard(options, shard, progress.onProgress).finally(stopListening);
  progress.finish();
  const name = `profile-part-${shard.index}-of-${shard.count}.json`;
  const path = await writeOutputFile(output.out!, name, `${JSON.stringify(part)}\n`);
  if (output.json) printJson(part);
  else {
    const { start, end } = part.shard;
    note(`wrote ${path}`);
    process.stdout.write(
      `shard ${shard.index} of ${shard.count}: pairs ${start + 1}..${end} (${end - start} of ${part.context.pairsFound}), ${part.accumulator.images} profiled, ${part.pairSkipped.length} skipped\n` +
        `merge all ${shard.count} parts with: segloss merge ${output.out}/profile-part-*-of-${shard.count}.json --out DIR\n`,
    );
  }
}
