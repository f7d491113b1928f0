import type { Recipe, Recommendation } from '../../src/contracts/recommendation.js';

/** A hand-written Recommendation in the article's satellite setting (rules/ output shape). */
export function satelliteRecipe(over: Partial<Recipe> = {}): Recipe {
  return {
    id: 'combo-satellite',
    title: 'Combo 0.7 Dice + 0.3 CE (satellite recipe)',
    loss: { name: 'combo', params: { diceWeight: 0.7, ceWeight: 0.3 } },
    classWeights: { values: [0.1, 1, 1, 2, 2, 3], method: 'article', formula: 'the article’s weights' },
    scaleAware: null,
    optimizer: { name: 'adamw', lr: 1e-3, weightDecay: 1e-4, momentum: null, nesterov: false },
    schedule: { name: 'cosine', warmupFraction: 0.05, power: null, minLrFactor: 0.01 },
    gradientClipNorm: 1,
    rareClassOversampling: 0.33,
    derivedFrom: ['satellite-recipe'],
    ...over,
  };
}

export function recommendationFor(given: Recipe, numClasses = 6): Recommendation {
  const recipe = given.classWeights ? { ...given, classWeights: { ...given.classWeights, values: given.classWeights.values.slice(0, numClasses) } } : given;
  const classNames = ['background', 'roof', 'flat roof', 'industrial', 'greenhouse', 'solar panel'].slice(0, numClasses);
  return {
    schemaVersion: 1,
    kind: 'Recommendation',
    createdAt: '2026-01-01T00:00:00.000Z',
    tool: { name: 'segloss', version: 'test' },
    input: { profileSource: 'test', domain: 'satellite', priority: null, ruleFiles: [], numClasses, classNames, ignoreIndex: 255 },
    facts: {},
    recipe,
    path: [],
    alternatives: [{ rank: 1, recipe: { ...recipe, id: 'focal-alt', title: 'Focal gamma 1.5', loss: { name: 'focal', params: { gamma: 1.5 } } }, reason: 'boundaries are mostly clear' }],
    assumptions: [],
    trace: [],
  };
}
