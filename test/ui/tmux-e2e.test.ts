/**
 * End to end in a real pseudo-terminal: `segloss recommend` runs inside tmux (so stdout is a TTY
 * and the Ink view is chosen) and the screen is read back with capture-pane. Skipped, with the
 * reason, where tmux is not installed (CI runs `npm ci && npm test` only).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const root = fileURLToPath(new URL('../../', import.meta.url));
const session = `segloss-e2e-${process.pid}`;
const COLUMNS = 60;

function tmux(...args: string[]): string {
  const result = spawnSync('tmux', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

describe.skipIf(!hasTmux)('segloss recommend in a real terminal (tmux)', () => {
  afterAll(() => {
    spawnSync('tmux', ['kill-session', '-t', session]);
  });

  it(`shows the Ink reasoning view laid out for a ${COLUMNS}-column terminal`, async () => {
    const done = join(mkdtempSync(join(tmpdir(), 'segloss-tmux-')), 'exit-code');
    const profile = join(root, 'test/fixtures/ui/profile.json');
    const cli = join(root, 'src/cli.ts');
    // The pane outlives the command (sleep) so the screen can be read; the exit code goes to a file.
    const command = `cd ${JSON.stringify(root)} && env -u NO_COLOR ${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(cli)} recommend --profile ${JSON.stringify(profile)} --domain satellite; echo $? > ${JSON.stringify(done)}; sleep 60`;
    tmux('new-session', '-d', '-s', session, '-x', String(COLUMNS), '-y', '300', command);
    const deadline = Date.now() + 45_000;
    while (!existsSync(done) || readFileSync(done, 'utf8').trim() === '') {
      if (Date.now() > deadline) throw new Error(`segloss recommend did not finish in 45 s; screen:\n${tmux('capture-pane', '-p', '-t', session, '-S', '-')}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // -J joins lines tmux wrapped, so a line wider than the terminal shows up as one long line.
    const screen = tmux('capture-pane', '-p', '-J', '-t', session, '-S', '-');
    expect(readFileSync(done, 'utf8').trim()).toBe('0');
    // The Ink view (not the plain text): its heading, the taken-branch markers, the recipe block.
    expect(screen).toContain('Path through the flowchart');
    expect(screen).toMatch(/▶ .* TAKEN/);
    expect(screen).toMatch(/· .* not taken/);
    expect(screen).toContain('Recipe ');
    expect(screen).toMatch(/satellite/);
    const lines = screen.split('\n');
    expect(Math.max(...lines.map((line) => [...line.trimEnd()].length))).toBeLessThanOrEqual(COLUMNS);
  });
});
