/**
 * `npm run conformance -- [DIR] [--backend cpu|wasm]`: checks every loss and the Boundary IoU
 * against the reference cases (`case*.json`) in DIR (default: ../shared/fixtures next to the repo
 * and the project's own cases in test/fixtures/losses: the distance-based losses).
 * Prints key, ours, expected, relative error and ok per value; exits 0 when all match, 1 on any
 * mismatch above 1e-5 or any key it cannot evaluate, 2 on a bad directory or case file.
 * Relative error = |ours - expected| / max(|expected|, 1e-3) (absolute for values below 1e-3).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { describeError, UserError } from '../common/errors.js';
import { argmaxClasses } from '../metrics/confusion.js';
import { boundaryIoUPerClass } from '../metrics/boundary-iou.js';
import { fixtureLossForKey } from './fixture-keys.js';
import { createLoss } from './index.js';
import { parseReferenceCase, type ReferenceCase } from './reference-case.js';
import { isEntryPoint } from '../common/entry-point.js';

export const CONFORMANCE_TOLERANCE = 1e-5;

export interface ConformanceRow {
  file: string;
  key: string;
  ours: number | null;
  expected: number | null;
  relativeError: number | null;
  ok: boolean;
  /** Why the key could not be evaluated, when it could not. */
  problem?: string;
}

export function relativeError(ours: number, expected: number): number {
  return Math.abs(ours - expected) / Math.max(Math.abs(expected), 1e-3);
}

function compare(file: string, key: string, ours: number | null, expected: number | null): ConformanceRow {
  if (ours === null || expected === null) {
    return { file, key, ours, expected, relativeError: null, ok: ours === expected };
  }
  const error = relativeError(ours, expected);
  return { file, key, ours, expected, relativeError: error, ok: error <= CONFORMANCE_TOLERANCE };
}

/** Evaluates one loss key of a case with the same createLoss a training run uses. */
export function evaluateLossKey(referenceCase: ReferenceCase, key: string): number {
  const fixtureLoss = fixtureLossForKey(key);
  if (!fixtureLoss) throw new UserError(`unknown loss key "${key}" (no pattern in src/losses/fixture-keys.ts matches it)`);
  if (fixtureLoss.useClassWeights && !referenceCase.classWeights) throw new UserError(`"${key}" needs class_weights, but the case has none`);
  const [n, h, w, c] = referenceCase.shape;
  const loss = createLoss(fixtureLoss.spec, {
    numClasses: c,
    ignoreIndex: referenceCase.ignoreIndex,
    classWeights: fixtureLoss.useClassWeights ? referenceCase.classWeights : null,
    scaleAware: null,
  });
  return tf.tidy(() => {
    const logits = tf.tensor4d(referenceCase.logits, [n, h, w, c], 'float32');
    const labels = tf.tensor3d(referenceCase.labels, [n, h, w], 'int32');
    return loss(logits, labels, fixtureLoss.progress).dataSync()[0];
  });
}

/** Boundary IoU of the argmax prediction per image and class, as the case's table lists them. */
export function boundaryIoUTable(referenceCase: ReferenceCase): Array<Array<number | null>> {
  const [n, h, w, c] = referenceCase.shape;
  const predictions = argmaxClasses(referenceCase.logits, c);
  const perImage: Array<Array<number | null>> = [];
  for (let image = 0; image < n; image++) {
    const from = image * h * w;
    perImage.push(
      boundaryIoUPerClass(referenceCase.labels.slice(from, from + h * w), predictions.subarray(from, from + h * w), w, h, c, referenceCase.ignoreIndex),
    );
  }
  return perImage;
}

export function evaluateCase(referenceCase: ReferenceCase): ConformanceRow[] {
  const { file } = referenceCase;
  const rows: ConformanceRow[] = [];
  for (const [key, expected] of Object.entries(referenceCase.expected)) {
    try {
      rows.push(compare(file, key, evaluateLossKey(referenceCase, key), expected));
    } catch (error) {
      rows.push({ file, key, ours: null, expected, relativeError: null, ok: false, problem: describeError(error) });
    }
  }
  if (referenceCase.boundaryIoU) {
    const ours = boundaryIoUTable(referenceCase);
    const classes = referenceCase.shape[3];
    for (const [classKey, values] of Object.entries(referenceCase.boundaryIoU)) {
      const classId = Number(classKey);
      values.forEach((expected, image) => {
        const key = `boundary_iou[class ${classKey}][image ${image}]`;
        if (!Number.isInteger(classId) || classId < 0 || classId >= classes) {
          rows.push({ file, key, ours: null, expected, relativeError: null, ok: false, problem: `class "${classKey}" is not in 0..${classes - 1}` });
        } else {
          rows.push(compare(file, key, ours[image][classId], expected));
        }
      });
    }
  }
  return rows;
}

