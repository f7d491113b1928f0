/**
 * npm run bench:volume [-- --size 256 --cases 3 --workers 1 --keep DIR]
 *
 * Times the 3D profile of generated NIfTI volumes in nnU-Net's raw layout: SIZE^3 voxels per case
 * (int16 image, uint8 labels with spheres of two classes from 2 to ~40 voxels across, 1 x 1 x 2 mm
 * spacing), profiled by `segloss profile DIR --json` in a child process on 1 case and on CASES
 * cases. Prints seconds per volume (end to end and in-process) and peak RSS for both runs: the
 * profile streams one volume at a time per worker, so peak RSS should not grow with the cases.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRng } from '../src/verify/random.js';
import { niftiBytes } from '../test/helpers/nifti-writer.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '256' },
    cases: { type: 'string', default: '3' },
    workers: { type: 'string', default: '1' },
    keep: { type: 'string' },
  },
});
const size = Number(values.size);
const cases = Number(values.cases);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = values.keep ? resolve(values.keep) : mkdtempSync(join(tmpdir(), 'segloss-bench-volume-'));

function log(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** One case: spheres of class 1 (large and small) and class 2 (small), noisy intensities per class. */
function generateCase(dir: string): void {
  const random = createRng(11);
  const rng = (): number => random.next();
  const n = size;
  const labels = new Uint8Array(n * n * n);
  const spheres = Array.from({ length: 60 }, (_, k) => ({ x: rng() * n, y: rng() * n, z: rng() * n, r: k < 6 ? 8 + rng() * 12 : 1 + rng() * 4, c: k % 3 === 2 ? 2 : 1 }));
  for (const s of spheres) {
    const r2 = s.r * s.r;
    for (let z = Math.max(0, Math.floor(s.z - s.r)); z <= Math.min(n - 1, Math.ceil(s.z + s.r)); z++)
      for (let y = Math.max(0, Math.floor(s.y - s.r)); y <= Math.min(n - 1, Math.ceil(s.y + s.r)); y++)
        for (let x = Math.max(0, Math.floor(s.x - s.r)); x <= Math.min(n - 1, Math.ceil(s.x + s.r)); x++)
          if ((x - s.x) ** 2 + (y - s.y) ** 2 + (z - s.z) ** 2 <= r2) labels[x + n * (y + n * z)] = s.c;
  }
  const image = new Int16Array(labels.length);
  for (let i = 0; i < image.length; i++) image[i] = labels[i] * 300 + Math.round((rng() - 0.5) * 200);
  mkdirSync(join(dir, 'imagesTr'), { recursive: true });
  mkdirSync(join(dir, 'labelsTr'), { recursive: true });
  const dims: [number, number, number] = [n, n, n];
  writeFileSync(join(dir, 'imagesTr', 'case_000_0000.nii.gz'), niftiBytes(image, { dims, spacing: [1, 1, 2], datatype: 'int16' }));
  writeFileSync(join(dir, 'labelsTr', 'case_000.nii.gz'), niftiBytes(labels, { dims, spacing: [1, 1, 2], datatype: 'uint8' }));
}

function writeDataset(dir: string, count: number, source: string): void {
  mkdirSync(join(dir, 'imagesTr'), { recursive: true });
  mkdirSync(join(dir, 'labelsTr'), { recursive: true });
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({ channel_names: { 0: 'CT' }, labels: { background: 0, organ: 1, lesion: 2 }, numTraining: count, file_ending: '.nii.gz' }));
  for (let c = 0; c < count; c++) {
    const id = `case_${String(c).padStart(3, '0')}`;
    symlinkSync(join(source, 'imagesTr', 'case_000_0000.nii.gz'), join(dir, 'imagesTr', `${id}_0000.nii.gz`));
    symlinkSync(join(source, 'labelsTr', 'case_000.nii.gz'), join(dir, 'labelsTr', `${id}.nii.gz`));
  }
}

interface Run {
  seconds: number;
  inProcessSeconds: number;
  maxRssMb: number | null;
  cases: number;
}

function profileRun(dir: string): Run {
  const args = [join(repo, 'dist', 'src', 'cli.js'), 'profile', dir, '--json', '--workers', values.workers!];
  const useTime = existsSync('/usr/bin/time');
  const started = performance.now();
  const child = useTime
    ? spawnSync('/usr/bin/time', ['-v', process.execPath, ...args], { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 28 })
    : spawnSync(process.execPath, args, { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = (performance.now() - started) / 1000;
  if (child.status !== 0) throw new Error(`segloss profile failed (exit ${child.status}):\n${child.stderr}`);
  const profile = JSON.parse(child.stdout) as { elapsedSeconds: number; volumes?: { cases: number; objectCount: number } };
  if (!profile.volumes) throw new Error('the profile has no volumes section');
  const rss = useTime ? /Maximum resident set size \(kbytes\): (\d+)/.exec(child.stderr) : null;
  return { seconds, inProcessSeconds: profile.elapsedSeconds, maxRssMb: rss ? Number(rss[1]) / 1024 : null, cases: profile.volumes.cases };
}

async function main(): Promise<void> {
  log('building (npm run build) ...');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: repo, encoding: 'utf8' });
  if (build.status !== 0 && !existsSync(join(repo, 'dist', 'src', 'cli.js'))) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  const source = join(workDir, 'source');
  if (!existsSync(join(source, 'labelsTr', 'case_000.nii.gz'))) {
    log(`generating one ${size}^3 case in ${source} ...`);
    const t = performance.now();
    generateCase(source);
    log(`  generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const one = join(workDir, 'one');
  const many = join(workDir, `cases-${cases}`);
  for (const dir of [one, many]) rmSync(dir, { recursive: true, force: true });
  writeDataset(one, 1, source);
  writeDataset(many, cases, source);
  const small = profileRun(one);
  const large = profileRun(many);
  const mb = (v: number | null): string => (v === null ? 'n/a' : `${v.toFixed(0)} MB`);
  log('');
  log(`volume ${size}^3 (${(size ** 3 / 1e6).toFixed(1)} M voxels), int16 image + uint8 labels, workers ${values.workers}`);
  log(`1 case:        ${small.seconds.toFixed(2)} s end to end (incl. start-up), ${small.inProcessSeconds.toFixed(2)} s in-process; peak RSS ${mb(small.maxRssMb)}`);
  log(`${large.cases} cases:       ${large.seconds.toFixed(2)} s end to end, ${(large.inProcessSeconds / large.cases).toFixed(2)} s per volume in-process; peak RSS ${mb(large.maxRssMb)}`);
  if (!values.keep) rmSync(workDir, { recursive: true, force: true });
  else log(`datasets kept in ${workDir}`);
}

await main();
