import { readFileSync } from 'node:fs';

/** The package version, read once from package.json (two levels up from src/common or dist/src/common). */
function readVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'segloss' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}

export const SEGLOSS_VERSION = readVersion();
export const TOOL_INFO = { name: 'segloss', version: SEGLOSS_VERSION } as const;
