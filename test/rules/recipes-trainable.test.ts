/**
 * Every recipe the built-in rules can emit must be one the loss library accepts: a recipe that
 * createLoss rejects would fail its verify candidate at the first step.
 */
import { describe, expect, it } from 'vitest';
import type { Domain, Priority, Recipe } from '../../src/contracts/recommendation.js';
import { createLoss } from '../../src/losses/index.js';
import { ARTICLE_SHARES, BALANCED_SHARES } from './profile-builder.js';
import { recommendFor } from './helpers.js';

const DOMAINS: Array<Domain | undefined> = [undefined, 'satellite', 'medical', 'driving'];
const PRIORITIES: Array<Priority | undefined> = [undefined, 'stability', 'rare-class-recall', 'boundaries'];
const SETTINGS = [
  { label: 'balanced', shares: BALANCED_SHARES, aggregates: {} },
  { label: 'article, sharp, multi-scale', shares: ARTICLE_SHARES, aggregates: { ambiguousBoundaryShare: 0.1, scaleSpreadDecades: 2 } },
  { label: 'article, blurred, multi-scale', shares: ARTICLE_SHARES, aggregates: { ambiguousBoundaryShare: 0.8, scaleSpreadDecades: 2 } },
  { label: 'article, sharp, one scale', shares: ARTICLE_SHARES, aggregates: { ambiguousBoundaryShare: 0.1, scaleSpreadDecades: 0.5 } },
  { label: 'article, masks only', shares: ARTICLE_SHARES, aggregates: { ambiguousBoundaryShare: null, scaleSpreadDecades: 2 } },
];

function constructs(recipe: Recipe, numClasses: number): void {
  createLoss(recipe.loss, {
    numClasses,
    ignoreIndex: 255,
    classWeights: recipe.classWeights?.values ?? null,
    scaleAware: recipe.scaleAware,
  });
}

describe('every emitted recipe is trainable', () => {
  for (const setting of SETTINGS) {
    it(`${setting.label}: recommended and alternatives construct`, async () => {
      for (const domain of DOMAINS) {
        for (const priority of PRIORITIES) {
          const rec = await recommendFor({ shares: setting.shares, aggregates: setting.aggregates }, { domain, priority });
          const numClasses = setting.shares.length;
          expect(() => constructs(rec.recipe, numClasses), `${domain}/${priority}: ${rec.recipe.id}`).not.toThrow();
          for (const alternative of rec.alternatives) {
            expect(() => constructs(alternative.recipe, numClasses), `${domain}/${priority}: ${alternative.recipe.id}`).not.toThrow();
          }
        }
      }
    });
  }
});
