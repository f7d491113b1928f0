/** Every invalid rule file is refused before use with exit 2, naming the file and the rule. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/errors.js';
import { loadRuleSet } from '../../src/rules/load.js';
import { parseRuleFile } from '../../src/rules/validate.js';

const FILE = 'my-rules.json';

function rule(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'my-rule',
    step: 'extension',
    priority: 450,
    rationale: 'a test rule',
    source: 'test',
    conditions: { all: [{ fact: 'backgroundShare', operator: 'greaterThan', value: 0.5 }] },
    then: { set: { rareClassOversampling: 0.5 } },
    ...overrides,
  };
}

function fileWith(...rules: unknown[]): string {
  return JSON.stringify({ schema: 'segloss-rules/1', description: 'test', rules }, null, 2);
}

function refusal(text: string): UserError {
  try {
    parseRuleFile(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(2);
    expect((error as UserError).message).toContain(FILE);
    return error as UserError;
  }
  throw new Error('the rule file was accepted');
}

describe('rule file validation', () => {
  it('accepts a valid file', () => {
    const parsed = parseRuleFile(fileWith(rule()), FILE);
    expect(parsed.rules.map((r) => r.name)).toEqual(['my-rule']);
    expect(parsed.rules[0].phase).toBe('decide');
  });

  it('bad JSON: reports line and column', () => {
    const text = '{\n  "schema": "segloss-rules/1",\n  "rules": [\n    { "name": "x", }\n  ]\n}';
    const error = refusal(text);
    expect(error.message).toMatch(/not valid JSON at line 4, column 20/);
  });

  it('unknown fact', () => {
    const error = refusal(fileWith(rule({ conditions: { all: [{ fact: 'backgroundShar', operator: 'greaterThan', value: 0.5 }] } })));
    expect(error.message).toMatch(/rule "my-rule".*unknown fact "backgroundShar"/);
  });

  it('unknown operator (no custom operators)', () => {
    const error = refusal(fileWith(rule({ conditions: { any: [{ fact: 'backgroundShare', operator: 'approximately', value: 0.5 }] } })));
    expect(error.message).toMatch(/rule "my-rule".*unknown operator "approximately"/);
  });

  it('threshold of the wrong type', () => {
    const error = refusal(fileWith(rule({ conditions: { all: [{ fact: 'backgroundShare', operator: 'greaterThan', value: '0.5' }] } })));
    expect(error.message).toMatch(/rule "my-rule".*threshold of "backgroundShare" must be a number, got "0.5"/);
    const enumError = refusal(fileWith(rule({ conditions: { all: [{ fact: 'domain', operator: 'equal', value: 'aerial' }] } })));
    expect(enumError.message).toMatch(/threshold of "domain" must be one of "satellite", "medical", "driving" or null, got "aerial"/);
    const listError = refusal(fileWith(rule({ conditions: { all: [{ fact: 'lossName', operator: 'in', value: ['dice', 'lovasz'] }] } })));
    expect(listError.message).toMatch(/list item "lovasz" for "lossName"/);
  });

  it('a fact reference instead of a literal threshold', () => {
    const error = refusal(fileWith(rule({ conditions: { all: [{ fact: 'backgroundShare', operator: 'greaterThan', value: { fact: 'foregroundShare' } }] } })));
    expect(error.message).toMatch(/must be a literal/);
  });

  it('unknown loss', () => {
    const error = refusal(fileWith(rule({ then: { use: { id: 'lovasz', title: 'Lovasz', loss: { name: 'lovasz' } } } })));
    expect(error.message).toMatch(/rule "my-rule" then.use.loss: unknown loss "lovasz"/);
  });

  it('unknown loss parameter, in `use` and in `lossParams`', () => {
    const inUse = refusal(fileWith(rule({ then: { use: { id: 'f', title: 'F', loss: { name: 'focal', params: { gama: 2 } } } } })));
    expect(inUse.message).toMatch(/unknown parameter "gama" for loss focal/);
    const merged = refusal(
      fileWith(rule({ conditions: { all: [{ fact: 'lossName', operator: 'equal', value: 'focal' }] }, then: { lossParams: { keepRatio: 0.3 } } })),
    );
    expect(merged.message).toMatch(/unknown loss parameter "keepRatio": not a parameter of every loss this rule applies to \(focal\)/);
  });

  it('loss parameter out of range or of the wrong type', () => {
    const error = refusal(fileWith(rule({ then: { use: { id: 't', title: 'T', loss: { name: 'tversky', params: { alpha: 1.5, batch: 'yes' } } } } })));
    expect(error.message).toMatch(/params.alpha: must be <= 1, got 1.5/);
    expect(error.message).toMatch(/params.batch: must be true or false/);
  });

  it('two rules with one name in a file', () => {
    const error = refusal(fileWith(rule(), rule()));
    expect(error.message).toMatch(/rule "my-rule": two rules have this name in one file/);
  });

  it('unknown keys, bad settings, placeholders naming unknown facts', () => {
    const error = refusal(
      fileWith(
        rule({
          condition: {},
          then: { set: { optimizer: { name: 'rmsprop' }, scaleAware: { binEdges: [100, 1000], binWeights: [1, 2] } }, note: 'share {backgroundShar}' },
        }),
      ),
    );
    expect(error.message).toMatch(/unknown key "condition"/);
    expect(error.message).toMatch(/optimizer.name: must be adam, adamw or sgd/);
    expect(error.message).toMatch(/binWeights: needs one weight per bin: 3 for 2 edges/);
    expect(error.message).toMatch(/placeholder \{backgroundShar\} names an unknown fact/);
  });

  it('finish rules cannot choose losses or alternatives', () => {
    const error = refusal(fileWith(rule({ phase: 'finish', then: { use: { id: 'ce', title: 'CE', loss: { name: 'ce' } } } })));
    expect(error.message).toMatch(/"use" is only allowed in "decide" rules/);
  });

  it('wrong schema tag and missing rationale', () => {
    const error = refusal(JSON.stringify({ schema: 'other/2', rules: [rule({ rationale: undefined })] }));
    expect(error.message).toMatch(/"schema" must be "segloss-rules\/1"/);
    expect(error.message).toMatch(/rule "my-rule" rationale: is required/);
  });

  it('loading a bad --rules file fails with the file named; a missing file too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segloss-rules-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, fileWith(rule({ conditions: { all: [{ fact: 'nope', operator: 'equal', value: 1 }] } })));
    await expect(loadRuleSet([bad])).rejects.toThrow(new RegExp(`invalid rule file ${bad.replace(/[/\\.]/g, '\\$&')}`));
    await expect(loadRuleSet([join(dir, 'missing.json')])).rejects.toThrow(/cannot read rule file .*missing.json: it does not exist/);
  });
});
