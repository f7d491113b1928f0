/**
 * `segloss demo` (what `npm start` runs): the whole product on the bundled synthetic satellite
 * sample. Generates the dataset, profiles it, recommends a recipe, verifies it by a short real
 * training, and writes report.md, the three JSON contracts, the pictures and the overlays into --out.
 */
import { join } from 'node:path';
import { Command } from 'commander';
import { UserError } from '../common/errors.js';
import { interruptOnSigint } from '../common/interrupt.js';
import { note, outputOptionsFrom, prepareOutputFolder, printJson } from '../common/output.js';
import type { TrainingEvent } from '../contracts/events.js';
import type { VerificationReport } from '../contracts/verification.js';
import { parseBudget } from '../verify/budget.js';
import { CANDIDATE_NAMES, parseCandidateNames } from '../verify/candidates.js';
import { DEFAULT_RUN_SETTINGS } from '../verify/settings.js';
import { DEFAULT_IGNORE_INDEX } from '../dataset/options.js';
import { progressPrinter } from './profile.js';
import { checkBudgetSeconds, limited, withRange } from './option-parsers.js';
import { safeLine } from '../common/safe-text.js';

/**
 * 40 tiles: verify's default design validates each once over 10 folds of 4 (issue 22). Three
 * candidates (the recommendation, its ablation without the additions, and Focal, the rival the
 * long runs found) x 10 folds = 30 runs share the two minutes (fewer steps each than the 9 runs of
 * the old 3-seed design, for 10 replicates instead of 3); verify's six candidates would need about
 * 5 minutes.
 */
export const DEMO_DEFAULTS = { out: 'segloss-demo', budget: '2m', images: 40, seed: 7, candidates: ['recommended', 'plain', 'focal'] } as const;

