/** `segloss export FILE --to pytorch|monai|smp|keras`: the chosen recipe as code for the user's own trainer. */
import { Command, Option } from 'commander';
import { UserError } from '../common/errors.js';
import { note, writeOutputFile } from '../common/output.js';
import { dirname, basename, resolve } from 'node:path';
import { EXPORT_TARGETS, exportSnippet, loadExportSource, type ExportTarget } from '../report/export/index.js';

interface ExportOptions {
  to: ExportTarget;
  out?: string;
  candidate?: string;
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('Write the recommended (or winning) recipe as a runnable snippet for your own trainer (PyTorch, MONAI or Keras).')
    .argument('<file>', 'recommendation.json or verification.json written by segloss (--out DIR)')
    .addOption(new Option('--to <target>', 'pytorch: torch only, exactly segloss\'s losses (what verify --backend torch trains); monai: torch + MONAI losses; smp: segmentation_models_pytorch losses (differences noted); keras: tf.keras').choices([...EXPORT_TARGETS]).makeOptionMandatory())
    .option('--out <file>', 'write the snippet to this file instead of stdout')
    .option('--candidate <id>', 'with verification.json: export this candidate instead of the winner')
    .addHelpText('after', '\nFrom verification.json: the winner when the verdict is confirmed or beaten, else the recommended recipe (if it finished); the snippet header says which.')
    .action(async (file: string, options: ExportOptions) => {
      const source = await loadExportSource(file, { candidate: options.candidate ?? null });
      const snippet = exportSnippet(source, options.to);
      note(`segloss export: ${source.provenance} ("${source.recipe.id}") as ${options.to}`);
      if (options.out) {
        if (options.out.endsWith('/')) throw new UserError(`--out ${options.out} is a directory`, { fix: 'give a file name, e.g. --out loss_recipe.py' });
        const path = await writeOutputFile(dirname(resolve(options.out)), basename(options.out), snippet);
        note(`wrote ${path}`);
      } else {
        process.stdout.write(snippet);
      }
    });
}
