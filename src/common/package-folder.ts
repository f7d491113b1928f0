/**
 * A data folder shipped at the package root (rules/, formats/): found from the caller's own module
 * URL, whether segloss runs from source (src/...) or compiled (dist/src/..., one level deeper).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from './errors.js';

/**
 * The package-root folder `name` holding `marker`, looked for `levels` folders up from the
 * calling module (and one more, for dist/); a UserError (exit 1) when the installation lacks it.
 */
export function packageFolder(callerUrl: string, levels: number, name: string, marker: string): string {
  for (const up of [levels, levels + 1]) {
    const dir = fileURLToPath(new URL(`${'../'.repeat(up)}${name}`, callerUrl));
    if (existsSync(join(dir, marker))) return dir;
  }
  throw new UserError(`the built-in ${name}/ folder is missing from this installation`, { fix: `reinstall segloss (the package ships ${name}/*.json)`, exitCode: 1 });
}
