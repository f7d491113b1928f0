import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';

describe('segloss demo (bad usage, before any work starts)', () => {
  let stderr = '';
  beforeEach(() => {
    stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => vi.restoreAllMocks());

  it('refuses --budget together with --steps', async () => {
    expect(await main(['demo', '--budget', '2m', '--steps', '3', '--out', '/nonexistent/never-written'])).toBe(2);
    expect(stderr).toContain('--budget and --steps both given');
  });

  it('refuses a budget that is not a duration', async () => {
    expect(await main(['demo', '--budget', 'soon', '--out', '/nonexistent/never-written'])).toBe(2);
    expect(stderr).toContain('--budget "soon" is not a duration');
  });

  it('refuses too few images', async () => {
    expect(await main(['demo', '--images', '2'])).toBe(2);
    expect(stderr).toMatch(/--images.*expected a whole number in 4\.\.400/);
  });
});

describe('segloss demo --candidates', () => {
  it('refuses an unknown candidate before any work starts', async () => {
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await main(['demo', '--candidates', 'ce,lovasz', '--out', '/nonexistent/never-written'])).toBe(2);
    expect(stderr).toMatch(/lovasz/);
    vi.restoreAllMocks();
  });
});
