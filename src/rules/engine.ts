/**
 * The rule engine: feeds a DatasetProfile's facts to json-rules-engine, applies the declarative
 * effects of the rules that fired, and returns the Recommendation with its full trace.
 *
 * Order is fixed so the same profile always gives the same result: 'decide' rules before 'finish'
 * rules, higher priority first; rules of one priority are evaluated together against the same
 * facts (one json-rules-engine run) and their effects applied in name order.
 */
import { Engine, type TopLevelCondition } from 'json-rules-engine';
import type { DatasetProfile } from '../contracts/profile.js';
import {
  RECOMMENDATION_SCHEMA_VERSION,
  type Recipe,
  type Recommendation,
  type TraceCondition,
  type TraceEntry,
} from '../contracts/recommendation.js';
import { TOOL_INFO } from '../common/version.js';
import { describeEffect, describeLeaf, describeTree, fillPlaceholders, formatValue } from './describe.js';
import { FACT_BY_NAME, factsFromProfile, type FactValue, type Facts, type Intent } from './facts.js';
import type { RuleSet } from './load.js';
import {
  applySettings,
  cloneDraft,
  emptyDraft,
  finalizeDraft,
  mergeLossParams,
  useLoss,
  type RecipeDraft,
} from './recipe-draft.js';
import type { AlternativeSpec, ConditionNode, ConditionTree, LeafCondition, RuleEffect, RuleSpec } from './rule-types.js';
import { backgroundIdOf } from '../contracts/profile.js';
import { leafConditions } from './validate.js';

export interface RecommendOptions {
  intent: Intent;
  ruleSet: RuleSet;
  /** Path of the profile or dataset, for the record. */
  profileSource: string;
  /** Fixed clock for tests; default now. */
  now?: Date;
}

/** A rule's evaluation: which leaves held, and whether its gate and its conditions held. */
interface Evaluation {
  rule: RuleSpec;
  applicable: boolean;
  holds: boolean;
  leaves: TraceCondition[];
}

/** An alternative waiting to be built, with where it came from. */
interface PendingAlternative {
  spec: AlternativeSpec;
  rule: string;
  displaced: boolean;
  order: number;
}

interface EvaluatedNode {
  result?: boolean;
  factResult?: unknown;
  all?: EvaluatedNode[];
  any?: EvaluatedNode[];
  not?: EvaluatedNode;
}

function engineCondition(node: ConditionNode): TopLevelCondition {
  if ('all' in node) return { all: node.all.map(engineCondition) } as TopLevelCondition;
  if ('any' in node) return { any: node.any.map(engineCondition) } as TopLevelCondition;
  if ('not' in node) return { not: engineCondition(node.not) } as TopLevelCondition;
  // Only fact, operator and value reach the engine: rationale and source are documentation.
  return { fact: node.fact, operator: node.operator, value: node.value } as unknown as TopLevelCondition;
}

/** Walks the engine's evaluated tree beside the rule's own tree, leaf by leaf. */
function collectLeaves(spec: ConditionNode, evaluated: EvaluatedNode | undefined, facts: Facts, role: 'when' | 'if', out: TraceCondition[]): void {
  if ('all' in spec || 'any' in spec) {
    const children = 'all' in spec ? spec.all : spec.any;
    const evaluatedChildren = (('all' in spec ? evaluated?.all : evaluated?.any) ?? []) as EvaluatedNode[];
    children.forEach((child, index) => collectLeaves(child, evaluatedChildren[index], facts, role, out));
    return;
  }
  if ('not' in spec) {
    collectLeaves(spec.not, evaluated?.not, facts, role, out);
    return;
  }
  const leaf = spec as LeafCondition;
  const value = facts[leaf.fact] ?? null;
  out.push({
    fact: leaf.fact,
    value,
    operator: leaf.operator,
    threshold: leaf.value as TraceCondition['threshold'],
    outcome: evaluated?.result === true,
    role,
  });
}

