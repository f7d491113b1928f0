import { describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';

describe('cli', () => {
  it('prints help and exits 0', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const code = await main(['--help']);
    const printed = write.mock.calls.map((c) => String(c[0])).join('');
    write.mockRestore();
    expect(code).toBe(0);
    expect(printed).toContain('Usage: segloss');
  });

  it('exits 2 on an unknown command without a stack trace', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await main(['no-such-command']);
    const printed = err.mock.calls.map((c) => String(c[0])).join('');
    err.mockRestore();
    expect(code).toBe(2);
    expect(printed).not.toMatch(/\n\s+at /);
  });
});
