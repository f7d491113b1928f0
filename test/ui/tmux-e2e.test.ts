/**
 * End to end in a real pseudo-terminal: `segloss recommend` runs inside tmux (so stdout is a TTY
 * and the Ink view is chosen) and the screen is read back with capture-pane. It runs twice, with
 * colour and under NO_COLOR. Skipped, with the reason, where tmux is not installed (CI runs
 * `npm ci && npm test` only).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const root = fileURLToPath(new URL('../../', import.meta.url));
const session = `segloss-e2e-${process.pid}`;
const COLUMNS = 60;
const MARKER = '=====NO_COLOR RUN=====';
const SGR = /\u001b\[[0-9;]*m/;

function tmux(...args: string[]): string {
  const result = spawnSync('tmux', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

describe.skipIf(!hasTmux)('segloss recommend in a real terminal (tmux; skipped when tmux is not installed)', () => {
  afterAll(() => {
    spawnSync('tmux', ['kill-session', '-t', session]);
  });

  it(`shows the Ink reasoning view for a ${COLUMNS}-column terminal, coloured, and without colour under NO_COLOR`, async () => {
    const done = join(mkdtempSync(join(tmpdir(), 'segloss-tmux-')), 'exit-codes');
    const recommend = `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(join(root, 'src/cli.ts'))} recommend --profile ${JSON.stringify(join(root, 'test/fixtures/ui/profile.json'))} --domain satellite`;
    // The pane outlives the commands (sleep) so the screen can be read; exit codes go to a file.
    const command = `cd ${JSON.stringify(root)} && env -u NO_COLOR -u CI TERM=xterm-256color ${recommend}; a=$?; echo ${MARKER}; env -u CI NO_COLOR=1 ${recommend}; echo "$a $?" > ${JSON.stringify(done)}; sleep 60`;
    tmux('new-session', '-d', '-s', session, '-x', String(COLUMNS), '-y', '400', command);
    const deadline = Date.now() + 50_000;
    while (!existsSync(done) || readFileSync(done, 'utf8').trim() === '') {
      if (Date.now() > deadline) throw new Error(`segloss recommend did not finish in 50 s; screen:\n${tmux('capture-pane', '-p', '-t', session, '-S', '-')}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(readFileSync(done, 'utf8').trim()).toBe('0 0');
    // -J joins lines tmux wrapped (so an over-wide line shows as one long line); -e keeps colours.
    const screen = tmux('capture-pane', '-p', '-J', '-e', '-t', session, '-S', '-');
    const [colored, plain] = screen.split(MARKER);
    expect(plain).toBeDefined();
    for (const run of [colored, plain]) {
      const text = run.replace(/\u001b\[[0-9;]*m/g, '');
      // The Ink view (not the plain text): its heading, the taken-branch markers, the recipe block.
      expect(text).toContain('Path through the flowchart');
      expect(text).toMatch(/▶ .* TAKEN/);
      expect(text).toMatch(/· .* not taken/);
      expect(text).toContain('Recipe ');
      expect(Math.max(...text.split('\n').map((line) => [...line.trimEnd()].length))).toBeLessThanOrEqual(COLUMNS);
    }
    expect(colored).toMatch(SGR);
    expect(plain).not.toMatch(SGR);
  });
});