/** Runs one priority group through json-rules-engine and reads back every condition's outcome. */
async function evaluateGroup(rules: RuleSpec[], facts: Facts): Promise<Evaluation[]> {
  const engine = new Engine([], { allowUndefinedFacts: false });
  for (const rule of rules) {
    const decision = engineCondition(rule.conditions);
    const conditions = rule.when ? ({ all: [engineCondition(rule.when), decision] } as TopLevelCondition) : decision;
    engine.addRule({ name: rule.name, priority: rule.priority, conditions, event: { type: rule.name } });
  }
  const { results, failureResults } = await engine.run({ ...facts });
  const byName = new Map<string, { conditions: EvaluatedNode; result: boolean }>();
  for (const result of [...results, ...failureResults]) {
    const json = result.toJSON(false) as unknown as { conditions: EvaluatedNode; result: boolean };
    byName.set(result.name, json);
  }
  return rules.map((rule) => {
    const evaluated = byName.get(rule.name);
    const leaves: TraceCondition[] = [];
    let applicable = true;
    let holds = evaluated?.result === true;
    if (rule.when) {
      const [gate, decision] = evaluated?.conditions.all ?? [];
      collectLeaves(rule.when, gate, facts, 'when', leaves);
      collectLeaves(rule.conditions, decision, facts, 'if', leaves);
      applicable = treeOutcome(rule.when, gate);
      holds = treeOutcome(rule.conditions, decision);
    } else {
      collectLeaves(rule.conditions, evaluated?.conditions, facts, 'if', leaves);
    }
    return { rule, applicable, holds, leaves };
  });
}

/** A group's outcome from its leaves' engine results (the engine reports results on leaves only). */
function treeOutcome(spec: ConditionNode, evaluated: EvaluatedNode | undefined): boolean {
  if ('all' in spec) return spec.all.every((child, index) => treeOutcome(child, evaluated?.all?.[index]));
  if ('any' in spec) return spec.any.some((child, index) => treeOutcome(child, evaluated?.any?.[index]));
  if ('not' in spec) return !treeOutcome(spec.not, evaluated?.not);
  return evaluated?.result === true;
}

function groupByPriority(rules: RuleSpec[]): RuleSpec[][] {
  const groups: RuleSpec[][] = [];
  for (const rule of rules) {
    const last = groups[groups.length - 1];
    if (last && last[0].priority === rule.priority) last.push(rule);
    else groups.push([rule]);
  }
  return groups;
}

function logicOf(evaluation: Evaluation): string {
  const marks = (role: 'when' | 'if') =>
    evaluation.leaves
      .filter((leaf) => leaf.role === role)
      .map((leaf) => ({ outcome: leaf.outcome, unknown: leaf.value === null && FACT_BY_NAME.get(leaf.fact)?.origin === 'profile' }));
  const decision = describeTree(evaluation.rule.conditions, marks('if'));
  return evaluation.rule.when ? `when ${describeTree(evaluation.rule.when, marks('when'))}: ${decision}` : decision;
}

/** Assumptions for unknown facts and for measured facts whose CI straddles a threshold. */
function assumptionsFor(evaluation: Evaluation, facts: Facts): string[] {
  const out: string[] = [];
  const { rule } = evaluation;
  for (const leaf of evaluation.leaves.filter((l) => l.role === 'if')) {
    const spec = FACT_BY_NAME.get(leaf.fact);
    if (!spec || spec.origin !== 'profile') continue;
    const condition = describeLeaf(leaf.fact, leaf.operator as LeafCondition['operator'], leaf.threshold as FactValue);
    if (leaf.value === null) {
      const assumed = rule.ifUnknown ?? `the condition "${condition}" counted as not met`;
      const how = spec.howToSupply ? `; to measure it, ${spec.howToSupply}` : '';
      out.push(`${leaf.fact} is unknown, so ${assumed} (rule ${rule.name})${how}.`);
      continue;
    }
    if (spec.ci && typeof leaf.threshold === 'number' && typeof leaf.value === 'number') {
      const low = facts[spec.ci[0]];
      const high = facts[spec.ci[1]];
      if (typeof low === 'number' && typeof high === 'number' && low <= leaf.threshold && leaf.threshold <= high) {
        out.push(
          `${leaf.fact} = ${formatValue(leaf.value)} but its 95% CI [${formatValue(low)}, ${formatValue(high)}] straddles the threshold ${formatValue(leaf.threshold)} of rule ${rule.name}: this decision could flip; profile more images (a larger --sample, or all of them) to settle it.`,
        );
      }
    }
  }
  return out;
}

