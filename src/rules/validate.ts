/**
 * Validates a rule file before any rule runs: JSON syntax (with line and column), the file shape,
 * fact names, operators, threshold types, loss names and parameters (against LOSS_CATALOGUE),
 * recipe settings, and duplicate rule names. Every problem names the file and the rule.
 */
import { UserError } from '../common/errors.js';
import { checkJsonDepth } from '../common/input-file.js';
import { jsonErrorOffset } from './json-position.js';
import { LOSS_CATALOGUE, LOSS_NAMES, type LossName, type LossParamSpec } from '../contracts/losses.js';
import { FACT_BY_NAME, DECISION_FACTS, type FactSpec, type FactValue } from './facts.js';
import {
  CLASS_WEIGHT_METHODS,
  LIST_OPERATORS,
  NUMERIC_OPERATORS,
  OPERATORS,
  RULE_FILE_LIMITS,
  RULE_FILE_SCHEMA,
  type ConditionNode,
  type ConditionTree,
  type OperatorName,
  type RuleFile,
  type RuleSpec,
} from './rule-types.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

const RULE_KEYS = ['name', 'step', 'phase', 'priority', 'rationale', 'source', 'when', 'conditions', 'then', 'else', 'ifUnknown', 'disabled'];
const EFFECT_KEYS = ['path', 'decide', 'use', 'lossParams', 'set', 'note', 'alternatives', 'assume'];
const SETTING_KEYS = ['optimizer', 'schedule', 'gradientClipNorm', 'rareClassOversampling', 'labelSmoothing', 'ohem', 'classWeights', 'scaleAware'];
const LEAF_KEYS = ['fact', 'operator', 'value', 'rationale', 'source'];
const PLACEHOLDER = /\{([A-Za-z0-9_]+)\}/g;

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNumber(value: Json): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function show(value: Json): string {
  return JSON.stringify(value) ?? String(value);
}

/** Line and column (1-based) of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { line, column };
}

export function parseJsonWithPosition(text: string, file: string, what: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    // V8's own wording, minus the position and the echoed snippet (we give line and column).
    const message = (error as Error).message.replace(/ (in JSON )?at position \d+.*$/, '').replace(/, .*" is not valid JSON$/s, '');
    const offset = jsonErrorOffset(text);
    let where = '';
    if (offset >= 0) {
      const { line, column } = lineColumn(text, Math.min(offset, text.length));
      where = offset >= text.length ? ` at the end (line ${line}, column ${column})` : ` at line ${line}, column ${column}`;
    }
    throw new UserError(`${file}: not valid JSON${where}: ${message}`, {
      fix: `fix the JSON syntax of this ${what} (a trailing comma or a missing quote is the usual cause)`,
    });
  }
}

/** Collects problems so the user sees all of them at once. */
class Problems {
  readonly list: string[] = [];
  add(where: string, problem: string): void {
    this.list.push(`${where}: ${problem}`);
  }
}

function checkKeys(obj: JsonObject, allowed: string[], where: string, problems: Problems): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) problems.add(where, `unknown key ${show(key)} (allowed: ${allowed.join(', ')})`);
  }
}

/** True when `obj` has `key` itself: a key from a user's file is never looked up through the prototype ("constructor", "__proto__", "toString"). */
function has(obj: object, key: string): boolean {
  return Object.hasOwn(obj, key);
}

/** The catalogue entry of a loss parameter, only when the loss really has that parameter. */
function paramSpec(loss: LossName, param: string): LossParamSpec | undefined {
  const params = LOSS_CATALOGUE[loss].params;
  return has(params, param) ? params[param] : undefined;
}

function checkText(value: Json, where: string, problems: Problems, required: boolean): void {
  if (value === undefined) {
    if (required) problems.add(where, 'is required (a non-empty string)');
    return;
  }
  if (typeof value !== 'string' || value.trim() === '') {
    problems.add(where, `must be a non-empty string, got ${show(value)}`);
    return;
  }
  for (const match of value.matchAll(PLACEHOLDER)) {
    if (!FACT_BY_NAME.has(match[1])) problems.add(where, `placeholder {${match[1]}} names an unknown fact`);
  }
}

