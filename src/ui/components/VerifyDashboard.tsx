import React, { useMemo } from 'react';
import type { VerificationReport } from '../../contracts/verification.js';
import { useVerifyState } from '../hooks/use-verify-store.js';
import { useViewWidth } from '../hooks/use-view-width.js';
import { BLANK } from '../lines.js';
import type { VerifyStore } from '../verify-state.js';
import { curveLines, headlineLines, keyLines, liveLines, metricsTableLines, verdictLines, verificationLines } from '../views/verify-lines.js';
import { LinesView } from './LinesView.js';

export interface LiveVerifyDashboardProps {
  store: VerifyStore;
  width?: number;
  color?: boolean;
}

/** Live: a row per candidate from the event stream; once the report arrives, its table and verdict. */
export function LiveVerifyDashboard({ store, width, color = true }: LiveVerifyDashboardProps): React.JSX.Element {
  const columns = useViewWidth(width);
  const state = useVerifyState(store);
  const lines = useMemo(
    () => (state.report
      ? [...headlineLines(state.report, columns), BLANK, ...liveLines({ ...state, messages: [] }, columns), BLANK, ...metricsTableLines(state.report, columns), BLANK, ...curveLines(state.report, columns), BLANK, ...verdictLines(state.report, columns), BLANK, ...keyLines(state.report, columns)]
      : liveLines(state, columns)),
    [state, columns],
  );
  return <LinesView lines={lines} width={columns} color={color} />;
}

export interface VerifyDashboardProps {
  report: VerificationReport;
  width?: number;
  color?: boolean;
}

/** A finished verification: settings, a row per candidate with its loss curve, metrics, verdict. */
export function VerifyDashboard({ report, width, color = true }: VerifyDashboardProps): React.JSX.Element {
  const columns = useViewWidth(width);
  const lines = useMemo(() => verificationLines(report, columns), [report, columns]);
  return <LinesView lines={lines} width={columns} color={color} />;
}
