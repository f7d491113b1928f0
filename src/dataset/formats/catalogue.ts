/**
 * The format catalogue: the built-in format files (top-level formats/) and the user's --formats
 * files, each validated, merged by name (a later file replaces an earlier format of the same
 * name), as rule files are.
 */
import { readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { packageFolder } from '../../common/package-folder.js';
import { UserError } from '../../common/errors.js';
import { readBoundedTextFile } from '../../common/input-file.js';
import { FORMAT_FILE_LIMITS, type FormatSpec } from './schema.js';
import { parseFormatFile } from './validate.js';

export interface FormatOverride {
  name: string;
  replaced: string;
  by: string;
}

export interface FormatCatalogue {
  /** Every file read, built-in first. */
  files: string[];
  /** The formats in force, sorted by name. */
  formats: FormatSpec[];
  overrides: FormatOverride[];
}

/** The packaged formats/ folder: three levels up from src/dataset/formats, four from dist/src/dataset/formats. */
export function builtInFormatsDir(): string {
  return packageFolder(import.meta.url, 3, 'formats', 'segloss.json');
}

async function readFormatFile(path: string, shown: string): Promise<FormatSpec> {
  const text = await readBoundedTextFile(path, {
    what: 'format file',
    maxBytes: FORMAT_FILE_LIMITS.maxBytes,
    fix: 'check the path given to --formats; a format file is a small JSON file (docs/formats.md)',
  });
  return parseFormatFile(text, shown);
}

export async function loadFormatCatalogue(userFiles: string[] = [], builtInDir: string = builtInFormatsDir()): Promise<FormatCatalogue> {
  const builtIn = readdirSync(builtInDir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(builtInDir, name));
  const byName = new Map<string, FormatSpec>();
  const overrides: FormatOverride[] = [];
  const files: string[] = [];
  for (const [index, path] of [...builtIn, ...userFiles].entries()) {
    const isBuiltIn = index < builtIn.length;
    const shown = isBuiltIn ? relative(join(builtInDir, '..'), path) : path;
    const spec = await readFormatFile(path, shown);
    files.push(shown);
    if (isBuiltIn && basename(path) !== `${spec.name}.json`) {
      throw new UserError(`built-in format file ${shown} names the format "${spec.name}"; the file must be ${spec.name}.json`, { exitCode: 1 });
    }
    const previous = byName.get(spec.name);
    if (previous && !isBuiltIn) overrides.push({ name: spec.name, replaced: previous.file, by: shown });
    byName.set(spec.name, spec);
  }
  if (byName.size > FORMAT_FILE_LIMITS.maxFormats) {
    throw new UserError(`the format files hold ${byName.size} formats together, above the limit of ${FORMAT_FILE_LIMITS.maxFormats}`, { fix: `use fewer --formats files` });
  }
  const formats = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { files, formats, overrides };
}

/** The format named NAME, or a UserError listing the names there are. */
export function formatByName(catalogue: FormatCatalogue, name: string): FormatSpec {
  const found = catalogue.formats.find((f) => f.name === name.toLowerCase());
  if (found) return found;
  throw new UserError(`there is no dataset format named "${name}"`, {
    fix: `use one of ${catalogue.formats.map((f) => f.name).join(', ')} (segloss formats lists them), or add one with --formats FILE`,
  });
}
