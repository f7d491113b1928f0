/**
 * Code injection through `segloss export` (issue 13, item 1): text from a dataset's classes.json
 * or a recommendation file must never become code in the snippet. Each snippet is parsed with
 * Python's own `ast`, and the test fails if any statement, call or name the payload carries
 * appears in the tree, or if the file does not parse at all.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportSnippet, EXPORT_TARGETS, loadExportSource } from '../../src/report/export/index.js';
import { recommendationFixture } from '../fixtures/ui/contracts.js';
import { UserError } from '../../src/common/errors.js';

const python = spawnSync('python3', ['--version']).status === 0 ? 'python3' : null;
const PAYLOAD = '\nimport os; os.system("touch /tmp/pwned")\n';
const HOSTILE = [
  `roof${PAYLOAD}`,
  `roof\r${PAYLOAD}`,
  'nul\u0000byte',
  'triple"""quote',
  'back\\slash\\',
  'bidi\u202ereversed',
  'sep\u2028line',
  'esc\u001b]0;title\u0007',
];

/** Names of every call and import in the module (JSON list), or a SyntaxError message. */
const INSPECT = `
import ast, json, sys
tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
found = []
for node in ast.walk(tree):
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        found += ["import " + a.name for a in node.names]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        found.append("call " + node.func.attr)
print(json.dumps(found))
`;

function hostileRecommendation() {
  const rec = structuredClone(recommendationFixture);
  rec.input.classNames = HOSTILE.slice(0, rec.input.numClasses);
  rec.recipe.id = `combo${PAYLOAD}`;
  rec.recipe.title = `Combo """${PAYLOAD}`;
  rec.recipe.classWeights = {
    values: new Array(rec.input.numClasses).fill(1),
    method: `median-frequency${PAYLOAD}`,
    formula: `w = 1${PAYLOAD}`,
  };
  return rec;
}

describe('export: no text from the input file becomes code', () => {
  it.skipIf(!python)('hostile class names, recipe id/title and weight formula stay inside literals and comments, for every target', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segloss-inject-'));
    const file = join(dir, `rec${'"""'}.json`);
    writeFileSync(file, JSON.stringify(hostileRecommendation()));
    const source = await loadExportSource(file);
    for (const target of EXPORT_TARGETS) {
      const snippet = exportSnippet(source, target);
      expect(snippet).not.toContain('\u0000');
      expect(snippet).not.toContain('\r');
      const path = join(dir, `${target}.py`);
      writeFileSync(path, snippet);
      const found = JSON.parse(execFileSync(python!, ['-c', INSPECT, path], { encoding: 'utf8' })) as string[];
      expect(found, target).not.toContain('import os');
      expect(found, target).not.toContain('call system');
    }
  });

  it('refuses an ignore index that is not a whole number instead of pasting it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segloss-inject-'));
    const file = join(dir, 'rec.json');
    const rec = structuredClone(recommendationFixture) as unknown as { input: { ignoreIndex: unknown } };
    rec.input.ignoreIndex = '255\nimport os';
    writeFileSync(file, JSON.stringify(rec));
    await expect(loadExportSource(file)).rejects.toThrow(/ignoreIndex must be null or a whole number/);
  });
});

describe('export: values are checked as verify checks them (issue 13, item 2)', () => {
  const cases: Array<[string, (rec: ReturnType<typeof hostileRecommendation>) => void, RegExp]> = [
    ['schema version 9', (rec) => ((rec as unknown as { schemaVersion: number }).schemaVersion = 9), /schemaVersion 9 is not supported/],
    ['a learning rate of -5', (rec) => (rec.recipe.optimizer.lr = -5), /optimizer\.lr must be a number above 0/],
    ['a class weight of 1e308', (rec) => (rec.recipe.classWeights!.values[1] = 1e308), /classWeights\.values must be numbers from 0/],
    ['3 class weights for 6 classes', (rec) => (rec.recipe.classWeights!.values = [1, 1, 1]), /classWeights has 3 values for 6 classes/],
    ['an unknown loss parameter', (rec) => (rec.recipe.loss.params = { ...rec.recipe.loss.params, constructor: 1 }), /unknown parameter "constructor"/],
    ['a class count of 1e9', (rec) => (rec.input.numClasses = 1e9), /numClasses must be a whole number from 2/],
  ];
  for (const [what, mutate, message] of cases) {
    it(`refuses ${what}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'segloss-values-'));
      const file = join(dir, 'rec.json');
      const rec = hostileRecommendation();
      rec.input.classNames = rec.input.classNames.map((_, i) => `class ${i}`);
      mutate(rec);
      writeFileSync(file, JSON.stringify(rec));
      await expect(loadExportSource(file)).rejects.toThrow(message);
    });
  }
});

describe('export of a schema-2 verification.json with hostile values', () => {
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/ui/verification.json', import.meta.url), 'utf8')) as Record<string, any>;
  const write = (mutate: (report: Record<string, any>) => void): string => {
    const report = structuredClone(fixture);
    expect(report.schemaVersion).toBe(2);
    mutate(report);
    const file = join(mkdtempSync(join(tmpdir(), 'segloss-verif-')), 'verification.json');
    writeFileSync(file, JSON.stringify(report));
    return file;
  };

  it.each([
    ['an ignore index given as code', (r: Record<string, any>) => (r.settings.ignoreIndex = '255\nimport os'), /ignoreIndex must be null or a whole number/],
    ['an ignore index of 1e308', (r: Record<string, any>) => (r.settings.ignoreIndex = 1e308), /ignoreIndex must be null or a whole number/],
    ['a candidate that is null (was: exit 1 "Cannot read properties of null")', (r: Record<string, any>) => (r.candidates[0] = null), /candidates\[0\] must be an object with an id/],
    ['a candidate id that is not text', (r: Record<string, any>) => (r.candidates[1].id = 5), /candidates\[1\] must be an object with an id/],
  ])('refuses %s, exit 2', async (_what, mutate, message) => {
    const error = await loadExportSource(write(mutate)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(message);
  });

  it.skipIf(!python)('a winner id and val image ids carrying code and escapes stay text in every target', async () => {
    const file = write((r) => {
      r.candidates[0].id = `win"""${PAYLOAD}\u001b[31m`;
      r.verdict.winnerId = r.candidates[0].id;
      r.settings.valImageIds = [`tile${PAYLOAD}\u001b[2J`];
    });
    const source = await loadExportSource(file);
    for (const target of EXPORT_TARGETS) {
      const snippet = exportSnippet(source, target);
      expect(snippet).not.toContain('\u001b');
      const path = join(dirname(file), `${target}.py`);
      writeFileSync(path, snippet);
      const found = JSON.parse(execFileSync(python!, ['-c', INSPECT, path], { encoding: 'utf8' })) as string[];
      expect(found, target).not.toContain('import os');
    }
  });
});
