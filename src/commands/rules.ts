/** `segloss rules`: list the rules in force (built-in plus --rules files) with thresholds and rationale. */
import type { Command } from 'commander';
import { outputOptionsFrom, printJson } from '../common/output.js';
import { FACTS } from '../rules/facts.js';
import { formatFactsText, formatRulesText, ruleListing } from '../rules/listing.js';
import { loadRuleSet } from '../rules/load.js';
import { collect } from './option-parsers.js';
import { safeTerminalText } from '../common/safe-text.js';

export function registerRulesCommand(program: Command): void {
  program
    .command('rules')
    .description('List the recommendation rules in force, with each threshold, its rationale and its source.')
    .option('--rules <file>', 'add or override rules from a rule file (repeatable; later files win)', collect, [])
    .option('--facts', 'list the facts rules can read instead')
    .option('--json', 'print the listing as JSON')
    .option('--no-color', 'plain text without colour')
    .action(async (opts: { rules: string[]; facts?: boolean; json?: boolean; color?: boolean }) => {
      const output = outputOptionsFrom(opts);
      const color = output.color && Boolean(process.stdout.isTTY);
      if (opts.facts) {
        if (output.json) printJson({ kind: 'FactListing', facts: FACTS });
        else process.stdout.write(safeTerminalText(formatFactsText({ color })));
        return;
      }
      const ruleSet = await loadRuleSet(opts.rules);
      if (output.json) printJson(ruleListing(ruleSet));
      else process.stdout.write(safeTerminalText(formatRulesText(ruleSet, { color })));
    });
}