function valueFitsFact(value: Json, fact: FactSpec): boolean {
  if (value === null) return fact.nullable;
  if (fact.type === 'number') return isNumber(value);
  if (fact.type === 'boolean') return typeof value === 'boolean';
  if (typeof value !== 'string') return false;
  return fact.values ? fact.values.includes(value) : true;
}

function describeFactType(fact: FactSpec): string {
  const base = fact.values ? `one of ${fact.values.map((v) => `"${v}"`).join(', ')}` : `a ${fact.type}`;
  return fact.nullable ? `${base} or null` : base;
}

function checkLeaf(leaf: JsonObject, where: string, problems: Problems): void {
  checkKeys(leaf, LEAF_KEYS, where, problems);
  const factName = leaf.fact;
  if (typeof factName !== 'string') {
    problems.add(where, 'condition needs "fact" (a fact name)');
    return;
  }
  const fact = FACT_BY_NAME.get(factName);
  if (!fact) {
    problems.add(where, `unknown fact "${factName}" (run \`segloss rules --facts\` for the list)`);
    return;
  }
  const operator = leaf.operator;
  if (typeof operator !== 'string' || !(OPERATORS as readonly string[]).includes(operator)) {
    problems.add(where, `unknown operator ${show(operator)} for fact "${factName}" (allowed: ${OPERATORS.join(', ')})`);
    return;
  }
  const op = operator as OperatorName;
  const value = leaf.value;
  if (value === undefined) {
    problems.add(where, `condition on "${factName}" needs a "value" (the threshold)`);
    return;
  }
  if (isObject(value)) {
    problems.add(where, `threshold of "${factName}" must be a literal, not an object (fact references are not allowed)`);
    return;
  }
  if (NUMERIC_OPERATORS.includes(op)) {
    if (fact.type !== 'number') problems.add(where, `operator ${op} needs a number fact; "${factName}" is a ${fact.type}`);
    else if (!isNumber(value)) problems.add(where, `threshold of "${factName}" must be a number, got ${show(value)}`);
  } else if (LIST_OPERATORS.includes(op)) {
    if (!Array.isArray(value) || value.length === 0) {
      problems.add(where, `operator ${op} needs a non-empty list threshold for "${factName}", got ${show(value)}`);
    } else {
      for (const item of value) {
        if (!valueFitsFact(item, fact)) problems.add(where, `list item ${show(item)} for "${factName}" must be ${describeFactType(fact)}`);
      }
    }
  } else if (!valueFitsFact(value, fact)) {
    problems.add(where, `threshold of "${factName}" must be ${describeFactType(fact)}, got ${show(value)}`);
  }
  checkText(leaf.rationale, `${where} rationale`, problems, false);
  checkText(leaf.source, `${where} source`, problems, false);
}

function checkConditionNode(node: Json, where: string, problems: Problems, depth: number): void {
  if (!isObject(node)) {
    problems.add(where, `condition must be an object, got ${show(node)}`);
    return;
  }
  if (depth > RULE_FILE_LIMITS.maxConditionDepth) {
    problems.add(where, `conditions nest deeper than ${RULE_FILE_LIMITS.maxConditionDepth} levels`);
    return;
  }
  const combinators = ['all', 'any', 'not'].filter((key) => has(node, key));
  if (combinators.length === 0) {
    checkLeaf(node, where, problems);
    return;
  }
  if (combinators.length > 1 || Object.keys(node).length > 1) {
    problems.add(where, `a condition group has exactly one of "all", "any", "not" and nothing else, got keys ${Object.keys(node).join(', ')}`);
    return;
  }
  const key = combinators[0];
  const inner = node[key];
  if (key === 'not') {
    checkConditionNode(inner, `${where}.not`, problems, depth + 1);
    return;
  }
  if (!Array.isArray(inner)) {
    problems.add(where, `"${key}" must be a list of conditions`);
    return;
  }
  if (key === 'any' && inner.length === 0) {
    problems.add(where, '"any" needs at least one condition (use {"all": []} for a rule that always applies)');
    return;
  }
  inner.forEach((child, index) => checkConditionNode(child, `${where}.${key}[${index}]`, problems, depth + 1));
}

