/**
 * Issue 13, the CLI's part: hostile but fair input to the commands. Each case was a hang, a crash,
 * unbounded memory or a silent wrong answer before; now a clear message naming the flag, field or
 * file, and the documented exit code.
 */
import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeSampleDataset } from '../../src/dataset/sample/index.js';
import { buildProfile } from '../rules/profile-builder.js';
import { runCli } from '../helpers/run-cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RECOMMENDATION = fileURLToPath(new URL('../fixtures/ui/recommendation.json', import.meta.url));

const run = runCli;

/** Runs the real CLI in a child process (stdout is not a mock there). */
function spawnCli(args: string[], stdoutFile?: string) {
  const shell = `exec node --import tsx src/cli.ts ${args.map((a) => `'${a}'`).join(' ')}${stdoutFile ? ` > ${stdoutFile}` : ''}`;
  return spawnSync('bash', ['-c', shell], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
}

let dir: string;
let dataset: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'segloss-hostile-'));
  dataset = join(dir, 'data');
  await writeSampleDataset(dataset, { seed: 3, images: 6, size: 64 });
});

afterEach(() => {
  process.exitCode = undefined;
});

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at /);

describe('item 6: --out is checked before any work, and nothing loops', () => {
  // Before: Node's recursive mkdir looped for ever under /proc (the test timed out).
  it.each([
    ['profile', () => ['profile', dataset, '--out', '/proc/segloss-x']],
    ['recommend', () => ['recommend', dataset, '--out', '/proc/segloss-x']],
    ['recommend --profile', () => ['recommend', '--profile', writeJson('p.json', buildProfile()), '--out', '/proc/segloss-x/y']],
    ['verify', () => ['verify', dataset, '--steps', '2', '--out', '/proc/segloss-x']],
    ['export', () => ['export', RECOMMENDATION, '--to', 'pytorch', '--out', '/proc/segloss-x/recipe.py']],
    ['sample', () => ['sample', '/proc/segloss-x/data']],
    ['demo', () => ['demo', '--steps', '2', '--out', '/proc/segloss-x']],
  ])('%s --out /proc/x: exit 2 naming the folder', async (_name, args) => {
    const r = await run(args());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\/proc\/segloss-x.*cannot create the folder \/proc\/segloss-x/);
    noStack(r.stderr);
  }, 15_000);

  it('--out naming a file fails first, before profiling (was: exit 1 after all the work)', async () => {
    const file = writeJson('a-file.json', {});
    for (const args of [['profile', dataset, '--out', file], ['recommend', dataset, '--out', file]]) {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--out ${file} is not a folder (it is a file)`);
      expect(r.stdout).toBe(''); // no profile was printed: the check came first
    }
  });

  it('a run that stops on bad input leaves no folder it created', async () => {
    const out = join(dir, 'fresh', 'nested', 'out');
    const r = await run(['recommend', '--profile', writeJson('bad.json', { ...buildProfile(), kind: 'nope' }), '--out', out]);
    expect(r.code).toBe(2);
    expect(existsSync(join(dir, 'fresh'))).toBe(false);
  });
});

describe('item 7: every numeric flag is bounded, and the bound is in --help', () => {
  // Before: these reached the run (a V8 OOM, 931 threads, 13 GB, 926M steps); with a missing
  // dataset they then failed on the dataset instead of the flag.
  it.each([
    [['verify', 'no-such-dir', '--seeds', '1000000000'], /--seeds <k>.*1000000000.*1\.\.50/],
    [['verify', 'no-such-dir', '--folds', '1000'], /--folds <k>.*1000.*1\.\.20/],
    [['verify', 'no-such-dir', '--threads', '1000'], /--threads <n>.*1000.*1\.\.\d+/],
    [['verify', 'no-such-dir', '--batch', '100000'], /--batch <n>.*100000.*1\.\.1024/],
    [['verify', 'no-such-dir', '--steps', '926000000'], /--steps <n>.*1\.\.1_000_000/],
    [['verify', 'no-such-dir', '--crop', '100000'], /--crop <px>.*8\.\.1024/],
    [['verify', 'no-such-dir', '--model-width', '4096'], /--model-width <n>.*2\.\.64/],
    [['verify', 'no-such-dir', '--model-depth', '40'], /--model-depth <n>.*1\.\.6/],
    [['verify', 'no-such-dir', '--val-fraction', '0.999'], /--val-fraction <f>.*0\.01\.\.0\.9/],
    [['verify', 'no-such-dir', '--max-images', '10000000'], /--max-images <n>.*2\.\.5000/],
    [['profile', 'no-such-dir', '--workers', '1000'], /--workers <n>.*0\.\.\d+/],
    [['profile', 'no-such-dir', '--sample', '1e12'], /--sample <n>.*1\.\.10_000_000/],
    [['sample', join(tmpdir(), 'never'), '--images', '50000000'], /--images <n>.*1\.\.100_000/],
    [['demo', '--images', '100000'], /--images <n>.*4\.\.400/],
  ])('%j is refused with its range (exit 2)', async (args, message) => {
    const r = await run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('--budget is at most 24h (was: 99999h gave 926M steps and no progress for 10 minutes)', async () => {
    const r = await run(['verify', 'no-such-dir', '--budget', '99999h']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--budget 99999h is longer than the limit of 24h/);
  });

  it('batch x crop² x width is checked against memory before anything is allocated', async () => {
    const r = await run(['verify', 'no-such-dir', '--batch', '1024', '--crop', '256', '--model-width', '16', '--threads', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--batch 1024 x --crop 256² x --model-width 16 needs about \d+ GB for one training step, more than half of this machine's/);
    expect(r.stderr).toMatch(/fix: use --batch \d+ or less/);
  });

  it('says each bound in --help', async () => {
    const help = (await run(['verify', '--help'])).stdout.replace(/\s+/g, ' ');
    for (const bound of ['(1..50)', '(1..1024)', '(8..1024)', '(1..1_000_000)', '(2..64)', '(1..6)', '(0.01..0.9)', '(2..5000)', 'at most 24h']) expect(help).toContain(bound);
    expect((await run(['profile', '--help'])).stdout.replace(/\s+/g, ' ')).toMatch(/\(0\.\.\d+\)/);
  });
});

function writeJson(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

const RULE = {
  step: 'extension',
  priority: 10,
  rationale: 'test',
  source: 'test',
  conditions: { all: [{ fact: 'imbalanceRatio', operator: 'greaterThan', value: 5 }] },
  then: { note: 'n' },
};
const ruleFile = (rules: unknown[]) => ({ schema: 'segloss-rules/1', rules });

describe('item 8: rule files are bounded before any rule is evaluated', () => {
  it('too many rules: exit 2 naming the file and the limit (was: a 137 MB recommendation, then a stack overflow)', async () => {
    const file = writeJson('many.json', ruleFile(Array.from({ length: 501 }, (_, i) => ({ ...RULE, name: `r-${i}` }))));
    const r = await run(['recommend', '--profile', writeJson('p.json', buildProfile()), '--rules', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`rule file ${file} has 501 rules, above the limit of 500 per file`);
  });

  it('too large a file, too deep a nesting, a FIFO: exit 2 naming the file', async () => {
    const profile = writeJson('p.json', buildProfile());
    const big = writeJson('big.json', `${JSON.stringify(ruleFile([]))}${' '.repeat(1024 * 1024)}`);
    expect((await run(['rules', '--rules', big])).stderr).toMatch(/rule file .*big\.json is 1\.0 MB, above the limit of 1 MB/);
    const deep = writeJson('deep.json', `{"schema":"segloss-rules/1","rules":[{"name":"d","step":"s","priority":1,"rationale":"r","source":"s","conditions":{"all":[{"fact":"numClasses","operator":"in","value":${'['.repeat(100_000)}${']'.repeat(100_000)}}]},"then":{"note":"n"}}]}`);
    const deepRun = await run(['recommend', '--profile', profile, '--rules', deep]);
    expect(deepRun.code).toBe(2);
    expect(deepRun.stderr).toMatch(/rule file .*deep\.json nests arrays and objects 100006 deep, above the limit of 32/);
    const fifo = join(dir, 'rules.fifo');
    execFileSync('mkfifo', [fifo]);
    const fifoRun = await run(['rules', '--rules', fifo]);
    expect(fifoRun.code).toBe(2);
    expect(fifoRun.stderr).toContain(`cannot read rule file ${fifo}: it is not a regular file`);
  }, 15_000);

  it('conditions per rule are bounded', async () => {
    const leaves = Array.from({ length: 201 }, () => ({ fact: 'imbalanceRatio', operator: 'greaterThan', value: 5 }));
    const file = writeJson('wide.json', ruleFile([{ ...RULE, name: 'wide', conditions: { any: leaves } }]));
    const r = await run(['rules', '--rules', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/rule "wide": has 201 conditions, above the limit of 200 per rule/);
  });
});

describe('the same class elsewhere: every JSON file segloss reads back is a bounded regular file', () => {
  it.each([
    ['export', (f: string) => ['export', f, '--to', 'pytorch'], 'contract'],
    ['verify --recommendation', (f: string) => ['verify', dataset, '--recommendation', f, '--steps', '2'], 'recommendation'],
    ['recommend --profile', (f: string) => ['recommend', '--profile', f], 'profile'],
  ])('%s: a FIFO is refused (was: a hang), /dev/zero too (was: memory without end)', async (_name, args, what) => {
    const fifo = join(dir, `${what}.fifo`);
    execFileSync('mkfifo', [fifo]);
    for (const file of [fifo, '/dev/zero']) {
      const r = await run(args(file));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`cannot read ${what} ${file}: it is not a regular file`);
    }
  }, 15_000);
});

describe('item 12: recommend --profile checks the VALUES of a profile', () => {
  const base = buildProfile({ shares: [0.9, 0.06, 0.04] });
  it.each([
    ['a negative background share', { aggregates: { ...base.aggregates, backgroundShare: -3, foregroundShare: 4 } }, /aggregates\.backgroundShare must be a share in \[0, 1\], got -3/],
    ['a share of 5.0', { aggregates: { ...base.aggregates, smallestForegroundShare: 5 } }, /aggregates\.smallestForegroundShare must be a share in \[0, 1\], got 5/],
    ['a fractional count', { aggregates: { ...base.aggregates, rareClassCount: 1.5 } }, /aggregates\.rareClassCount must be a whole number >= 0, got 1\.5/],
    ['a negative count', { aggregates: { ...base.aggregates, objectCount: -1 } }, /aggregates\.objectCount must be a whole number >= 0, got -1/],
    ['an unordered CI', { aggregates: { ...base.aggregates, backgroundShareCI95: [0.95, 0.85] } }, /aggregates\.backgroundShareCI95 must be \[low, high\] with 0 <= low <= high <= 1/],
    ['numClasses against the class list', { aggregates: { ...base.aggregates, numClasses: 7 } }, /classes must list numClasses \(7\) classes, one per id; it lists 3/],
    ['a class share out of range', { classes: base.classes.map((c, i) => (i === 1 ? { ...c, pixelShare: -0.5 } : c)) }, /classes\[1\]\.pixelShare must be a share in \[0, 1\], got -0\.5/],
    ['background and foreground not adding up', { aggregates: { ...base.aggregates, foregroundShare: 0.5 } }, /aggregates\.foregroundShare must be 1 - backgroundShare/],
    ['an imbalance ratio below 1', { aggregates: { ...base.aggregates, imbalanceRatio: 0.2 } }, /aggregates\.imbalanceRatio must be a number >= 1/],
  ])('%s: exit 2 naming the field and the file (was: exit 0 and a recommendation)', async (_what, change, message) => {
    const file = writeJson('bad-values.json', { ...base, ...change });
    const r = await run(['recommend', '--profile', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain(file);
    expect(r.stdout).toBe('');
  });

  it('a profile segloss wrote is accepted', async () => {
    const out = join(dir, 'profiled');
    expect((await run(['profile', dataset, '--out', out])).code).toBe(0);
    expect((await run(['recommend', '--profile', join(out, 'profile.json'), '--json'])).code).toBe(0);
  }, 30_000);
});

describe('item 15: keys from a rule file are never looked up through the prototype', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('lossParams key "%s": exit 2 naming the key', async (key) => {
    // Before: "spec.values?.join is not a function" (exit 1) or "must be one of undefined".
    const text = `{"schema":"segloss-rules/1","rules":[{"name":"proto","step":"s","priority":1,"rationale":"r","source":"s","conditions":{"all":[]},"then":{"lossParams":{"${key}":1}}}]}`;
    const r = await run(['rules', '--rules', writeJson(`proto-${key}.json`, text)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`unknown loss parameter "${key}": not a parameter of any loss`);
  });

  it.each(['constructor', '__proto__'])('a loss parameter "%s" in `use` is refused too', async (key) => {
    const text = `{"schema":"segloss-rules/1","rules":[{"name":"proto","step":"s","priority":1,"rationale":"r","source":"s","conditions":{"all":[]},"then":{"use":{"id":"x","title":"x","loss":{"name":"focal","params":{"${key}":1}}}}}]}`;
    const r = await run(['rules', '--rules', writeJson(`use-${key}.json`, text)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`unknown parameter "${key}" for loss focal`);
  });
});

describe('item 14: a failed write to stdout is an error; a closed pipe is not', () => {
  it('--json to /dev/full exits 1 with a message (was: exit 0)', () => {
    const r = spawnCli(['rules', '--json'], '/dev/full');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the output could not be written to stdout \(no space left on the device, ENOSPC\)/);
  }, 60_000);

  it('export to /dev/full exits 1 (was: exit 0)', () => {
    const r = spawnCli(['export', RECOMMENDATION, '--to', 'pytorch'], '/dev/full');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/could not be written to stdout/);
  }, 60_000);

  it('EPIPE (| head) stays a quiet exit 0', () => {
    const r = spawnSync('bash', ['-c', 'set -o pipefail; node --import tsx src/cli.ts rules --json | head -c 1 >/dev/null'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  }, 60_000);
});

describe('smaller: folders and files of a run', () => {
  it('a double Ctrl-C (process.exit) removes the --out folders the run created while empty', () => {
    const out = join(dir, 'ctrl-c', 'out');
    const script = `import { prepareOutputFolder } from './src/common/output.ts'; await prepareOutputFolder(${JSON.stringify(out)}); process.exit(130);`;
    const r = spawnSync('node', ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(130);
    expect(existsSync(join(dir, 'ctrl-c'))).toBe(false);
  }, 60_000);

  it('contract files are replaced by rename, never rewritten in place', async () => {
    const out = join(dir, 'twice');
    mkdirSync(out, { recursive: true });
    const profile = writeJson('p2.json', buildProfile());
    expect((await run(['recommend', '--profile', profile, '--out', out])).code).toBe(0);
    const { inode: first } = inodeOf(join(out, 'recommendation.json'));
    expect((await run(['recommend', '--profile', profile, '--out', out, '--domain', 'medical'])).code).toBe(0);
    // A new file took the name (an in-place write keeps the inode and can be read half-written).
    expect(inodeOf(join(out, 'recommendation.json')).inode).not.toBe(first);
    // recommend --out also writes the profile it used and the report (issue 21).
    expect(readdirSync(out).sort()).toEqual(['profile.json', 'recommendation.json', 'report.html', 'report.md']);
  });
});

function inodeOf(path: string): { inode: number } {
  return { inode: Number(execFileSync('stat', ['-c', '%i', path], { encoding: 'utf8' }).trim()) };
}
