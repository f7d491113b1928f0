/**
 * The rendering layer the commands call: an Ink view when a person watches a terminal, the plain
 * text formatters otherwise (pipes, CI, files). `--json` never comes here: commands print the
 * contract instead.
 */
import React from 'react';
import { render, renderToString } from 'ink';
import type { TrainingEvent } from '../contracts/events.js';
import type { DatasetProfile } from '../contracts/profile.js';
import type { Recommendation } from '../contracts/recommendation.js';
import type { VerificationReport } from '../contracts/verification.js';
import { formatProfileText } from '../report/profile-text.js';
import { formatRecommendationText } from '../report/recommendation-text.js';
import { formatVerificationText } from '../report/verification-text.js';
import { ProfileView } from './components/ProfileView.js';
import { ReasoningView } from './components/ReasoningView.js';
import { LiveVerifyDashboard, VerifyDashboard } from './components/VerifyDashboard.js';
import { formatDuration } from './format.js';
import { clampWidth } from './hooks/use-view-width.js';
import { createVerifyStore, type VerifyStore } from './verify-state.js';
import { safeLine, safeTerminalText } from '../common/safe-text.js';

export interface RenderOptions {
  /** Colour and bold; false under NO_COLOR / --no-color. */
  color: boolean;
  /** Ink view (true) or plain text (false); default: whether stdout is a terminal. */
  interactive?: boolean;
  /** Layout width for the Ink view; default: the terminal's columns (clamped to 40-120). */
  columns?: number;
  /** Where the result goes; default process.stdout. */
  stream?: NodeJS.WritableStream;
}

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

function target(options: RenderOptions): { stream: Stream; interactive: boolean; columns: number; plainColor: boolean } {
  const stream = (options.stream ?? process.stdout) as Stream;
  return {
    stream,
    interactive: options.interactive ?? Boolean(stream.isTTY),
    columns: clampWidth(options.columns ?? stream.columns),
    // Plain text is for pipes and files: ANSI styles only when it still lands on a terminal.
    plainColor: options.color && Boolean(stream.isTTY),
  };
}

/** Finished output: a final newline, and no control character from user text (safeTerminalText). */
function withNewline(text: string): string {
  const safe = safeTerminalText(text);
  return safe.endsWith('\n') ? safe : `${safe}\n`;
}

/** The text a command prints for a profile: the Ink view rendered to a string, or plain text. */
export function profileOutput(profile: DatasetProfile, options: RenderOptions): string {
  const { interactive, columns, plainColor } = target(options);
  if (!interactive) return withNewline(formatProfileText(profile, { color: plainColor }));
  return withNewline(renderToString(React.createElement(ProfileView, { profile, width: columns, color: options.color }), { columns }));
}

export function recommendationOutput(recommendation: Recommendation, options: RenderOptions): string {
  const { interactive, columns, plainColor } = target(options);
  if (!interactive) return withNewline(formatRecommendationText(recommendation, { color: plainColor }));
  return withNewline(renderToString(React.createElement(ReasoningView, { recommendation, width: columns, color: options.color }), { columns }));
}

export function verificationOutput(report: VerificationReport, options: RenderOptions): string {
  const { interactive, columns, plainColor } = target(options);
  if (!interactive) return withNewline(formatVerificationText(report, { color: plainColor }));
  return withNewline(renderToString(React.createElement(VerifyDashboard, { report, width: columns, color: options.color }), { columns }));
}

export function renderProfile(profile: DatasetProfile, options: RenderOptions): void {
  target(options).stream.write(profileOutput(profile, options));
}

export function renderRecommendation(recommendation: Recommendation, options: RenderOptions): void {
  target(options).stream.write(recommendationOutput(recommendation, options));
}

export function renderVerification(report: VerificationReport, options: RenderOptions): void {
  target(options).stream.write(verificationOutput(report, options));
}

export interface VerifyDashboardOptions extends RenderOptions {
  /** Print the finished report (table and verdict) on `stream`; false for --json runs. Default true. */
  showResult?: boolean;
  /** Where plain-mode progress lines go; default process.stderr. */
  progressStream?: NodeJS.WritableStream;
}

export interface VerifyDashboardHandle {
  /** Pass to runVerification as its onEvent callback. */
  onEvent: (event: TrainingEvent) => void;
  /** Shows the finished report and releases the terminal. */
  finish: (report: VerificationReport) => Promise<void>;
  /** Releases the terminal without a report (the run failed). */
  stop: () => Promise<void>;
}