function checkConditionTree(tree: Json, where: string, problems: Problems): void {
  if (!isObject(tree) || !['all', 'any', 'not'].some((key) => has(tree, key))) {
    problems.add(where, 'must be a condition group: {"all": [...]}, {"any": [...]} or {"not": {...}}');
    return;
  }
  checkConditionNode(tree, where, problems, 0);
}

function checkParamValue(spec: LossParamSpec, value: Json): string | null {
  if (value === null) return spec.nullable ? null : 'must not be null';
  if (spec.type === 'number') {
    if (!isNumber(value)) return `must be a number, got ${show(value)}`;
    const exclusiveMin = (spec as { exclusiveMin?: boolean }).exclusiveMin === true;
    if (spec.min !== undefined && exclusiveMin && value <= spec.min) return `must be > ${spec.min}, got ${value}`;
    if (spec.min !== undefined && value < spec.min) return `must be >= ${spec.min}, got ${value}`;
    if (spec.max !== undefined && value > spec.max) return `must be <= ${spec.max}, got ${value}`;
    return null;
  }
  if (spec.type === 'boolean') return typeof value === 'boolean' ? null : `must be true or false, got ${show(value)}`;
  const values = spec.values ?? [];
  return typeof value === 'string' && values.includes(value) ? null : `must be one of ${values.join(', ')}, got ${show(value)}`;
}

function checkLossChoice(choice: Json, where: string, problems: Problems): void {
  if (!isObject(choice)) {
    problems.add(where, 'must be an object {id, title, loss}');
    return;
  }
  checkText(choice.id, `${where}.id`, problems, true);
  checkText(choice.title, `${where}.title`, problems, true);
  const loss = choice.loss;
  if (!isObject(loss)) {
    problems.add(`${where}.loss`, 'must be an object {name, params}');
    return;
  }
  checkKeys(loss, ['name', 'params'], `${where}.loss`, problems);
  if (typeof loss.name !== 'string' || !(LOSS_NAMES as string[]).includes(loss.name) || !has(LOSS_CATALOGUE, loss.name)) {
    problems.add(`${where}.loss`, `unknown loss ${show(loss.name)} (known: ${LOSS_NAMES.join(', ')})`);
    return;
  }
  const catalogue = LOSS_CATALOGUE[loss.name as LossName];
  if (loss.params === undefined) return;
  if (!isObject(loss.params)) {
    problems.add(`${where}.loss.params`, 'must be an object');
    return;
  }
  for (const [param, value] of Object.entries(loss.params)) {
    const spec = paramSpec(loss.name as LossName, param);
    if (!spec) {
      problems.add(`${where}.loss.params`, `unknown parameter ${show(param)} for loss ${loss.name} (known: ${Object.keys(catalogue.params).join(', ') || 'none'})`);
      continue;
    }
    const problem = checkParamValue(spec, value);
    if (problem) problems.add(`${where}.loss.params.${param}`, problem);
  }
}

/** Losses a rule's conditions pin with `lossName equal/in` at the top level of an `all` group. */
function pinnedLosses(rule: JsonObject): LossName[] | null {
  let pinned: LossName[] | null = null;
  for (const tree of [rule.when, rule.conditions]) {
    if (!isObject(tree) || !Array.isArray(tree.all)) continue;
    for (const leaf of tree.all) {
      if (!isObject(leaf) || leaf.fact !== 'lossName') continue;
      if (leaf.operator === 'equal' && typeof leaf.value === 'string') pinned = [leaf.value as LossName];
      if (leaf.operator === 'in' && Array.isArray(leaf.value)) pinned = leaf.value.filter((v): v is LossName => typeof v === 'string');
    }
  }
  return pinned;
}

function checkLossParams(params: Json, where: string, pinned: LossName[] | null, problems: Problems): void {
  if (!isObject(params)) {
    problems.add(where, 'must be an object of loss parameters');
    return;
  }
  const candidates = (pinned ?? LOSS_NAMES).filter((name) => (LOSS_NAMES as string[]).includes(name));
  for (const [param, value] of Object.entries(params)) {
    const owners = candidates.filter((name) => paramSpec(name, param) !== undefined);
    if (owners.length === 0 || (pinned && owners.length < candidates.length)) {
      const scope = pinned ? `every loss this rule applies to (${candidates.join(', ')})` : 'any loss';
      problems.add(where, `unknown loss parameter ${show(param)}: not a parameter of ${scope}`);
      continue;
    }
    for (const owner of owners) {
      const problem = checkParamValue(paramSpec(owner, param) as LossParamSpec, value);
      if (problem) {
        problems.add(`${where}.${param}`, `${problem} (loss ${owner})`);
        break;
      }
    }
  }
}