interface DemoOptions {
  out: string;
  budget?: string;
  steps?: number;
  candidates?: string;
  seeds?: number;
  folds?: number;
  tieMargin?: number;
  images: number;
  seed: number;
  json?: boolean;
  color?: boolean;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run everything on the bundled synthetic satellite sample: generate, profile, recommend, verify, report.')
    .option('--out <dir>', 'where the sample dataset, report.md, the JSON contracts, the pictures and the overlays go', DEMO_DEFAULTS.out)
    .option('--budget <time>', `training budget shared by all candidates, e.g. 90s, 5m (default ${DEMO_DEFAULTS.budget}; at most 24h)`)
    .option('--steps <n>', withRange('train every run (candidate x seed) for exactly N steps instead of a time budget', 'steps'), limited('steps'))
    .option('--candidates <list>', `comma-separated, from: ${CANDIDATE_NAMES.join(', ')} (default ${DEMO_DEFAULTS.candidates.join(',')})`)
    .option('--folds <k>', withRange('cross-validation folds (default: 10 folds of 4 tiles, each validated once)', 'folds'), limited('folds'))
    .option('--seeds <k>', withRange('training seeds per fold (default 1 with 10 folds)', 'seeds'), limited('seeds'))
    .option('--tie-margin <d>', withRange(`mean-Dice difference that does not matter (default ${DEFAULT_RUN_SETTINGS.tieMargin})`, 'tie-margin'), limited('tie-margin'))
    .option('--images <n>', withRange('number of sample image/mask pairs to generate', 'demo-images'), limited('demo-images'), DEMO_DEFAULTS.images)
    .option('--seed <n>', withRange('seed of the sample dataset', 'seed'), limited('seed'), DEMO_DEFAULTS.seed)
    .option('--json', 'print only {profile, recommendation, verification} as one JSON object on stdout')
    .option('--no-color', 'plain text without colour')
    .action(async (opts: DemoOptions) => {
      if (opts.budget !== undefined && opts.steps !== undefined) {
        throw new UserError('--budget and --steps both given', { fix: 'use --budget for a time limit or --steps for an exact step count, not both' });
      }
      const budgetText = opts.budget ?? DEMO_DEFAULTS.budget;
      const budgetSeconds = opts.steps !== undefined ? undefined : checkBudgetSeconds(parseBudget(budgetText), budgetText);
      const candidates = opts.candidates !== undefined ? parseCandidateNames(opts.candidates) : [...DEMO_DEFAULTS.candidates];
      const output = outputOptionsFrom({ json: opts.json, out: opts.out, color: opts.color });
      const interactive = Boolean(process.stdout.isTTY) && !output.json;
      // Every stage loads here, when the demo runs, not for --help.
      const [{ writeSampleDataset }, { profileDataset }, { writeReport }, { recommend }, { loadRuleSet }, { renderProfile, renderRecommendation, startVerifyDashboard }, { runVerification }, { verifyExitCode }] = await Promise.all([
        import('../dataset/index.js'),
        import('../profiler/index.js'),
        import('../report/write-report.js'),
        import('../rules/engine.js'),
        import('../rules/load.js'),
        import('../ui/render.js'),
        import('../verify/index.js'),
        import('./verify-action.js'),
      ]);
      const outDir = await prepareOutputFolder(opts.out);
      const datasetDir = join(outDir, 'dataset');
      // Ctrl-C before training stops at once (nothing is finished yet); during training it stops
      // after the current step and writes what is finished.
      const controller = new AbortController();
      let training = false;
      const stopListening = interruptOnSigint(controller, { canFinishGracefully: () => training });
      try {
        const stages = 4;
        const heading = (n: number, title: string) => {
          const text = `[${n}/${stages}] ${title}`;
          if (output.json) note(text);
          else process.stdout.write(`${n > 1 ? '\n' : ''}${output.color && interactive ? `\u001b[1m${safeLine(text)}\u001b[0m` : safeLine(text)}\n`);
        };
        const render = { color: output.color, interactive };

        heading(1, `Generating the synthetic satellite sample: ${opts.images} tiles, seed ${opts.seed} -> ${datasetDir}`);
        const truth = await writeSampleDataset(datasetDir, { seed: opts.seed, images: opts.images });
        const rarest = truth.classShares.slice(1).reduce((best, share, i) => (share > 0 && share < truth.classShares[best] ? i + 1 : best), 1);
        note(`  ${truth.classNames.length} classes; rarest: ${truth.classNames[rarest]} at ${(truth.classShares[rarest] * 100).toPrecision(2)}% of pixels (known by construction)`);

        heading(2, 'Profiling the dataset');
        const dataset = { root: datasetDir, ignoreIndex: DEFAULT_IGNORE_INDEX, strict: false };
        const progress = progressPrinter(interactive);
        const profile = await profileDataset(dataset, progress.onProgress);
        progress.finish();
        if (!output.json) renderProfile(profile, render);

        heading(3, 'Recommending a loss recipe (domain: satellite)');
        const recommendation = await recommend(profile, {
          intent: { domain: 'satellite', priority: null },
          ruleSet: await loadRuleSet([]),
          profileSource: datasetDir,
        });
        if (!output.json) renderRecommendation(recommendation, render);

        heading(4, `Verifying by a short real training (${opts.steps !== undefined ? `${opts.steps} steps per run` : `budget ${opts.budget ?? DEMO_DEFAULTS.budget}`})`);
        const dashboard = startVerifyDashboard({ ...render, showResult: !output.json });
        let verification: VerificationReport;
        try {
          verification = await runVerification(
            { dataset, recommendation, steps: opts.steps ?? null, budgetSeconds, candidates, seeds: opts.seeds, folds: opts.folds, tieMargin: opts.tieMargin, outDir },
            (event: TrainingEvent) => {
              if (event.kind !== 'message') training = true;
              dashboard.onEvent(event);
            },
            controller.signal,
          );
        } catch (error) {
          await dashboard.stop();
          // Keep what the first stages found: report.md and the contracts without a verification.
          const written = await writeReport(outDir, { profile, recommendation, verification: null });
          note(`wrote ${written.reportPath} without a verification (it stopped: see below)`);
          throw error;
        }
        await dashboard.finish(verification);

        const written = await writeReport(outDir, { profile, recommendation, verification });
        if (output.json) printJson({ profile, recommendation, verification });
        else {
          note(`\nwrote ${written.reportPath} and ${written.htmlPath}`);
          note(`      ${written.contractPaths.join('\n      ')}`);
          note(`next: segloss export ${join(opts.out, 'verification.json')} --to monai   (or pytorch, keras)`);
        }
        const code = verifyExitCode(verification);
        if (code !== 0) process.exitCode = code;
      } finally {
        stopListening();
      }
    });
}
