/**
 * npm run bench:profile [-- --images N --keep DIR --workers W --scale K]
 *
 * Generates (or reuses, with --keep DIR) a sample dataset of K*N 512x512 masks with images, then:
 *  1. decode-only: sharp reads the first N masks + images to raw pixels in W worker threads;
 *  2. `segloss profile` end to end (child process: start-up, indexing, decoding, measuring, JSON)
 *     on N pairs and on K*N pairs, with its peak RSS.
 * Prints masks/s for both, the ratio (target >= 0.5), ms per pair against the Python reference
 * (25 ms per 512x512 mask+image pair), and peak RSS at N and K*N masks (flat memory check).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Piscina } from 'piscina';
import { workerScript } from '../src/common/workers.js';
import { writeSampleDataset } from '../src/dataset/index.js';

const PYTHON_REFERENCE_MS = 25;
const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '1000' },
    keep: { type: 'string' },
    workers: { type: 'string', default: '2' },
    scale: { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
  },
});
const images = Number(values.images);
const workers = Number(values.workers);
const scale = Number(values.scale);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = values.keep ? resolve(values.keep) : mkdtempSync(join(tmpdir(), 'segloss-bench-'));
const fullDir = join(workDir, `sample-${images * scale}`);
const subsetDir = join(workDir, `first-${images}`);

function log(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function ensureDataset(): Promise<void> {
  const truthPath = join(fullDir, 'truth.json');
  if (existsSync(truthPath) && (JSON.parse(readFileSync(truthPath, 'utf8')) as { images: number }).images === images * scale) {
    log(`reusing ${fullDir}`);
  } else {
    log(`generating ${images * scale} masks + images of 512x512 in ${fullDir} ...`);
    const t = performance.now();
    rmSync(fullDir, { recursive: true, force: true });
    await writeSampleDataset(fullDir, { seed: Number(values.seed), images: images * scale, size: 512, blurredShare: 0.3, balanced: false });
    log(`  generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  // The N-mask dataset is a view of the first N pairs (symlinks), so both runs read the same files.
  rmSync(subsetDir, { recursive: true, force: true });
  for (const sub of ['images', 'masks']) {
    mkdirSync(join(subsetDir, sub), { recursive: true });
    const files = readdirSync(join(fullDir, sub)).sort().slice(0, images);
    for (const f of files) symlinkSync(join(fullDir, sub, f), join(subsetDir, sub, f));
  }
}

function pairsOf(dir: string): { maskPath: string; imagePath: string | null }[] {
  const imageByStem = new Map(readdirSync(join(dir, 'images')).map((f) => [stem(f), join(dir, 'images', f)]));
  return readdirSync(join(dir, 'masks')).sort().map((f) => ({ maskPath: join(dir, 'masks', f), imagePath: imageByStem.get(stem(f)) ?? null }));
}

function stem(file: string): string {
  return basename(file).replace(/\.[^.]+$/, '');
}

async function decodeOnly(dir: string): Promise<number> {
  const pairs = pairsOf(dir);
  const { filename, execArgv } = workerScript(import.meta.url, './profile-decode-worker');
  const pool = new Piscina({ filename, execArgv, minThreads: workers, maxThreads: workers });
  // Warm the workers first: decode-only is timed in steady state (a strict upper bound).
  await Promise.all(pairs.slice(0, 2 * workers).map((p) => pool.run(p)));
  const started = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < pairs.length) await pool.run(pairs[next++]);
  };
  await Promise.all(Array.from({ length: 2 * workers }, lane));
  await pool.destroy();
  return pairs.length / ((performance.now() - started) / 1000);
}

interface ProfileRun {
  /** End to end: process start to exit. */
  masksPerSecond: number;
  /** Inside the process (profile.elapsedSeconds: indexing, decoding, measuring). */
  inProcessMasksPerSecond: number;
  maxRssMb: number | null;
  profiled: number;
}

function profileRun(dir: string): ProfileRun {
  const cli = join(repo, 'dist', 'src', 'cli.js');
  const args = [cli, 'profile', dir, '--json', '--workers', String(workers)];
  const useTime = existsSync('/usr/bin/time');
  const started = performance.now();
  const child = useTime
    ? spawnSync('/usr/bin/time', ['-v', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 })
    : spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = (performance.now() - started) / 1000;
  if (child.status !== 0) throw new Error(`segloss profile failed (exit ${child.status}):\n${child.stderr}`);
  const profile = JSON.parse(child.stdout) as { dataset: { pairsProfiled: number }; elapsedSeconds: number };
  const rss = useTime ? /Maximum resident set size \(kbytes\): (\d+)/.exec(child.stderr) : null;
  return { masksPerSecond: profile.dataset.pairsProfiled / seconds, inProcessMasksPerSecond: profile.dataset.pairsProfiled / profile.elapsedSeconds, maxRssMb: rss ? Number(rss[1]) / 1024 : null, profiled: profile.dataset.pairsProfiled };
}

async function main(): Promise<void> {
  log('building (npm run build) ...');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: repo, encoding: 'utf8' });
  if (build.status !== 0) {
    // tsc still emits when other parts of the tree have type errors; go on if the CLI is there.
    if (!existsSync(join(repo, 'dist', 'src', 'cli.js'))) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
    log('  (the build reported type errors elsewhere in the tree; using the emitted dist/)');
  }
  await ensureDataset();

  log(`decode-only on ${images} pairs, then segloss profile on ${images} and ${images * scale} ...`);
  const decodeRate = await decodeOnly(subsetDir);
  const small = profileRun(subsetDir);
  const large = profileRun(fullDir);
  const ratio = small.masksPerSecond / decodeRate;
  const mb = (v: number | null): string => (v === null ? 'n/a' : `${v.toFixed(0)} MB`);
  log('');
  log(`workers: ${workers}, masks: 512x512 with RGB images`);
  log(`decode-only (sharp, mask + image):  ${decodeRate.toFixed(1)} masks/s (${(1000 / decodeRate).toFixed(2)} ms/pair)`);
  log(`segloss profile, ${small.profiled} masks:     ${small.masksPerSecond.toFixed(1)} masks/s end to end incl. start-up (${(1000 / small.masksPerSecond).toFixed(2)} ms/pair); ${small.inProcessMasksPerSecond.toFixed(1)} masks/s in-process`);
  log(`segloss profile, ${large.profiled} masks:     ${large.masksPerSecond.toFixed(1)} masks/s end to end (${(1000 / large.masksPerSecond).toFixed(2)} ms/pair); ${large.inProcessMasksPerSecond.toFixed(1)} masks/s in-process`);
  log(`ratio profile / decode-only:        ${ratio.toFixed(2)}x (target >= 0.5x) ${ratio >= 0.5 ? 'OK' : 'BELOW TARGET'}`);
  log(`vs Python reference (${PYTHON_REFERENCE_MS} ms/pair):     ${((PYTHON_REFERENCE_MS * small.masksPerSecond) / 1000).toFixed(1)}x faster`);
  log(`peak RSS: ${mb(small.maxRssMb)} at ${small.profiled} masks, ${mb(large.maxRssMb)} at ${large.profiled} masks`);
  if (!values.keep) rmSync(workDir, { recursive: true, force: true });
  else log(`dataset kept in ${workDir}`);
}

await main();