function checkRange(value: Json, where: string, problems: Problems, min: number, max: number, opts: { nullable?: boolean; exclusiveMin?: boolean; exclusiveMax?: boolean } = {}): void {
  if (value === null && opts.nullable) return;
  const bad =
    !isNumber(value) ||
    (opts.exclusiveMin ? value <= min : value < min) ||
    (opts.exclusiveMax ? value >= max : value > max);
  if (bad) {
    const low = opts.exclusiveMin ? `> ${min}` : `>= ${min}`;
    const high = max === Infinity ? '' : opts.exclusiveMax ? ` and < ${max}` : ` and <= ${max}`;
    problems.add(where, `must be a number ${low}${high}${opts.nullable ? ' (or null)' : ''}, got ${show(value)}`);
  }
}

function checkSettings(settings: Json, where: string, problems: Problems): void {
  if (!isObject(settings)) {
    problems.add(where, 'must be an object');
    return;
  }
  checkKeys(settings, SETTING_KEYS, where, problems);
  const { optimizer, schedule, classWeights, scaleAware, ohem } = settings;
  if (optimizer !== undefined) {
    if (!isObject(optimizer)) problems.add(`${where}.optimizer`, 'must be an object');
    else {
      checkKeys(optimizer, ['name', 'lr', 'weightDecay', 'momentum', 'nesterov'], `${where}.optimizer`, problems);
      if (optimizer.name !== undefined && !['adam', 'adamw', 'sgd'].includes(optimizer.name as string)) {
        problems.add(`${where}.optimizer.name`, `must be adam, adamw or sgd, got ${show(optimizer.name)}`);
      }
      if (optimizer.lr !== undefined) checkRange(optimizer.lr, `${where}.optimizer.lr`, problems, 0, 10, { exclusiveMin: true });
      if (optimizer.weightDecay !== undefined) checkRange(optimizer.weightDecay, `${where}.optimizer.weightDecay`, problems, 0, 1);
      if (optimizer.momentum !== undefined) checkRange(optimizer.momentum, `${where}.optimizer.momentum`, problems, 0, 1, { nullable: true, exclusiveMax: true });
      if (optimizer.nesterov !== undefined && typeof optimizer.nesterov !== 'boolean') problems.add(`${where}.optimizer.nesterov`, 'must be true or false');
    }
  }
  if (schedule !== undefined) {
    if (!isObject(schedule)) problems.add(`${where}.schedule`, 'must be an object');
    else {
      checkKeys(schedule, ['name', 'warmupFraction', 'power', 'minLrFactor'], `${where}.schedule`, problems);
      if (schedule.name !== undefined && !['constant', 'cosine', 'poly'].includes(schedule.name as string)) {
        problems.add(`${where}.schedule.name`, `must be constant, cosine or poly, got ${show(schedule.name)}`);
      }
      if (schedule.warmupFraction !== undefined) checkRange(schedule.warmupFraction, `${where}.schedule.warmupFraction`, problems, 0, 1, { exclusiveMax: true });
      if (schedule.power !== undefined) checkRange(schedule.power, `${where}.schedule.power`, problems, 0, 10, { nullable: true, exclusiveMin: true });
      if (schedule.minLrFactor !== undefined) checkRange(schedule.minLrFactor, `${where}.schedule.minLrFactor`, problems, 0, 1);
    }
  }
  if (settings.gradientClipNorm !== undefined) checkRange(settings.gradientClipNorm, `${where}.gradientClipNorm`, problems, 0, Infinity, { nullable: true, exclusiveMin: true });
  if (settings.rareClassOversampling !== undefined) checkRange(settings.rareClassOversampling, `${where}.rareClassOversampling`, problems, 0, 1);
  if (settings.labelSmoothing !== undefined) checkRange(settings.labelSmoothing, `${where}.labelSmoothing`, problems, 0, 1, { exclusiveMax: true });
  if (ohem !== undefined && ohem !== null) {
    if (!isObject(ohem)) problems.add(`${where}.ohem`, 'must be {"keepRatio": number} or null');
    else {
      checkKeys(ohem, ['keepRatio'], `${where}.ohem`, problems);
      checkRange(ohem.keepRatio, `${where}.ohem.keepRatio`, problems, 0, 1, { exclusiveMin: true });
    }
  }
  if (classWeights !== undefined && classWeights !== null) {
    if (!isObject(classWeights)) problems.add(`${where}.classWeights`, 'must be an object or null');
    else {
      checkKeys(classWeights, ['method', 'clip', 'values'], `${where}.classWeights`, problems);
      const method = classWeights.method;
      if (!CLASS_WEIGHT_METHODS.includes(method as never)) {
        problems.add(`${where}.classWeights.method`, `must be one of ${CLASS_WEIGHT_METHODS.join(', ')}, got ${show(method)}`);
      } else if (method === 'fixed') {
        const values = classWeights.values;
        if (!Array.isArray(values) || values.length === 0 || !values.every((v) => isNumber(v) && v >= 0)) {
          problems.add(`${where}.classWeights.values`, 'method "fixed" needs "values": a list of non-negative numbers, one per class');
        }
      } else {
        const clip = classWeights.clip;
        if (clip !== undefined && (!Array.isArray(clip) || clip.length !== 2 || !clip.every(isNumber) || clip[0] <= 0 || clip[0] > clip[1])) {
          problems.add(`${where}.classWeights.clip`, `must be [min, max] with 0 < min <= max, got ${show(clip)}`);
        }
      }
    }
  }
  if (scaleAware !== undefined && scaleAware !== null) {
    if (!isObject(scaleAware)) problems.add(`${where}.scaleAware`, 'must be {binEdges, binWeights} or null');
    else {
      checkKeys(scaleAware, ['binEdges', 'binWeights'], `${where}.scaleAware`, problems);
      const { binEdges, binWeights } = scaleAware;
      const edgesOk = Array.isArray(binEdges) && binEdges.length > 0 && binEdges.every((v, i) => isNumber(v) && v > 0 && (i === 0 || v > (binEdges[i - 1] as number)));
      if (!edgesOk) problems.add(`${where}.scaleAware.binEdges`, 'must be increasing positive areas in pixels');
      const weightsOk = Array.isArray(binWeights) && binWeights.every((v) => isNumber(v) && v > 0);
      if (!weightsOk) problems.add(`${where}.scaleAware.binWeights`, 'must be positive numbers');
      else if (edgesOk && binWeights.length !== (binEdges as number[]).length + 1) {
        problems.add(`${where}.scaleAware.binWeights`, `needs one weight per bin: ${(binEdges as number[]).length + 1} for ${(binEdges as number[]).length} edges`);
      }
    }
  }
}

