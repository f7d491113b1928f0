/** `segloss report OUT`: rebuild report.md and report.html in OUT from the JSON contracts alone. */
import type { Command } from 'commander';
import { note } from '../common/output.js';
import { UserError } from '../common/errors.js';

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('Rebuild report.md and report.html (and the pictures) in OUT from the profile.json, recommendation.json and verification.json a segloss run wrote there.')
    .argument('<out>', 'the --out folder of a verify, recommend, profile or demo run')
    .action(async (out: string) => {
      const { readReportContracts } = await import('../report/read-contracts.js');
      const { writeReportFiles } = await import('../report/write-report.js');
      const contracts = await readReportContracts(out);
      let written;
      try {
        written = await writeReportFiles(out, contracts);
      } catch (error) {
        if (error instanceof UserError) throw error;
        // A contract that passed the checks but breaks the report (hand-edited fields of the wrong type).
        throw new UserError(`cannot build the report from the JSON files in ${out}: ${error instanceof Error ? error.message : String(error)}`, { fix: 'regenerate them with the segloss command that wrote them', exitCode: 1 });
      }
      note(`wrote ${written.reportPath}`);
      note(`wrote ${written.htmlPath}`);
    });
}
