/**
 * Start-up (issue 21): `--version`, `--help`, every command's `--help`, `rules` and `export`
 * import no training engine, no tfjs, no sharp, no Ink/React, no Vega and no worker pool: each
 * command is imported only when it is run (src/cli.ts), and a command's heavy stages only when its
 * action runs. Checked on the module graph (a resolve hook reports every import of a
 * child process), not on time; the timing is `npm run bench:startup`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HOOK = './test/helpers/log-imports.mjs';
const HEAVY = ['@tensorflow/', 'sharp', 'geotiff', 'nifti-reader-js', 'ink', 'react', 'vega', 'piscina', 'opencv-wasm', 'json-rules-engine', '/src/engine/', '/src/verify/run', '/src/profiler/'];
/** Engine modules that hold only constants and parsers for the help text (no tfjs, no runner). */
const LIGHT_ENGINE_MODULES = ['/src/engine/unet-defaults.ts', '/src/engine/torch/devices.ts'];

/** The module URLs a node process resolves running `args` (tsx compiles src/ on the fly). */
function importsOf(args: string[]): Promise<{ code: number | null; imports: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', HOOK, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, imports: stderr.split('\n').filter((l) => l.startsWith('IMPORT ')).map((l) => l.slice(7)) }));
  });
}

function heavyIn(imports: string[]): string[] {
  return imports.filter((url) => !LIGHT_ENGINE_MODULES.some((m) => url.endsWith(m)) && HEAVY.some((h) => (h.startsWith('/') ? url.includes(h) : url.includes(`/node_modules/${h}`))));
}

describe('start-up imports', () => {
  it('the hook sees a package import (control)', async () => {
    const { imports } = await importsOf(['--input-type=module', '-e', "await import('sharp')"]);
    expect(heavyIn(imports).some((u) => u.includes('/node_modules/sharp'))).toBe(true);
  }, 30_000);

  it('--version, --help, rules, rules --facts, export --help, report --help and formats load none of the heavy stages', async () => {
    const runs = await Promise.all([['--version'], ['--help'], ['rules'], ['rules', '--facts'], ['export', '--help'], ['report', '--help'], ['formats'], ['formats', '--json']].map(async (args) => ({ args, ...(await importsOf(['src/cli.ts', ...args])) })));
    for (const run of runs) {
      expect(run.code, run.args.join(' ')).toBe(0);
      expect(run.imports.some((u) => u.endsWith('/src/cli.ts')), run.args.join(' ')).toBe(true);
      expect(heavyIn(run.imports), run.args.join(' ')).toEqual([]);
    }
  }, 60_000);

  it('every command\'s --help loads none of them: the options are defined apart from what the command runs', async () => {
    const { COMMANDS } = await import('../src/cli.js');
    const runs = await Promise.all(COMMANDS.map(async ({ name }) => ({ name, ...(await importsOf(['src/cli.ts', name, '--help'])) })));
    for (const run of runs) {
      expect(run.code, `${run.name} --help`).toBe(0);
      expect(run.imports.some((u) => u.includes(`/src/commands/${run.name}.ts`)), `${run.name} --help imports its command`).toBe(true);
      expect(heavyIn(run.imports), `${run.name} --help`).toEqual([]);
    }
  }, 90_000);

  it('export of a recommendation loads none of them either', async () => {
    const run = await importsOf(['src/cli.ts', 'export', 'test/fixtures/rules/recommendation-satellite.json', '--to', 'pytorch']);
    expect(run.code).toBe(0);
    expect(heavyIn(run.imports)).toEqual([]);
  }, 30_000);
});
