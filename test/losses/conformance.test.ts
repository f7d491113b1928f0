import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultFixturesDir, main } from '../../src/losses/conformance.js';

const source = JSON.parse(readFileSync(join(defaultFixturesDir(), 'case0.json'), 'utf8'));
const dirs: string[] = [];

function caseDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'segloss-conformance-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('npm run conformance', () => {
  it('passes on the shipped cases and reports the worst error', async () => {
    const { code, out } = await run([]);
    expect(code).toBe(0);
    expect(out).toMatch(/dice_no_background\s+\S+\s+\S+\s+\S+\s+ok/);
    expect(out).toMatch(/worst relative error \d\.\d\de-\d/);
  });

  it('fails (exit 1) when one expected value is perturbed by 1e-4', async () => {
    const perturbed = structuredClone(source);
    perturbed.expected.dice *= 1 + 1e-4;
    const { code, out, err } = await run([caseDir({ 'case0.json': JSON.stringify(perturbed) })]);
    expect(code).toBe(1);
    expect(out).toMatch(/^case0\.json\s+dice\s+.*FAIL$/m);
    expect(err).toMatch(/1 value\(s\) failed: dice/);
  });

  it('fails on a perturbed Boundary IoU value', async () => {
    const perturbed = structuredClone(source);
    perturbed.boundary_iou_per_image_per_class_of_argmax['1'][0] += 0.01;
    const { code, err } = await run([caseDir({ 'case0.json': JSON.stringify(perturbed) })]);
    expect(code).toBe(1);
    expect(err).toMatch(/boundary_iou\[class 1\]\[image 0\]/);
  });

  it('fails on a key it cannot evaluate and says which', async () => {
    const unknown = structuredClone(source);
    unknown.expected.lovasz_hinge = 0.5;
    const { code, out } = await run([caseDir({ 'case7.json': JSON.stringify(unknown) })]);
    expect(code).toBe(1);
    expect(out).toMatch(/lovasz_hinge.*FAIL: unknown loss key "lovasz_hinge"/);
  });

  it('evaluates new parameter values of known patterns', async () => {
    const extra = structuredClone(source);
    extra.expected = { 'focal_gamma0_alpha0.5': source.expected.focal_gamma2 };
    const { code, out } = await run([caseDir({ 'case0.json': JSON.stringify(extra) })]);
    expect(out).toMatch(/focal_gamma0_alpha0\.5\s+\d/);
    expect(code).toBe(1); // a different loss value, so it must not match
  });

  it('exits 2 on a missing directory, a directory without cases, or bad JSON', async () => {
    expect((await run(['/no/such/dir'])).code).toBe(2);
    const empty = await run([caseDir({ 'notes.txt': 'x' })]);
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/no case\*\.json files/);
    const broken = await run([caseDir({ 'case0.json': '{"shape_nhwc": [1, 2' })]);
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/case0\.json: not valid JSON/);
    const wrongShape = await run([caseDir({ 'case0.json': JSON.stringify({ ...source, labels: [0, 1] }) })]);
    expect(wrongShape.code).toBe(2);
    expect(wrongShape.err).toMatch(/case0\.json: "labels" must be 512 class ids/);
  });
});