function checkEffect(effect: Json, where: string, rule: JsonObject, problems: Problems): void {
  if (!isObject(effect)) {
    problems.add(where, 'must be an object');
    return;
  }
  checkKeys(effect, EFFECT_KEYS, where, problems);
  for (const key of ['path', 'note', 'assume']) {
    if (effect[key] !== undefined) checkText(effect[key], `${where}.${key}`, problems, true);
  }
  if (effect.decide !== undefined) {
    if (!isObject(effect.decide)) problems.add(`${where}.decide`, 'must be an object of decisions');
    else {
      for (const [name, value] of Object.entries(effect.decide)) {
        if (!(DECISION_FACTS as readonly string[]).includes(name)) problems.add(`${where}.decide`, `unknown decision "${name}" (allowed: ${DECISION_FACTS.join(', ')})`);
        else if (typeof value !== 'boolean') problems.add(`${where}.decide.${name}`, `must be true or false, got ${show(value)}`);
      }
    }
  }
  if (effect.use !== undefined) {
    if (isObject(effect.use)) checkKeys(effect.use, ['id', 'title', 'loss'], `${where}.use`, problems);
    checkLossChoice(effect.use, `${where}.use`, problems);
  }
  if (effect.lossParams !== undefined) {
    const usedLoss = isObject(effect.use) && isObject(effect.use.loss) ? (effect.use.loss.name as LossName) : null;
    checkLossParams(effect.lossParams, `${where}.lossParams`, usedLoss ? [usedLoss] : pinnedLosses(rule), problems);
  }
  if (effect.set !== undefined) checkSettings(effect.set, `${where}.set`, problems);
  if (effect.alternatives !== undefined) {
    if (!Array.isArray(effect.alternatives)) problems.add(`${where}.alternatives`, 'must be a list');
    else if (effect.alternatives.length > RULE_FILE_LIMITS.maxAlternatives) {
      problems.add(`${where}.alternatives`, `has ${effect.alternatives.length} alternatives, above the limit of ${RULE_FILE_LIMITS.maxAlternatives}`);
    } else {
      effect.alternatives.forEach((alt, index) => {
        const at = `${where}.alternatives[${index}]`;
        if (isObject(alt)) checkKeys(alt, ['id', 'title', 'loss', 'set', 'reason', 'rankHint'], at, problems);
        if (isObject(alt) && alt.rankHint !== undefined) checkRange(alt.rankHint, `${at}.rankHint`, problems, 0, 1000);
        checkLossChoice(alt, at, problems);
        if (isObject(alt)) {
          checkText(alt.reason, `${at}.reason`, problems, true);
          if (alt.set !== undefined) checkSettings(alt.set, `${at}.set`, problems);
        }
      });
    }
  }
}

