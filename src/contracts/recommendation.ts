import type { LossSpec, ScaleAwareWeighting } from './losses.js';

export const RECOMMENDATION_SCHEMA_VERSION = 1 as const;

export type Domain = 'satellite' | 'medical' | 'driving';
export type Priority = 'stability' | 'rare-class-recall' | 'boundaries';
export const DOMAINS: Domain[] = ['satellite', 'medical', 'driving'];
export const PRIORITIES: Priority[] = ['stability', 'rare-class-recall', 'boundaries'];

export interface ClassWeights {
  values: number[];
  /** e.g. 'median-frequency', 'inverse-sqrt-frequency', 'article' */
  method: string;
  /** The formula in words, e.g. 'w_c = median(f) / f_c, clipped to [0.1, 10]'. */
  formula: string;
}

export type OptimizerName = 'adam' | 'adamw' | 'sgd';
export type ScheduleName = 'constant' | 'cosine' | 'poly';

/** A complete training recipe: everything verify/ needs and export/ writes out. */
export interface Recipe {
  /** Stable id, e.g. 'combo-satellite', 'ce', 'focal'. */
  id: string;
  /** One line for people, e.g. 'Combo 0.7 Dice + 0.3 CE (satellite recipe)'. */
  title: string;
  loss: LossSpec;
  classWeights: ClassWeights | null;
  scaleAware: ScaleAwareWeighting | null;
  optimizer: { name: OptimizerName; lr: number; weightDecay: number; momentum: number | null; nesterov: boolean };
  schedule: { name: ScheduleName; warmupFraction: number; power: number | null; minLrFactor: number };
  gradientClipNorm: number | null;
  /** Share of crops centred on a rare-class pixel (0 = uniform random crops). */
  rareClassOversampling: number;
  /** Rule names that set parts of this recipe, in the order they applied. */
  derivedFrom: string[];
  /**
   * Recipe-level label smoothing: targets become (1-e)*onehot + e/C. Verify and export fold it into
   * the loss's own labelSmoothing parameter (ce, combo, ohem_ce, focal; src/losses/recipe-extras)
   * unless the spec sets one; Dice-family losses have none, and verify notes it is not trained.
   * Absent or null: none.
   */
  labelSmoothing?: number | null;
  /**
   * Online hard example mining on the CE term of a compound loss (combo): only the hardest
   * keepRatio share of valid pixels count in its CE term, as ohem_ce does. A plain CE recipe uses
   * the ohem_ce loss instead. Absent or null: none.
   */
  ohem?: { keepRatio: number } | null;
  /** Advice that goes with the recipe but that segloss does not train (e.g. a boundary term). */
  notes?: string[];
}

export interface TraceCondition {
  fact: string;
  /** The fact's value as the engine saw it (null when unknown). */
  value: number | string | boolean | null;
  operator: string;
  threshold: number | string | boolean | null | Array<number | string>;
  outcome: boolean;
  /** 'when': part of the rule's applicability gate; 'if': part of its decision. */
  role?: 'when' | 'if';
}

export interface TraceEntry {
  rule: string;
  /** File the rule came from. */
  source: string;
  /** Flowchart node this rule decides, e.g. 'imbalance', 'boundaries', 'stability', 'scenario', 'extension'. */
  step: string;
  rationale: string;
  conditions: TraceCondition[];
  /** all/any combination of the conditions. */
  fired: boolean;
  /** What the rule did when it fired, in words. */
  effect: string | null;
  /** 'decide' (chooses the recipe) or 'finish' (tunes it by its loss). */
  phase?: 'decide' | 'finish';
  priority?: number;
  /** False when the rule's `when` gate did not hold, so neither branch ran. */
  applicable?: boolean;
  /** Which effect ran: 'then' (conditions held), 'else', or null (none). */
  branch?: 'then' | 'else' | null;
  /** The conditions as one readable expression with each outcome, e.g. 'any(imbalanceRatio ≥ 10 ✓, backgroundShare ≥ 0.85 ✗)'. */
  logic?: string;
}

export interface Recommendation {
  schemaVersion: typeof RECOMMENDATION_SCHEMA_VERSION;
  kind: 'Recommendation';
  createdAt: string;
  tool: { name: 'segloss'; version: string };
  input: {
    /** Path of the profile or dataset it was made from. */
    profileSource: string;
    domain: Domain | null;
    priority: Priority | null;
    ruleFiles: string[];
    numClasses: number;
    classNames: string[];
    ignoreIndex: number | null;
    /** Image bands per pixel the profile measured (one count for every image), i.e. the model's input channels; absent when unknown or mixed. */
    inputChannels?: number;
    /** --bands the profile was made with (1-based, in order). */
    bands?: number[];
  };
  /** The facts as given to the engine (flat names). */
  facts: Record<string, number | string | boolean | null>;
  recipe: Recipe;
  /** Path through the flowchart, e.g. ['imbalanced', 'boundaries clear', 'stability needed', 'Combo']. */
  path: string[];
  alternatives: Array<{ rank: number; recipe: Recipe; reason: string }>;
  /** Assumptions made for missing facts, and how to supply them. */
  assumptions: string[];
  trace: TraceEntry[];
}
