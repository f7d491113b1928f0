#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { describeError, UserError } from './common/errors.js';
import { SEGLOSS_VERSION } from './common/version.js';
import { registerRulesCommand } from './commands/rules.js';
import { registerRecommendCommand } from './commands/recommend.js';
import { registerProfileCommand } from './commands/profile.js';
import { registerVerifyCommand } from './commands/verify.js';
import { registerExportCommand } from './commands/export.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerSampleCommand } from './commands/sample.js';
import { registerMergeCommand } from './commands/merge.js';
import { isEntryPoint } from './common/entry-point.js';
import { describeStdoutFailure, removeEmptyCreatedFolders, watchStdout } from './common/output.js';

/** Each command lives in src/commands/<name>.ts and exports a function that adds itself here. */
type CommandRegistrar = (program: Command) => void;
const registrars: CommandRegistrar[] = [registerProfileCommand, registerRecommendCommand, registerRulesCommand, registerVerifyCommand, registerExportCommand, registerDemoCommand, registerSampleCommand, registerMergeCommand];

export function buildProgram(): Command {
  const program = new Command('segloss')
    .description('Profile a segmentation dataset, recommend a loss recipe, and verify it by a short real training.')
    .version(SEGLOSS_VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .exitOverride();
  for (const register of registrars) register(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI and returns the exit code: 0 ok, 1 the run failed, 2 bad usage or bad input. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
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