function checkRule(rule: Json, index: number, file: string, problems: Problems): RuleSpec | null {
  if (!isObject(rule)) {
    problems.add(`${file}: rules[${index}]`, 'must be an object');
    return null;
  }
  const label = typeof rule.name === 'string' && rule.name ? `rule "${rule.name}"` : `rules[${index}]`;
  const where = `${file}: ${label}`;
  const before = problems.list.length;
  checkKeys(rule, RULE_KEYS, where, problems);
  if (typeof rule.name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(rule.name)) {
    problems.add(where, `"name" must be a kebab-case string (a-z, 0-9, -), got ${show(rule.name)}`);
  }
  // A rule that only switches a built-in off needs just its name (and, ideally, why).
  const switchOff = rule.disabled === true;
  checkText(rule.step, `${where} step`, problems, !switchOff);
  if (rule.phase !== undefined && rule.phase !== 'decide' && rule.phase !== 'finish') {
    problems.add(where, `"phase" must be "decide" or "finish", got ${show(rule.phase)}`);
  }
  if (!(switchOff && rule.priority === undefined) && (!Number.isInteger(rule.priority) || (rule.priority as number) < 1 || (rule.priority as number) > 10000)) {
    problems.add(where, `"priority" must be an integer from 1 to 10000 (higher runs first), got ${show(rule.priority)}`);
  }
  checkText(rule.rationale, `${where} rationale`, problems, !switchOff);
  checkText(rule.source, `${where} source`, problems, !switchOff);
  if (rule.ifUnknown !== undefined) checkText(rule.ifUnknown, `${where} ifUnknown`, problems, true);
  if (rule.disabled !== undefined && typeof rule.disabled !== 'boolean') problems.add(where, '"disabled" must be true or false');
  if (rule.when !== undefined) checkConditionTree(rule.when, `${where} when`, problems);
  if (!(switchOff && rule.conditions === undefined)) checkConditionTree(rule.conditions, `${where} conditions`, problems);
  const leaves = countLeaves(rule.when) + countLeaves(rule.conditions);
  if (leaves > RULE_FILE_LIMITS.maxConditionsPerRule) problems.add(where, `has ${leaves} conditions, above the limit of ${RULE_FILE_LIMITS.maxConditionsPerRule} per rule`);
  if (rule.then === undefined && rule.else === undefined && !switchOff) {
    problems.add(where, 'needs a "then" or an "else" effect');
  }
  for (const branch of ['then', 'else'] as const) {
    const effect = rule[branch];
    if (effect === undefined) continue;
    checkEffect(effect, `${where} ${branch}`, rule, problems);
    if (rule.phase === 'finish' && isObject(effect)) {
      for (const key of ['use', 'decide', 'alternatives', 'path']) {
        if (has(effect, key)) problems.add(`${where} ${branch}`, `"${key}" is only allowed in "decide" rules; "finish" rules tune each recipe by its loss`);
      }
    }
  }
  if (problems.list.length > before) return null;
  return {
    name: rule.name as string,
    step: (rule.step as string | undefined) ?? 'disabled',
    phase: (rule.phase as RuleSpec['phase']) ?? 'decide',
    priority: (rule.priority as number | undefined) ?? 1,
    rationale: (rule.rationale as string | undefined) ?? 'switched off',
    source: (rule.source as string | undefined) ?? '',
    when: rule.when as ConditionTree | undefined,
    conditions: (rule.conditions as ConditionTree | undefined) ?? { all: [] },
    then: rule.then as RuleSpec['then'],
    else: rule.else as RuleSpec['else'],
    ifUnknown: rule.ifUnknown as string | undefined,
    disabled: rule.disabled as boolean | undefined,
    file,
  };
}

