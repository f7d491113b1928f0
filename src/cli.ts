#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { describeError, UserError } from './common/errors.js';
import { SEGLOSS_VERSION } from './common/version.js';
import { isEntryPoint } from './common/entry-point.js';
import { describeStdoutFailure, removeEmptyCreatedFolders, watchStdout } from './common/output.js';

/**
 * Each command lives in src/commands/<name>.ts and exports a function that adds itself to the
 * program. Start-up is lazy: only the command being run is imported (with the stages it imports),
 * so `--version`, `--help`, `rules` and `export` never load tfjs, sharp, Ink or a training engine.
 * The others appear in `--help` by their summary alone. Adding a command is one entry here.
 */
interface LazyCommand {
  name: string;
  /** Shown in `segloss --help`; the command's own description is shown by `segloss NAME --help`. */
  summary: string;
  load: () => Promise<(program: Command) => void>;
}

export const COMMANDS: LazyCommand[] = [
  { name: 'profile', summary: 'Measure class imbalance, object scale and boundary ambiguity of a segmentation dataset.', load: async () => (await import('./commands/profile.js')).registerProfileCommand },
  { name: 'recommend', summary: 'Recommend a loss recipe for a dataset with the rule engine, and show the reasoning.', load: async () => (await import('./commands/recommend.js')).registerRecommendCommand },
  { name: 'rules', summary: 'List the recommendation rules in force, with each threshold, its rationale and its source.', load: async () => (await import('./commands/rules.js')).registerRulesCommand },
  { name: 'formats', summary: 'List the dataset layouts segloss reads: what detects each, its folders, label convention and the command to use.', load: async () => (await import('./commands/formats.js')).registerFormatsCommand },
  { name: 'verify', summary: 'Train the recommended loss recipe and its alternatives briefly on the dataset, compare them, and give a verdict.', load: async () => (await import('./commands/verify.js')).registerVerifyCommand },
  { name: 'export', summary: 'Write the recommended (or winning) recipe as a runnable snippet for your own trainer (PyTorch, MONAI or Keras).', load: async () => (await import('./commands/export.js')).registerExportCommand },
  { name: 'report', summary: 'Rebuild report.md and report.html in OUT from the JSON files segloss wrote there.', load: async () => (await import('./commands/report.js')).registerReportCommand },
  { name: 'demo', summary: 'Run everything on the bundled synthetic satellite sample: generate, profile, recommend, verify, report.', load: async () => (await import('./commands/demo.js')).registerDemoCommand },
  { name: 'merge', summary: 'Merge the parts of a sharded profile (segloss profile DIR --shard K/N --out DIR) into one profile.json.', load: async () => (await import('./commands/merge.js')).registerMergeCommand },
  { name: 'sample', summary: 'Write a seeded synthetic satellite-like dataset in the article\'s setting.', load: async () => (await import('./commands/sample.js')).registerSampleCommand },
];

/** The command `argv` runs (`segloss NAME ...` or `segloss help NAME`), if it is one of COMMANDS. */
function invokedCommand(argv: readonly string[]): LazyCommand | undefined {
  const words = argv.filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  return COMMANDS.find((c) => c.name === name);
}

/**
 * The program with the invoked command fully defined (options, action) and every other command
 * as a summary for the help listing. `only: 'all'` loads every command (tests, help of each).
 */
export async function buildProgram(argv: readonly string[] | 'all' = 'all'): Promise<Command> {
  const program = new Command('segloss')
    .description('Profile a segmentation dataset, recommend a loss recipe, and verify it by a short real training.')
    .version(SEGLOSS_VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .exitOverride();
  const invoked = argv === 'all' ? undefined : invokedCommand(argv);
  for (const entry of COMMANDS) {
    if (argv === 'all' || entry === invoked) (await entry.load())(program);
    else program.command(entry.name).description(entry.summary);
  }
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI and returns the exit code: 0 ok, 1 the run failed, 2 bad usage or bad input. */
export async function main(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed the message; help and version are not errors.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? 0 : 2;
    }
    // A run that stopped leaves no empty --out folder behind (anything written stays).
    removeEmptyCreatedFolders();
    process.stderr.write(`segloss: ${describeError(error)}\n`);
    if (process.env.SEGLOSS_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return error instanceof UserError ? error.exitCode : 1;
  }
}

if (isEntryPoint(import.meta.url)) {
  // EPIPE (the reader went away) is a quiet exit 0; any other stdout write error makes the run fail.
  const stdout = watchStdout();
  const code = await main(process.argv.slice(2));
  const failure = await stdout.failure();
  if (failure) process.stderr.write(describeStdoutFailure(failure));
  // Worker pools and wasm threads can keep Node alive; the run is over.
  process.exit(failure && code === 0 ? 1 : code);
}
