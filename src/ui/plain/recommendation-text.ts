/**
 * Plain text for a Recommendation built from the same lines as the Ink ReasoningView (80
 * columns, no colour): used when stdout is not a terminal. Interim until rules' own
 * formatRecommendationText (src/report/recommendation-text.ts) is wired in render.ts.
 */
import type { Recommendation } from '../../contracts/recommendation.js';
import { linesToText } from '../lines.js';
import { reasoningLines } from '../views/reasoning-lines.js';

export function formatRecommendationPlain(rec: Recommendation, _options: { color: boolean }): string {
  return `${linesToText(reasoningLines(rec, 80))}\n`;
}
