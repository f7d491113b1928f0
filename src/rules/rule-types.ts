/**
 * The shape of a rule file (`rules/*.json`, `--rules FILE`). Rule files are data: conditions use
 * json-rules-engine's all/any/not form over the facts in facts.ts, and effects are declarative
 * settings the engine applies. Nothing in a rule file is executed as code.
 */
import type { LossName, LossParamValue, ScaleAwareWeighting } from '../contracts/losses.js';
import type { OptimizerName, ScheduleName } from '../contracts/recommendation.js';
import type { DecisionFact, FactValue } from './facts.js';

export const RULE_FILE_SCHEMA = 'segloss-rules/1';

/**
 * Bounds on user rule files, checked before any rule is evaluated: a file of 200,000 rules once
 * wrote a 137 MB recommendation and then overflowed the stack. The built-in files are under 10 KB
 * with 3-7 rules each and conditions 3 deep, so these leave room for any real rule set.
 */
export const RULE_FILE_LIMITS = {
  /** Bytes per rule file. */
  maxBytes: 1024 * 1024,
  /** Rules per file. */
  maxRulesPerFile: 500,
  /** Rules in force, built-in and all --rules files together. */
  maxRulesTotal: 1000,
  /** Nesting of arrays and objects in the JSON text. */
  maxJsonDepth: 32,
  /** Nesting of all/any/not condition groups. */
  maxConditionDepth: 8,
  /** Leaf conditions per rule (when + conditions). */
  maxConditionsPerRule: 200,
  /** Alternatives per effect. */
  maxAlternatives: 50,
} as const;

/** json-rules-engine's built-in comparison operators that rule files may use (no custom operators). */
export const OPERATORS = [
  'equal',
  'notEqual',
  'in',
  'notIn',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
] as const;
export type OperatorName = (typeof OPERATORS)[number];
export const NUMERIC_OPERATORS: readonly OperatorName[] = ['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive'];
export const LIST_OPERATORS: readonly OperatorName[] = ['in', 'notIn'];

/** Short symbols for people reading traces. */
export const OPERATOR_SYMBOLS: Record<OperatorName, string> = {
  equal: '=',
  notEqual: '≠',
  in: 'in',
  notIn: 'not in',
  lessThan: '<',
  lessThanInclusive: '≤',
  greaterThan: '>',
  greaterThanInclusive: '≥',
};

export interface LeafCondition {
  fact: string;
  operator: OperatorName;
  value: FactValue | FactValue[];
  /** Why this threshold, in one line. */
  rationale?: string;
  /** Where the threshold comes from (the article, a paper, a reference system, or a project choice). */
  source?: string;
}

export type ConditionTree = { all: ConditionNode[] } | { any: ConditionNode[] } | { not: ConditionNode };
export type ConditionNode = LeafCondition | ConditionTree;

export type ClassWeightMethod = 'median-frequency' | 'inverse-sqrt-frequency' | 'fixed';
export const CLASS_WEIGHT_METHODS: readonly ClassWeightMethod[] = ['median-frequency', 'inverse-sqrt-frequency', 'fixed'];

/** How to derive class weights from the measured shares (computed by class-weights.ts). */
export interface ClassWeightsSetting {
  method: ClassWeightMethod;
  /** [min, max] the weights are clipped to (derived methods); absent classes get max. */
  clip?: [number, number];
  /** The weights, for method 'fixed' (length must equal the dataset's class count). */
  values?: number[];
}

/** Recipe fields a rule may set; anything left out keeps its current value. */
export interface RecipeSettings {
  optimizer?: Partial<{ name: OptimizerName; lr: number; weightDecay: number; momentum: number | null; nesterov: boolean }>;
  schedule?: Partial<{ name: ScheduleName; warmupFraction: number; power: number | null; minLrFactor: number }>;
  gradientClipNorm?: number | null;
  rareClassOversampling?: number;
  /** Goes into the loss's own labelSmoothing parameter when it has one, else into Recipe.labelSmoothing. */
  labelSmoothing?: number;
  /** OHEM: CE becomes ohem_ce; for other losses Recipe.ohem applies it to their CE term. null removes it. */
  ohem?: { keepRatio: number } | null;
  classWeights?: ClassWeightsSetting | null;
  scaleAware?: ScaleAwareWeighting | null;
}

export interface LossChoice {
  id: string;
  title: string;
  loss: { name: LossName; params?: Record<string, LossParamValue> };
}

export interface AlternativeSpec extends LossChoice {
  /** Settings that differ from the recommended recipe (e.g. nnU-Net's SGD + poly). */
  set?: RecipeSettings;
  /** Why it lost to the recommendation; `{fact}` placeholders are filled with fact values. */
  reason: string;
  /** Ranking hint: lower ranks first (default 50). Recipes a later rule displaced always rank first. */
  rankHint?: number;
}

/** What a rule does, as data. Text fields may hold `{factName}` placeholders. */
export interface RuleEffect {
  /** Label appended to the path through the flowchart. */
  path?: string;
  /** Flowchart decisions later rules can read as facts. */
  decide?: Partial<Record<DecisionFact, boolean>>;
  /** The loss the recipe uses from now on (the one it replaces becomes an alternative). */
  use?: LossChoice;
  /** Parameters merged into the current loss's parameters. */
  lossParams?: Record<string, LossParamValue>;
  set?: RecipeSettings;
  /** Advice the recipe carries that segloss cannot train itself (Recipe.notes). */
  note?: string;
  alternatives?: AlternativeSpec[];
  /** An assumption to state in the recommendation. */
  assume?: string;
}

/**
 * 'decide' rules choose the recipe (flowchart, scenarios, extensions); 'finish' rules tune every
 * recipe, the recommended one and each alternative, by its loss (warm-up for Dice, class weights...).
 */
export type RulePhase = 'decide' | 'finish';

export interface RuleSpec {
  name: string;
  /** Flowchart node or group: 'defaults', 'imbalance', 'boundaries', 'stability', 'scenario', 'priority', 'extension', 'training', 'baseline'. */
  step: string;
  phase: RulePhase;
  /** Higher runs first (integer >= 1); rules with one priority see the same facts and apply in name order. */
  priority: number;
  rationale: string;
  source: string;
  /** The rule only applies when this holds (otherwise neither `then` nor `else` runs). */
  when?: ConditionTree;
  conditions: ConditionTree;
  then?: RuleEffect;
  else?: RuleEffect;
  /** What is assumed when a fact this rule reads is unknown (null), e.g. 'boundaries treated as clear'. */
  ifUnknown?: string;
  /** A user file can switch a built-in rule off by overriding it with disabled: true. */
  disabled?: boolean;
  /** File the rule came from (set by the loader). */
  file: string;
}

export interface RuleFile {
  path: string;
  description: string;
  rules: RuleSpec[];
}
