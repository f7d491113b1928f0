/**
 * `segloss recommend DIR | --profile profile.json`: run the rule engine on a dataset's profile and
 * print the recommended loss recipe with the reasoning behind it.
 */
import { Command, Option } from 'commander';
import { UserError } from '../common/errors.js';
import { interruptOnSigint } from '../common/interrupt.js';
import { isInteractive, note, outputOptionsFrom, prepareOutputFolder, printJson } from '../common/output.js';
import type { DatasetProfile } from '../contracts/profile.js';
import { DOMAINS, PRIORITIES, type Domain, type Priority } from '../contracts/recommendation.js';
import { addDatasetOptions, datasetOptionsFrom } from '../dataset/options.js';
import { progressPrinter } from './profile.js';
import { collect, limited, withRange } from './option-parsers.js';
import { safeTerminalText } from '../common/safe-text.js';

interface RecommendOpts extends Record<string, unknown> {
  profile?: string;
  domain?: Domain;
  priority?: Priority;
  rules: string[];
  sample?: number;
  seed: number;
  json?: boolean;
  out?: string;
  color?: boolean;
}

export function registerRecommendCommand(program: Command): void {
  const command = program
    .command('recommend')
    .description('Recommend a loss recipe for a dataset with the rule engine, and show the reasoning.')
    .argument('[dir]', 'dataset root to profile first (a layout listed by `segloss formats`); or use --profile')
    .option('--profile <file>', 'use a profile.json written by `segloss profile --out` instead of profiling')
    .addOption(new Option('--domain <domain>', 'apply the scenario recipe for this domain').choices(DOMAINS))
    .addOption(new Option('--priority <priority>', 'what matters most to you').choices(PRIORITIES))
    .option('--rules <file>', 'add or override rules from a rule file (repeatable; later files win)', collect, [])
    .option('--sample <n>', withRange('when profiling DIR: a seeded random subset of N pairs', 'sample'), limited('sample'))
    .option('--seed <n>', withRange('seed of the --sample subset', 'seed'), limited('seed'), 0)
    .option('--json', 'print only the Recommendation JSON on stdout')
    .option('--out <dir>', 'write recommendation.json, profile.json, report.md and report.html into DIR')
    .option('--no-color', 'plain text without colour');
  addDatasetOptions(command);
  command.action(async (dir: string | undefined, opts: RecommendOpts) => {
    // The profiler, the rule engine and the Ink views load here, when recommend runs, not for --help.
    const [{ assertSomethingToRecommend, classIdWarnings, labelNotes, profileDataset }, { recommend }, { loadRuleSet }, { readProfileFile }, { formatRecommendationText }] = await Promise.all([
      import('../profiler/index.js'),
      import('../rules/engine.js'),
      import('../rules/load.js'),
      import('../rules/profile-input.js'),
      import('../report/recommendation-text.js'),
    ]);
    const output = outputOptionsFrom(opts);
    if (dir && opts.profile) {
      throw new UserError('give either a dataset DIR or --profile FILE, not both', { fix: 'segloss recommend DIR, or segloss recommend --profile profile.json' });
    }
    if (!dir && !opts.profile) {
      throw new UserError('nothing to recommend for: no dataset DIR and no --profile', { fix: 'segloss recommend DIR, or segloss recommend --profile profile.json' });
    }
    const datasetFlags = ['images', 'masks', 'classes', 'colormap', 'numClasses', 'strict', 'maxPixels', 'sample', 'bands', 'ignoreIndex', 'labelMap', 'reduceZeroLabel', 'background', 'binarize'].filter((key) => opts[key] !== undefined);
    if (opts.profile && datasetFlags.length > 0) {
      throw new UserError(`dataset flags (${datasetFlags.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}) apply when profiling DIR, not to --profile`, {
        fix: 'drop them, or give the dataset DIR instead of --profile',
      });
    }
    // Rule files and --out are checked before any (possibly long) profiling.
    const ruleSet = await loadRuleSet(opts.rules);
    if (output.out) await prepareOutputFolder(output.out);
    let profile: DatasetProfile;
    if (opts.profile) profile = await readProfileFile(opts.profile);
    else {
      // Nothing is finished until the profile is: Ctrl-C stops at once.
      const stopListening = interruptOnSigint(new AbortController(), { canFinishGracefully: () => false });
      const progress = progressPrinter(isInteractive(output));
      profile = await profileDataset({ ...datasetOptionsFrom(opts, dir), sample: opts.sample, seed: opts.seed }, progress.onProgress).finally(stopListening);
      progress.finish();
    }
    // Nothing to recommend for all-ignored or one-class masks; odd class ids are worth a warning.
    assertSomethingToRecommend(profile, opts.profile ?? dir ?? 'dataset');
    for (const text of labelNotes(profile)) note(`note: ${text}`);
    for (const warning of classIdWarnings(profile)) note(`warning: ${warning}`);
    const recommendation = await recommend(profile, {
      intent: { domain: opts.domain ?? null, priority: opts.priority ?? null },
      ruleSet,
      profileSource: opts.profile ?? dir ?? '',
    });
    // --out: recommendation.json, profile.json (a copy when it came from --profile) and report.md + report.html (src/report/write-out.ts).
    if (output.out) await (await import('../report/write-out.js')).writeCommandOut(output.out, { profile, recommendation, verification: null }, { quiet: Boolean(output.json) });
    if (output.json) printJson(recommendation);
    // A person at a terminal gets the Ink reasoning view; pipes and files get plain text.
    else if (isInteractive(output)) process.stdout.write((await import('../ui/render.js')).recommendationOutput(recommendation, { color: output.color, interactive: true }));
    else process.stdout.write(safeTerminalText(formatRecommendationText(recommendation, { color: false })));
  });
}
