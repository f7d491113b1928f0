/**
 * `npm run bench:startup`: how long `segloss --version`, `rules` and `--help` (the program's,
 * verify's and profile's) take from a cold process, median of 5 runs each (after one warm-up run that fills the OS file cache), against the
 * issue-21 target of 0.3 s. Runs the built CLI (dist/src/cli.js: `npm run build` first) with plain
 * `node`, as an installed segloss runs. Also times `node -e 0`, the floor no CLI can go under;
 * this machine's speed swings, so compare within one run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = 'dist/src/cli.js';
const RUNS = 5;
const TARGET_SECONDS = 0.3;

function seconds(args: string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${result.status}: ${result.stderr.toString().slice(-500)}`);
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

if (!existsSync(new URL(`../${CLI}`, import.meta.url))) {
  console.error(`bench:startup: ${CLI} is missing; run \`npm run build\` first`);
  process.exit(2);
}
const cases: Array<{ name: string; args: string[]; target: number | null }> = [
  { name: 'node -e 0 (floor)', args: ['-e', '0'], target: null },
  { name: 'segloss --version', args: [CLI, '--version'], target: TARGET_SECONDS },
  { name: 'segloss rules', args: [CLI, 'rules'], target: TARGET_SECONDS },
  { name: 'segloss --help', args: [CLI, '--help'], target: TARGET_SECONDS },
  { name: 'segloss verify --help', args: [CLI, 'verify', '--help'], target: TARGET_SECONDS },
  { name: 'segloss profile --help', args: [CLI, 'profile', '--help'], target: TARGET_SECONDS },
];
let failed = false;
let floor: number | null = null;
for (const c of cases) {
  seconds(c.args); // warm-up: file cache
  const times = Array.from({ length: RUNS }, () => seconds(c.args));
  const m = median(times);
  const verdict = c.target === null ? '' : m <= c.target ? `  ok (target <= ${c.target} s)` : `  OVER the ${c.target} s target`;
  if (c.target !== null && m > c.target) failed = true;
  const over = floor === null ? '' : ` (+${(m - floor).toFixed(3)} s over node itself)`;
  floor ??= m;
  console.log(`${c.name.padEnd(20)} median ${m.toFixed(3)} s of ${RUNS}${over} (${times.map((t) => t.toFixed(3)).join(', ')})${verdict}`);
}
process.exitCode = failed ? 1 : 0;