/**
 * A live verify view. On a terminal: the Ink dashboard (a row per candidate with progress bar,
 * loss sparkline and ETA), which becomes the metrics table and verdict on finish. Otherwise:
 * short progress lines on stderr (start, every ~20% of steps, end) and the plain report on finish.
 */
export function startVerifyDashboard(options: VerifyDashboardOptions): VerifyDashboardHandle {
  const { stream, interactive, columns, plainColor } = target(options);
  const showResult = options.showResult ?? true;
  if (interactive && showResult) return startInkDashboard(createVerifyStore(), stream, options.color, options.columns === undefined ? undefined : columns);
  const progress = options.progressStream ?? process.stderr;
  const printer = plainProgressPrinter((line) => progress.write(`${line}\n`));
  return {
    onEvent: printer,
    async finish(report) {
      if (showResult) stream.write(withNewline(formatVerificationText(report, { color: plainColor })));
    },
    async stop() {},
  };
}

function startInkDashboard(store: VerifyStore, stream: Stream, color: boolean, width: number | undefined): VerifyDashboardHandle {
  const instance = render(React.createElement(LiveVerifyDashboard, { store, color, width }), {
    stdout: stream as NodeJS.WriteStream,
    patchConsole: false,
    exitOnCtrlC: false,
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    // Let React commit the last update before Ink writes its final frame.
    await new Promise((resolve) => setImmediate(resolve));
    instance.unmount();
    await instance.waitUntilExit();
  };
  return {
    onEvent: (event) => store.dispatch(event),
    async finish(report) {
      store.setReport(report);
      await close();
    },
    stop: close,
  };
}

/** Progress lines for logs: a candidate's start and end, about five step lines per candidate (its first seed), the plan, the rungs and the eliminations. */
export function plainProgressPrinter(writeLine: (line: string) => void): (event: TrainingEvent) => void {
  const write = (line: string) => writeLine(safeLine(line));
  const everySteps = new Map<string, number>();
  const lastPrinted = new Map<string, number>();
  const firstSeed = new Map<string, number>();
  return (event) => {
    if (event.kind === 'candidate-start' && event.seeds?.length) firstSeed.set(event.candidateId, event.seeds[0]);
    switch (event.kind) {
      case 'message':
        write(event.text);
        return;
      case 'candidate-start': {
        const plan = event.totalSteps !== null ? `${event.totalSteps} steps` : event.budgetSeconds !== null ? `${formatDuration(event.budgetSeconds)} budget` : 'until the budget ends';
        everySteps.set(event.candidateId, event.totalSteps ? Math.max(1, Math.round(event.totalSteps / 5)) : 10);
        const seeds = event.seeds && event.seeds.length > 1 ? ` x ${event.seeds.length} seeds (${event.seeds.join(', ')})` : '';
        write(`training ${event.candidateId} (${event.label}): ${plan}${seeds}`);
        return;
      }
      case 'plan':
        for (const id of everySteps.keys()) everySteps.set(id, Math.max(1, Math.round(event.totalSteps / 5)));
        write(`lockstep plan: ${event.totalSteps} steps per run in rounds of ${event.roundSteps}; rungs at ${event.rungSteps.join(', ')} steps (${event.reason})`);
        return;
      case 'rung':
        write(`rung ${event.rung} at ${event.steps} steps: ${event.scores.map((s) => `${s.candidateId} ${s.meanDice.toFixed(3)}`).join(', ')} (mean Dice, mean over seeds)`);
        return;
      case 'elimination':
        write(`  racing: ${event.reason}`);
        return;
      case 'step': {
        if (event.seed !== undefined && firstSeed.get(event.candidateId) !== undefined && event.seed !== firstSeed.get(event.candidateId)) return;
        const every = everySteps.get(event.candidateId) ?? 10;
        if (event.step % every !== 0 && Number.isFinite(event.loss)) return;
        if (lastPrinted.get(event.candidateId) === event.step) return;
        lastPrinted.set(event.candidateId, event.step);
        const eta = event.etaSeconds !== null ? `, ETA ${formatDuration(event.etaSeconds)}` : '';
        write(`  ${event.candidateId} step ${event.step}: loss ${Number.isFinite(event.loss) ? event.loss.toFixed(4) : event.loss}${eta}`);
        return;
      }
      case 'evaluating':
        return; // every rung: the rung line says it

      case 'candidate-end':
        if (event.status === 'eliminated') return; // the racing line said it
        write(`  ${event.candidateId}: ${event.status}${event.detail ? ` (${event.detail})` : ''}`);
        return;
    }
  };
}
