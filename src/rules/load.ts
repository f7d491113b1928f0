/**
 * Loads the built-in rule files (top-level rules/) and the user's --rules files, validates each,
 * and merges them: a rule in a later file replaces an earlier rule of the same name.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packageFolder } from '../common/package-folder.js';
import { UserError } from '../common/errors.js';
import { readBoundedTextFile } from '../common/input-file.js';
import { RULE_FILE_LIMITS, type RuleSpec } from './rule-types.js';
import { parseRuleFile } from './validate.js';

export interface RuleOverride {
  name: string;
  /** File of the rule that was replaced. */
  replaced: string;
  /** File of the rule that replaced it. */
  by: string;
}

export interface RuleSet {
  /** Every file read, built-in first, in load order. */
  files: string[];
  /** The rules in force (disabled ones excluded), sorted by phase, priority (high first), name. */
  rules: RuleSpec[];
  /** Rules switched off by an override with disabled: true. */
  disabled: RuleSpec[];
  overrides: RuleOverride[];
}

/** The packaged rules/ folder: two levels up from src/rules, three from dist/src/rules. */
export function builtInRulesDir(): string {
  return packageFolder(import.meta.url, 2, 'rules', 'flowchart.json');
}

/** A short name for a file: relative to the package for built-ins, as given for user files. */
function displayPath(path: string, builtInDir: string): string {
  const rel = relative(join(builtInDir, '..'), path);
  return rel.startsWith('..') ? path : rel;
}

/** Reads one rule file within RULE_FILE_LIMITS (a regular file, its size and nesting) and validates it. */
async function readRuleFile(path: string, shown: string) {
  const text = await readBoundedTextFile(path, {
    what: 'rule file',
    maxBytes: RULE_FILE_LIMITS.maxBytes,
    fix: 'check the path given to --rules; a rule file is a small JSON file (README "Rule files")',
  });
  return parseRuleFile(text, shown);
}

const PHASE_ORDER = { decide: 0, finish: 1 } as const;

/** Evaluation order: decide before finish, higher priority first, then name, so file order never matters. */
export function compareRules(a: RuleSpec, b: RuleSpec): number {
  return PHASE_ORDER[a.phase] - PHASE_ORDER[b.phase] || b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

export async function loadRuleSet(userFiles: string[] = [], builtInDir: string = builtInRulesDir()): Promise<RuleSet> {
  const builtIn = readdirSync(builtInDir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(builtInDir, name));
  const byName = new Map<string, RuleSpec>();
  const overrides: RuleOverride[] = [];
  const files: string[] = [];
  for (const [index, path] of [...builtIn, ...userFiles].entries()) {
    const isBuiltIn = index < builtIn.length;
    const shown = isBuiltIn ? displayPath(path, builtInDir) : path;
    const file = await readRuleFile(path, shown);
    files.push(shown);
    for (const rule of file.rules) {
      const previous = byName.get(rule.name);
      if (previous && isBuiltIn) {
        throw new UserError(`built-in rule "${rule.name}" is defined in both ${previous.file} and ${shown}`, { exitCode: 1 });
      }
      if (previous) overrides.push({ name: rule.name, replaced: previous.file, by: shown });
      byName.set(rule.name, rule);
    }
  }
  if (byName.size > RULE_FILE_LIMITS.maxRulesTotal) {
    throw new UserError(`the rule files hold ${byName.size} rules together, above the limit of ${RULE_FILE_LIMITS.maxRulesTotal}`, {
      fix: `use fewer rules in ${userFiles.join(', ')}`,
    });
  }
  const all = [...byName.values()].sort(compareRules);
  return { files, rules: all.filter((rule) => !rule.disabled), disabled: all.filter((rule) => rule.disabled), overrides };
}