/** Reads every case*.json of DIR (sorted by name); UserError (exit 2) on a bad directory or file. */
export function loadReferenceCases(dir: string): ReferenceCase[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(`fixtures directory not found: ${dir}`, { fix: 'pass the directory that holds case*.json: npm run conformance -- DIR' });
  }
  const files = readdirSync(dir)
    .filter((name) => /^case.*\.json$/.test(name))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (files.length === 0) throw new UserError(`no case*.json files in ${dir}`, { fix: 'pass the directory that holds the reference cases' });
  return files.map((name) => {
    const path = join(dir, name);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new UserError(`cannot read ${path}: ${(error as Error).message}`);
    }
    return parseReferenceCase(text, path);
  });
}

/** The repository root: the nearest folder above this file with package.json. */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** ../shared/fixtures beside the repository root. */
export function defaultFixturesDir(): string {
  return resolve(repositoryRoot(), '..', 'shared', 'fixtures');
}

/** The project's own reference cases (boundary, dice_boundary, hausdorff_dt): test/fixtures/losses. */
export function projectFixturesDir(): string {
  return resolve(repositoryRoot(), 'test', 'fixtures', 'losses');
}

/** What `npm run conformance` checks without a DIR: the shared cases and the project's (when present, i.e. in a checkout). */
export function defaultFixturesDirs(): string[] {
  const project = projectFixturesDir();
  return [defaultFixturesDir(), ...(existsSync(project) ? [project] : [])];
}

function formatNumber(value: number | null): string {
  return value === null ? 'null' : value.toPrecision(10);
}

export function formatTable(rows: ConformanceRow[]): string {
  const header = ['case', 'key', 'ours', 'expected', 'rel. error', 'ok'];
  const body = rows.map((r) => [
    r.file.split(/[\\/]/).pop() ?? r.file,
    r.key,
    r.problem ? '-' : formatNumber(r.ours),
    formatNumber(r.expected),
    r.relativeError === null ? '-' : r.relativeError.toExponential(2),
    r.ok ? 'ok' : r.problem ? `FAIL: ${r.problem}` : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (i === 5 ? 0 : row[i].length))));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ');
  return [line(header), ...body.map(line)].join('\n');
}

export interface ConformanceIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: ConformanceIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

const USAGE = `usage: npm run conformance -- [DIR] [--backend cpu|wasm]
  DIR        folder of case*.json reference cases (default: ../shared/fixtures beside the repo
             and test/fixtures/losses, the project's cases for the distance-based losses)
  --backend  tfjs backend to evaluate the losses on (default: cpu)
exit codes: 0 all values match within ${CONFORMANCE_TOLERANCE}, 1 a mismatch or an unevaluable key, 2 bad usage or input`;

/** The command: returns the exit code (0 all match, 1 mismatch or unknown key, 2 bad usage or input). */
export async function main(argv: string[], io: ConformanceIo = processIo): Promise<number> {
  try {
    const { values, positionals } = parseArgsOrThrow(argv);
    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length > 1) throw new UserError(`expected one directory, got ${positionals.length}: ${positionals.join(' ')}`, { fix: USAGE });
    const dirs = positionals.length ? [resolve(positionals[0])] : defaultFixturesDirs();
    const cases = dirs.flatMap(loadReferenceCases);
    await useBackend(values.backend ?? 'cpu');
    const rows = cases.flatMap(evaluateCase);
    io.stdout(`${formatTable(rows)}\n`);
    const failures = rows.filter((r) => !r.ok);
    const worst = rows.reduce<ConformanceRow | null>((w, r) => (r.relativeError !== null && (w === null || r.relativeError > (w.relativeError ?? -1)) ? r : w), null);
    const worstText = worst ? `worst relative error ${worst.relativeError!.toExponential(2)} (${worst.key})` : 'no numeric comparison';
    io.stdout(`\n${rows.length} values in ${cases.length} case file(s) from ${dirs.join(' and ')} on tfjs backend ${tf.getBackend()}; ${worstText}; tolerance ${CONFORMANCE_TOLERANCE}\n`);
    if (failures.length) {
      io.stderr(`conformance: ${failures.length} value(s) failed: ${failures.map((f) => f.key).join(', ')}\n`);
      return 1;
    }
    io.stdout('all values match\n');
    return 0;
  } catch (error) {
    io.stderr(`conformance: ${describeError(error)}\n`);
    return error instanceof UserError ? error.exitCode : 1;
  }
}

function parseArgsOrThrow(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: { backend: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    throw new UserError((error as Error).message, { fix: USAGE });
  }
}

async function useBackend(name: string): Promise<void> {
  if (name !== 'cpu' && name !== 'wasm') throw new UserError(`unknown backend "${name}"`, { fix: 'use --backend cpu or --backend wasm' });
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(name))) throw new UserError(`the ${name} backend failed to start`, { exitCode: 1 });
  await tf.ready();
}

if (isEntryPoint(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
