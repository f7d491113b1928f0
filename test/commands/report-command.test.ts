/** `segloss report OUT`: report.md and report.html rebuilt from the JSON files alone; clear errors otherwise. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { profileFixture, recommendationFixture, verificationFixture } from '../fixtures/ui/contracts.js';
import { runCli } from '../helpers/run-cli.js';

const dirs: string[] = [];
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'segloss-report-cmd-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

describe('segloss report OUT', () => {
  it('rebuilds report.md, report.html and the pictures from the three contracts', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'profile.json'), json(profileFixture));
    writeFileSync(join(dir, 'recommendation.json'), json(recommendationFixture));
    writeFileSync(join(dir, 'verification.json'), json(verificationFixture));
    const r = await runCli(['report', dir]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`wrote ${join(dir, 'report.md')}`);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md.split('\n')[2]).toMatch(/^\*\*Verdict: confirmed/);
    expect(md).toContain('## Dataset profile');
    expect(md).toContain('### Recipe: Combo 0.7 Dice + 0.3 CE');
    expect(existsSync(join(dir, 'pictures', 'learning-curves.png'))).toBe(true);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('<img src="data:image/png;base64,');
    // The contracts are read, never rewritten.
    expect(readFileSync(join(dir, 'verification.json'), 'utf8')).toBe(json(verificationFixture));
  }, 60_000);

  it('works with the verification alone, saying what is not on hand', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'verification.json'), json(verificationFixture));
    const r = await runCli(['report', dir]);
    expect(r.code).toBe(0);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('Not on hand: no `profile.json`');
    expect(md).toContain('Not on hand: no `recommendation.json`');
    expect(md).toContain('### Recipe verified: Combo 0.7 Dice + 0.3 CE');
  }, 60_000);

  it('exit 2 naming the problem: no folder, no contracts, a file that is not a verification', async () => {
    const missing = await runCli(['report', join(tmpdir(), 'segloss-no-such-folder-x')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/does not exist/);
    const empty = await runCli(['report', temp()]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/holds no profile\.json, recommendation\.json or verification\.json/);
    const dir = temp();
    writeFileSync(join(dir, 'verification.json'), json({ ...verificationFixture, candidates: [{ id: 'x' }] }));
    const bad = await runCli(['report', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/verification\.json: candidate 1 lacks/);
    writeFileSync(join(dir, 'verification.json'), json(recommendationFixture));
    const wrongKind = await runCli(['report', dir]);
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.stderr).toMatch(/verification\.json: not a VerificationReport/);
    for (const r of [missing, empty, bad, wrongKind]) expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'report.md'))).toBe(false);
  }, 60_000);
});
