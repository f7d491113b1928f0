/**
 * Writes report.md, the JSON contracts it was made from and the verification's pictures into one directory (each file
 * atomically, through writeOutputFile). A report without a verification removes a
 * verification.json an earlier run left there, so the folder never pairs this run's report with
 * another run's results.
 */
import { readdir, rm } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { writeOutputFile } from '../common/output.js';
import { overlaysFromVerification, renderReportMarkdown, type ReportInput, type ReportOverlay } from './markdown.js';
import { writeVerificationPictures } from './pictures/index.js';

export interface WrittenReport {
  reportPath: string;
  contractPaths: string[];
}

export async function writeReport(outDir: string, input: ReportInput): Promise<WrittenReport> {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const contractPaths = [
    await writeOutputFile(outDir, 'profile.json', json(input.profile)),
    await writeOutputFile(outDir, 'recommendation.json', json(input.recommendation)),
  ];
  if (input.verification) contractPaths.push(await writeOutputFile(outDir, 'verification.json', json(input.verification)));
  else await rm(join(outDir, 'verification.json'), { force: true });
  // Links in report.md are relative to it, so the folder can be moved or published as is.
  const overlays = (input.overlays ?? [...(input.verification ? await truthOverlays(outDir) : []), ...overlaysFromVerification(input.verification)])
    .map((o) => ({ ...o, path: isAbsolute(o.path) ? relative(outDir, o.path) : o.path }));
  // Charts of the verification (and the contact sheet verify wrote), linked from the report.
  const pictures = input.pictures ?? (input.verification ? await writeVerificationPictures(outDir, input.verification) : undefined);
  const reportPath = await writeOutputFile(outDir, 'report.md', renderReportMarkdown({ ...input, overlays, pictures }));
  return { reportPath, contractPaths };
}

/** The ground-truth overlays verify writes beside the candidates' (overlays/truth/*.png), if any. */
async function truthOverlays(outDir: string): Promise<ReportOverlay[]> {
  try {
    const files = (await readdir(join(outDir, 'overlays', 'truth'))).filter((name) => name.endsWith('.png')).sort();
    return files.map((name) => ({ candidateId: 'truth', label: 'Ground truth', path: join('overlays', 'truth', name) }));
  } catch {
    return [];
  }
}
