/**
 * The facts the rule engine reads, by flat name. This table is the contract between rule files and
 * the engine: a rule may only name a fact listed here, and its threshold must have the fact's type.
 */
import type { DatasetProfile, Interval, ProfileAggregates } from '../contracts/profile.js';
import { DOMAINS, PRIORITIES, type Domain, type Priority } from '../contracts/recommendation.js';
import { LOSS_NAMES } from '../contracts/losses.js';
import { backgroundIdOf } from '../contracts/profile.js';

export type FactValue = number | string | boolean | null;
export type FactType = 'number' | 'string' | 'boolean';

/** Where a fact comes from: measured by the profiler, stated by the user, or decided by earlier rules. */
export type FactOrigin = 'profile' | 'intent' | 'decision';

export interface FactSpec {
  name: string;
  type: FactType;
  origin: FactOrigin;
  /** True when the value may be null (unknown / not given / not decided yet). */
  nullable: boolean;
  /** Allowed values for string facts. */
  values?: readonly string[];
  description: string;
  /** How a user supplies the fact when it is unknown. */
  howToSupply?: string;
  /** The names of the facts holding this fact's 95% CI bounds, when it has one. */
  ci?: [string, string];
}

const WITH_IMAGES = 'profile a dataset that has images (ROOT/images or --images DIR), not masks only';
const WITH_OBJECTS = 'the profile found no foreground objects; check --ignore-index and that masks hold class ids';

function profileFact(
  name: keyof ProfileAggregates | string,
  type: FactType,
  description: string,
  extra: Partial<FactSpec> = {},
): FactSpec {
  return { name, type, origin: 'profile', nullable: false, description, ...extra };
}

/** Interval aggregates become two facts, `<name>Low` and `<name>High`. */
function ciFacts(name: string, of: string): FactSpec[] {
  const text = `Lower/upper bound of the 95% confidence interval of ${of}; null when the whole dataset was profiled.`;
  const howToSupply = 'only set when the profile was made with --sample N';
  return [
    profileFact(`${name}Low`, 'number', text, { nullable: true, howToSupply }),
    profileFact(`${name}High`, 'number', text, { nullable: true, howToSupply }),
  ];
}

export const FACTS: readonly FactSpec[] = [
  profileFact('numClasses', 'number', 'Number of classes, the background class (if any) included.'),
  profileFact('hasBackground', 'boolean', 'True when the dataset has a background class (--background ID, default 0); false when every class is foreground (--background none: Cityscapes, ADE20K).'),
  profileFact('backgroundClassId', 'number', 'Id of the background class; -1 when there is none.'),
  profileFact('imagesProfiled', 'number', 'Masks profiled.'),
  profileFact('validPixels', 'number', 'Pixels not equal to the ignore index.'),
  profileFact('ignoredPixels', 'number', 'Pixels equal to the ignore index.'),
  profileFact('backgroundShare', 'number', 'Share of the background class among valid pixels; 0 when there is no background class (hasBackground false).', { ci: ['backgroundShareCI95Low', 'backgroundShareCI95High'] }),
  ...ciFacts('backgroundShareCI95', 'backgroundShare'),
  profileFact('foregroundShare', 'number', '1 - backgroundShare.', { ci: ['foregroundShareCI95Low', 'foregroundShareCI95High'] }),
  ...ciFacts('foregroundShareCI95', 'foregroundShare'),
  profileFact('smallestForegroundShare', 'number', 'Smallest pixel share among foreground classes present (every class but the background).', {
    ci: ['smallestForegroundShareCI95Low', 'smallestForegroundShareCI95High'],
  }),
  ...ciFacts('smallestForegroundShareCI95', 'smallestForegroundShare'),
  profileFact('smallestForegroundClassId', 'number', 'Id of that class.'),
  profileFact('absentClassCount', 'number', 'Foreground classes that never appear in the profiled masks (length of absentClassIds).'),
  profileFact('imbalanceRatio', 'number', 'Largest class share / smallest present class share.'),
  profileFact('rareClassCount', 'number', 'Foreground classes with a share below 1% of valid pixels.'),
  profileFact('objectCount', 'number', 'All 8-connected foreground objects.'),
  profileFact('smallObjectShare', 'number', 'Share of foreground objects under 100 px.', { nullable: true, howToSupply: WITH_OBJECTS }),
  profileFact('scaleSpreadDecades', 'number', 'log10(p90 / p10) of foreground object areas.', { nullable: true, howToSupply: WITH_OBJECTS }),
  profileFact('objectAreaP10', 'number', '10th percentile of foreground object areas (px).', { nullable: true, howToSupply: WITH_OBJECTS }),
  profileFact('objectAreaP50', 'number', 'Median foreground object area (px).', { nullable: true, howToSupply: WITH_OBJECTS }),
  profileFact('objectAreaP90', 'number', '90th percentile of foreground object areas (px).', { nullable: true, howToSupply: WITH_OBJECTS }),
  profileFact('ambiguousBoundaryShare', 'number', 'Share of label-boundary pixels on low-contrast image edges.', {
    nullable: true,
    howToSupply: WITH_IMAGES,
    ci: ['ambiguousBoundaryShareCI95Low', 'ambiguousBoundaryShareCI95High'],
  }),
  ...ciFacts('ambiguousBoundaryShareCI95', 'ambiguousBoundaryShare'),
  profileFact('meanBoundaryContrast', 'number', 'Mean boundary contrast-to-noise ratio.', { nullable: true, howToSupply: WITH_IMAGES }),
  profileFact('hasImages', 'boolean', 'True when the dataset has images (boundary facts can be measured).'),
  {
    name: 'domain',
    type: 'string',
    origin: 'intent',
    nullable: true,
    values: DOMAINS,
    description: 'The --domain the user gave (satellite | medical | driving), null when not given.',
    howToSupply: 'pass --domain satellite|medical|driving',
  },
  {
    name: 'priority',
    type: 'string',
    origin: 'intent',
    nullable: true,
    values: PRIORITIES,
    description: 'The --priority the user gave (stability | rare-class-recall | boundaries), null when not given.',
    howToSupply: 'pass --priority stability|rare-class-recall|boundaries',
  },
  {
    name: 'imbalanced',
    type: 'boolean',
    origin: 'decision',
    nullable: true,
    description: 'Flowchart decision "severe class imbalance?"; null until a rule decides it.',
  },
  {
    name: 'boundariesClear',
    type: 'boolean',
    origin: 'decision',
    nullable: true,
    description: 'Flowchart decision "clear object boundaries?"; null until a rule decides it.',
  },
  {
    name: 'stabilityNeeded',
    type: 'boolean',
    origin: 'decision',
    nullable: true,
    description: 'Flowchart decision "need stable training?"; null until a rule decides it.',
  },
  {
    name: 'lossName',
    type: 'string',
    origin: 'decision',
    nullable: true,
    values: LOSS_NAMES,
    description: 'The loss the recipe uses so far (set by rules that `use` a loss); null before any has.',
  },
];

