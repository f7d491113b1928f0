/**
 * What `verify --out` and `recommend --out` leave in OUT besides their own contract: the other
 * contracts they had on hand and report.md + report.html (with the pictures), as the demo does.
 * The contract is written first, so a picture or report that fails never loses the results; such
 * a failure is a note, not an error.
 */
import { note, writeOutputFile } from '../common/output.js';
import type { ReportInput } from './markdown.js';
import { writeReportFiles } from './write-report.js';

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export async function writeCommandOut(outDir: string, input: Required<Pick<ReportInput, 'profile' | 'recommendation' | 'verification'>>, options: { quiet: boolean }): Promise<void> {
  const say = (text: string) => {
    if (!options.quiet) note(text);
  };
  if (input.verification) say(`wrote ${await writeOutputFile(outDir, 'verification.json', json(input.verification))}`);
  if (input.recommendation) say(`wrote ${await writeOutputFile(outDir, 'recommendation.json', json(input.recommendation))}`);
  if (input.profile) say(`wrote ${await writeOutputFile(outDir, 'profile.json', json(input.profile))}`);
  try {
    const written = await writeReportFiles(outDir, input);
    for (const problem of written.pictures?.problems ?? []) note(problem);
    say(`wrote ${written.reportPath} and ${written.htmlPath}`);
  } catch (error) {
    note(`report not written: ${error instanceof Error ? error.message : String(error)} (the JSON files are; \`segloss report ${outDir}\` tries again)`);
  }
}