interface RunState {
  facts: Facts;
  draft: RecipeDraft;
  path: string[];
  assumptions: string[];
  alternatives: PendingAlternative[];
}

function applyEffect(state: RunState, rule: RuleSpec, effect: RuleEffect, phase: 'decide' | 'finish'): string {
  const { facts, draft } = state;
  const fill = (text: string) => fillPlaceholders(text, facts);
  const skippedNotes: string[] = [];
  let changedRecipe = false;
  if (effect.path && phase === 'decide') state.path.push(fill(effect.path));
  if (effect.decide) for (const [name, value] of Object.entries(effect.decide)) facts[name] = value;
  if (effect.use) {
    if (draft.loss && draft.id && draft.title && draft.id !== effect.use.id) {
      state.alternatives.push({
        spec: { id: draft.id, title: draft.title, loss: structuredClone(draft.loss), reason: `replaced by rule ${rule.name}: ${rule.rationale}` },
        rule: rule.name,
        displaced: true,
        order: state.alternatives.length,
      });
    }
    useLoss(draft, effect.use);
    facts.lossName = effect.use.loss.name;
    changedRecipe = true;
  }
  if (effect.lossParams) {
    const skipped = mergeLossParams(draft, effect.lossParams);
    if (skipped.length) skippedNotes.push(`(${skipped.join(', ')} skipped: not a parameter of ${draft.loss?.name ?? 'the loss, none chosen yet'})`);
    changedRecipe = true;
  }
  if (effect.set) {
    applySettings(draft, effect.set, rule.name);
    changedRecipe = true;
  }
  if (effect.note) {
    draft.notes.push(fill(effect.note));
    changedRecipe = true;
  }
  if (effect.alternatives && phase === 'decide') {
    for (const spec of effect.alternatives) {
      state.alternatives.push({ spec: { ...spec, reason: fill(spec.reason) }, rule: rule.name, displaced: false, order: state.alternatives.length });
    }
  }
  if (effect.assume) state.assumptions.push(fill(effect.assume));
  if (changedRecipe && !draft.derivedFrom.includes(rule.name)) draft.derivedFrom.push(rule.name);
  return [describeEffect(effect, facts), ...skippedNotes].filter(Boolean).join(' ');
}

/** Evaluates rules group by group, applying effects; returns trace entries when asked. */
async function runRules(state: RunState, rules: RuleSpec[], phase: 'decide' | 'finish', trace: TraceEntry[] | null): Promise<void> {
  for (const group of groupByPriority(rules)) {
    const evaluations = await evaluateGroup(group, state.facts);
    for (const evaluation of evaluations) {
      const { rule, applicable, holds } = evaluation;
      const branch = !applicable ? null : holds ? (rule.then ? 'then' : null) : rule.else ? 'else' : null;
      const snapshot = { ...state.facts };
      const effectText = branch ? applyEffect(state, rule, rule[branch]!, phase) : null;
      if (!trace) continue;
      if (applicable) state.assumptions.push(...assumptionsFor(evaluation, snapshot));
      trace.push({
        rule: rule.name,
        source: rule.file,
        step: rule.step,
        rationale: rule.rationale,
        conditions: evaluation.leaves,
        fired: applicable && holds,
        effect: effectText === null ? null : branch === 'else' ? `else: ${effectText}` : effectText,
        phase,
        priority: rule.priority,
        applicable,
        branch,
        logic: logicOf(evaluation),
      });
    }
  }
}

function sameLoss(a: Recipe['loss'], b: Recipe['loss']): boolean {
  return a.name === b.name && JSON.stringify(a.params) === JSON.stringify(b.params);
}

/** Class shares by id, 0 for classes the profile lacks. */
function classSharesOf(profile: DatasetProfile): number[] {
  const shares = new Array<number>(profile.aggregates.numClasses).fill(0);
  for (const cls of profile.classes) if (cls.id >= 0 && cls.id < shares.length) shares[cls.id] = cls.pixelShare;
  return shares;
}