/** Leaf conditions in a raw (unchecked) condition tree; its depth is bounded by the JSON depth check. */
function countLeaves(node: Json): number {
  if (Array.isArray(node)) return node.reduce((sum: number, child) => sum + countLeaves(child), 0);
  if (!isObject(node)) return 0;
  if (has(node, 'all') || has(node, 'any') || has(node, 'not')) return countLeaves(node.all) + countLeaves(node.any) + countLeaves(node.not);
  return 1;
}

const LIMITS_FIX = 'split the rules over fewer, smaller files: a rule set is a few dozen rules (README "Rule files")';

/** Parses and validates one rule file; throws UserError (exit 2) listing every problem. */
export function parseRuleFile(text: string, file: string): RuleFile {
  checkJsonDepth(text, RULE_FILE_LIMITS.maxJsonDepth, file, 'rule file', LIMITS_FIX);
  const json = parseJsonWithPosition(text, file, 'rule file');
  if (isObject(json) && Array.isArray(json.rules) && json.rules.length > RULE_FILE_LIMITS.maxRulesPerFile) {
    throw new UserError(`rule file ${file} has ${json.rules.length} rules, above the limit of ${RULE_FILE_LIMITS.maxRulesPerFile} per file`, { fix: LIMITS_FIX });
  }
  const problems = new Problems();
  const rules: RuleSpec[] = [];
  if (!isObject(json)) {
    problems.add(file, 'a rule file is a JSON object {"schema": "segloss-rules/1", "description": ..., "rules": [...]}');
  } else {
    checkKeys(json, ['$schema', 'schema', 'description', 'rules'], file, problems);
    if (json.schema !== RULE_FILE_SCHEMA) problems.add(file, `"schema" must be "${RULE_FILE_SCHEMA}", got ${show(json.schema)}`);
    if (json.description !== undefined && typeof json.description !== 'string') problems.add(file, '"description" must be a string');
    if (!Array.isArray(json.rules)) problems.add(file, '"rules" must be a list of rules');
    else {
      const seen = new Set<string>();
      json.rules.forEach((raw, index) => {
        const name = isObject(raw) ? raw.name : undefined;
        if (typeof name === 'string') {
          if (seen.has(name)) problems.add(`${file}: rule "${name}"`, 'two rules have this name in one file; rename one (to override a rule from another file, reuse its name in a separate file)');
          seen.add(name);
        }
        const rule = checkRule(raw, index, file, problems);
        if (rule) rules.push(rule);
      });
    }
  }
  if (problems.list.length > 0) {
    const shown = problems.list.slice(0, 12);
    const more = problems.list.length > shown.length ? `\n  ... and ${problems.list.length - shown.length} more` : '';
    throw new UserError(`invalid rule file ${file}:\n  ${shown.join('\n  ')}${more}`, {
      fix: 'correct the rule file (see `segloss rules --facts` for fact names and README "Rule files" for the format)',
    });
  }
  return { path: file, description: (json as JsonObject).description as string ?? '', rules };
}

/** Every leaf condition of a tree, in document order. */
export function leafConditions(tree: ConditionNode | undefined): Array<{ fact: string; operator: OperatorName; value: FactValue | FactValue[]; rationale?: string; source?: string }> {
  if (!tree) return [];
  if ('all' in tree) return tree.all.flatMap(leafConditions);
  if ('any' in tree) return tree.any.flatMap(leafConditions);
  if ('not' in tree) return leafConditions(tree.not);
  return [tree];
}
