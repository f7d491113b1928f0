/** `segloss merge PART...`: the profile.json of a sharded profile (`profile --shard K/N`), as one machine would write it. */
import { Command } from 'commander';
import { note, outputOptionsFrom, prepareOutputFolder, printJson, writeOutputFile } from '../common/output.js';

export function registerMergeCommand(program: Command): void {
  program
    .command('merge')
    .description('Merge the parts of a sharded profile (segloss profile DIR --shard K/N --out DIR) into one profile.json.')
    .argument('<parts...>', 'profile-part-K-of-N.json files, one per shard')
    .option('--json', 'print only the DatasetProfile JSON on stdout')
    .option('--out <dir>', 'write profile.json into DIR')
    .option('--no-color', 'plain text without colour')
    .action(async (files: string[], opts: Record<string, unknown>) => {
      // The merge and the Ink view load here, when merge runs, not for --help.
      const [{ mergeProfileParts }, { readProfilePart }, { validateProfile }, { profileOutput }] = await Promise.all([
        import('../profiler/merge.js'),
        import('../profiler/part-file.js'),
        import('../rules/profile-input.js'),
        import('../ui/render.js'),
      ]);
      const output = outputOptionsFrom(opts as { json?: boolean; out?: string; color?: boolean });
      if (output.out) await prepareOutputFolder(output.out);
      const parts = [];
      for (const file of files) parts.push(await readProfilePart(file));
      // The merged profile passes the same value checks as a profile read back with --profile.
      const profile = validateProfile(mergeProfileParts(parts), `the merge of ${files.length} parts`);
      if (output.out) {
        const path = await writeOutputFile(output.out, 'profile.json', `${JSON.stringify(profile, null, 2)}\n`);
        if (!output.json) note(`wrote ${path}`);
      }
      if (output.json) printJson(profile);
      else process.stdout.write(profileOutput(profile, { color: output.color }));
    });
}