export async function recommend(profile: DatasetProfile, options: RecommendOptions): Promise<Recommendation> {
  const { ruleSet, intent } = options;
  const decideRules = ruleSet.rules.filter((rule) => rule.phase === 'decide');
  const finishRules = ruleSet.rules.filter((rule) => rule.phase === 'finish');
  const shares = classSharesOf(profile);
  const trace: TraceEntry[] = [];
  const state: RunState = { facts: factsFromProfile(profile, intent), draft: emptyDraft(), path: [], assumptions: [], alternatives: [] };

  await runRules(state, decideRules, 'decide', trace);
  const decided = cloneDraft(state.draft);
  const decidedFacts = { ...state.facts };
  await runRules(state, finishRules, 'finish', trace);
  const recipe = finalizeDraft(state.draft, shares, ruleSet.files, backgroundIdOf(profile));
  state.path.push(recipe.title);

  // Alternatives differ from the recommendation in the loss (and what they `set`), everything else
  // as decided, then tuned by the same finish rules, so a verify run compares like with like.
  const ranked = [...state.alternatives].sort(
    (a, b) =>
      Number(b.displaced) - Number(a.displaced) ||
      (a.displaced ? b.order - a.order : (a.spec.rankHint ?? 50) - (b.spec.rankHint ?? 50) || a.order - b.order),
  );
  const alternatives: Recommendation['alternatives'] = [];
  const seen = new Set<string>([recipe.id]);
  for (const pending of ranked) {
    if (seen.has(pending.spec.id)) continue;
    const draft = cloneDraft(decided);
    useLoss(draft, pending.spec);
    if (pending.spec.set) applySettings(draft, pending.spec.set, pending.rule);
    draft.derivedFrom = [pending.rule];
    const altState: RunState = { facts: { ...decidedFacts, lossName: pending.spec.loss.name }, draft, path: [], assumptions: [], alternatives: [] };
    await runRules(altState, finishRules, 'finish', null);
    // What the alternative states explicitly (e.g. nnU-Net's unweighted CE) wins over tuning.
    if (pending.spec.set) applySettings(altState.draft, pending.spec.set, pending.rule);
    const altRecipe = finalizeDraft(altState.draft, shares, ruleSet.files, backgroundIdOf(profile));
    if (sameLoss(altRecipe.loss, recipe.loss) && !pending.spec.set) continue;
    seen.add(pending.spec.id);
    alternatives.push({ rank: alternatives.length + 1, recipe: altRecipe, reason: pending.spec.reason });
  }

  return {
    schemaVersion: RECOMMENDATION_SCHEMA_VERSION,
    kind: 'Recommendation',
    createdAt: (options.now ?? new Date()).toISOString(),
    tool: { ...TOOL_INFO },
    input: {
      profileSource: options.profileSource,
      domain: intent.domain,
      priority: intent.priority,
      ruleFiles: [...ruleSet.files],
      numClasses: profile.aggregates.numClasses,
      classNames: [...profile.dataset.classNames],
      ignoreIndex: profile.dataset.ignoreIndex,
      ...profileInputBands(profile.dataset), // multi-band images (docs/multiband.md): what export's IN_CHANNELS says
    },
    facts: { ...state.facts, lossName: recipe.loss.name },
    recipe,
    path: state.path,
    alternatives,
    assumptions: [...new Set(state.assumptions)],
    trace,
  };
}

/** Every threshold of a rule set, for listings and docs. */
export function thresholdsOf(rule: RuleSpec): LeafCondition[] {
  return [...leafConditions(rule.when as ConditionTree | undefined), ...leafConditions(rule.conditions)] as LeafCondition[];
}

/** The input channel count (when every profiled image had the same band count) and --bands, from a profile. */
function profileInputBands(dataset: DatasetProfile['dataset']): { inputChannels?: number; bands?: number[] } {
  const counts = Object.keys(dataset.imageBands ?? {}).map(Number);
  return { ...(counts.length === 1 ? { inputChannels: counts[0] } : {}), ...(dataset.bands ? { bands: [...dataset.bands] } : {}) };
}