export const FACT_BY_NAME: ReadonlyMap<string, FactSpec> = new Map(FACTS.map((fact) => [fact.name, fact]));

/** Facts rules can set through `decide`. */
export const DECISION_FACTS = ['imbalanced', 'boundariesClear', 'stabilityNeeded'] as const;
export type DecisionFact = (typeof DECISION_FACTS)[number];

export type Facts = Record<string, FactValue>;

export interface Intent {
  domain: Domain | null;
  priority: Priority | null;
}

function intervalFacts(name: string, interval: Interval | null): Facts {
  return { [`${name}Low`]: interval ? interval[0] : null, [`${name}High`]: interval ? interval[1] : null };
}

/** The flat facts of a profile plus the user's intent; decisions start unknown (null). */
export function factsFromProfile(profile: DatasetProfile, intent: Intent): Facts {
  const a = profile.aggregates;
  return {
    numClasses: a.numClasses,
    hasBackground: backgroundIdOf(profile) >= 0,
    backgroundClassId: backgroundIdOf(profile),
    imagesProfiled: a.imagesProfiled,
    validPixels: a.validPixels,
    ignoredPixels: a.ignoredPixels,
    backgroundShare: a.backgroundShare,
    ...intervalFacts('backgroundShareCI95', a.backgroundShareCI95),
    foregroundShare: a.foregroundShare,
    ...intervalFacts('foregroundShareCI95', a.foregroundShareCI95),
    smallestForegroundShare: a.smallestForegroundShare,
    ...intervalFacts('smallestForegroundShareCI95', a.smallestForegroundShareCI95),
    smallestForegroundClassId: a.smallestForegroundClassId,
    absentClassCount: a.absentClassIds.length,
    imbalanceRatio: a.imbalanceRatio,
    rareClassCount: a.rareClassCount,
    objectCount: a.objectCount,
    smallObjectShare: a.smallObjectShare,
    scaleSpreadDecades: a.scaleSpreadDecades,
    objectAreaP10: a.objectAreaP10,
    objectAreaP50: a.objectAreaP50,
    objectAreaP90: a.objectAreaP90,
    ambiguousBoundaryShare: a.ambiguousBoundaryShare,
    ...intervalFacts('ambiguousBoundaryShareCI95', a.ambiguousBoundaryShareCI95),
    meanBoundaryContrast: a.meanBoundaryContrast,
    hasImages: profile.dataset.hasImages,
    domain: intent.domain,
    priority: intent.priority,
    imbalanced: null,
    boundariesClear: null,
    stabilityNeeded: null,
    lossName: null,
  };
}
