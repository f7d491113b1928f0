import React, { useMemo } from 'react';
import type { Recommendation } from '../../contracts/recommendation.js';
import { useViewWidth } from '../hooks/use-view-width.js';
import { reasoningLines } from '../views/reasoning-lines.js';
import { LinesView } from './LinesView.js';

export interface ReasoningViewProps {
  recommendation: Recommendation;
  width?: number;
  color?: boolean;
}

/** The path through the flowchart with every decision, then the recipe and the alternatives. */
export function ReasoningView({ recommendation, width, color = true }: ReasoningViewProps): React.JSX.Element {
  const columns = useViewWidth(width);
  const lines = useMemo(() => reasoningLines(recommendation, columns), [recommendation, columns]);
  return <LinesView lines={lines} width={columns} color={color} />;
}
