/**
 * Writes report.md and report.html (and the verification's pictures they show) into one directory,
 * each file atomically through writeOutputFile; `writeReport` also writes the JSON contracts the
 * report was made from. Used by `demo`, `verify --out`, `recommend --out` and `segloss report`.
 * A report without a verification removes a verification.json an earlier run left there, so the
 * folder never pairs this run's report with another run's results.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { writeOutputFile } from '../common/output.js';
import { safeRelativePath, toMarkdown, type Block } from './document.js';
import { renderReportHtml } from './html.js';
import { buildReportDocument, overlaysFromVerification, type ReportInput, type ReportOverlay, type ReportPictures } from './markdown.js';

export interface WrittenReport {
  reportPath: string;
  htmlPath: string;
  contractPaths: string[];
  /** The pictures the report shows (paths relative to OUT), with what could not be drawn. */
  pictures?: ReportPictures;
}

/** Embedded pictures larger than this are linked instead (a report stays openable). */
const MAX_EMBEDDED_BYTES = 16 * 1024 * 1024;

export async function writeReport(outDir: string, input: ReportInput): Promise<WrittenReport> {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const contractPaths: string[] = [];
  if (input.profile) contractPaths.push(await writeOutputFile(outDir, 'profile.json', json(input.profile)));
  if (input.recommendation) contractPaths.push(await writeOutputFile(outDir, 'recommendation.json', json(input.recommendation)));
  if (input.verification) contractPaths.push(await writeOutputFile(outDir, 'verification.json', json(input.verification)));
  else await rm(join(outDir, 'verification.json'), { force: true });
  return { ...(await writeReportFiles(outDir, input)), contractPaths };
}

/** report.md and report.html from the contracts on hand (the pictures drawn first unless given). */
export async function writeReportFiles(outDir: string, input: ReportInput): Promise<Omit<WrittenReport, 'contractPaths'>> {
  // Links in the report are relative to it, so the folder can be moved or published as is.
  const overlays = (input.overlays ?? [...(input.verification ? await truthOverlays(outDir) : []), ...overlaysFromVerification(input.verification)])
    .map((o) => ({ ...o, path: isAbsolute(o.path) ? relative(outDir, o.path) : o.path }));
  // Charts of the verification (and the contact sheet verify wrote), linked from the report.
  let pictures = input.pictures;
  if (!pictures && input.verification) {
    // Loaded here: Vega and sharp are needed only when there is a verification to draw.
    const { writeVerificationPictures } = await import('./pictures/index.js');
    pictures = await writeVerificationPictures(outDir, input.verification);
  }
  const blocks = buildReportDocument({ ...input, overlays, pictures });
  const reportPath = await writeOutputFile(outDir, 'report.md', toMarkdown(blocks));
  const images = await embeddedImages(outDir, blocks);
  const htmlPath = await writeOutputFile(outDir, 'report.html', renderReportHtml(blocks, (path) => images.get(path) ?? null));
  return { reportPath, htmlPath, pictures };
}

/** Every picture the blocks show or link (relative paths), read from OUT as data: URIs. */
async function embeddedImages(outDir: string, blocks: readonly Block[]): Promise<Map<string, string>> {
  const paths = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (typeof record.src === 'string') paths.add(record.src);
      if (typeof record.link === 'string' && /\.(svg|png)$/i.test(record.link)) paths.add(record.link);
      for (const child of Object.values(record)) if (typeof child === 'object') visit(child);
    }
  };
  visit(blocks);
  const root = resolve(outDir);
  const out = new Map<string, string>();
  for (const path of paths) {
    if (safeRelativePath(path) === null) continue;
    const full = resolve(root, path);
    if (!full.startsWith(root + sep)) continue; // never outside OUT
    const type = /\.svg$/i.test(path) ? 'image/svg+xml' : /\.png$/i.test(path) ? 'image/png' : null;
    if (!type) continue;
    try {
      if ((await stat(full)).size > MAX_EMBEDDED_BYTES) continue;
      out.set(path, `data:${type};base64,${(await readFile(full)).toString('base64')}`);
    } catch {
      // A picture that is gone is left out of the page; report.md still links it.
    }
  }
  return out;
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
