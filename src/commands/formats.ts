/** `segloss formats`: list the dataset layouts segloss reads (built-in plus --formats files). Light imports: no tfjs, no sharp. */
import type { Command } from 'commander';
import { outputOptionsFrom, printJson } from '../common/output.js';
import { safeTerminalText } from '../common/safe-text.js';
import { loadFormatCatalogue } from '../dataset/formats/catalogue.js';
import { formatFormatsText, formatListing } from '../dataset/formats/listing.js';
import { collect } from './option-parsers.js';

export function registerFormatsCommand(program: Command): void {
  program
    .command('formats')
    .description('List the dataset layouts segloss reads: what detects each, its folders, label convention and the command to use.')
    .option('--formats <file>', 'add or replace layouts from a format file (repeatable; later files win)', collect, [])
    .option('--json', 'print the listing as JSON')
    .option('--no-color', 'plain text without colour')
    .action(async (opts: { formats: string[]; json?: boolean; color?: boolean }) => {
      const output = outputOptionsFrom(opts);
      const listing = formatListing(await loadFormatCatalogue(opts.formats));
      if (output.json) printJson(listing);
      else process.stdout.write(safeTerminalText(formatFormatsText(listing, { color: output.color && Boolean(process.stdout.isTTY) })));
    });
}
