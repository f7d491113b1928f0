import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from './errors.js';
import { safeMultiline } from './safe-text.js';

/** Options every command shares for its output. */
export interface OutputOptions {
  /** Print the stage's contract as JSON on stdout and nothing else. */
  json: boolean;
  /** Directory to write the contract files and report into. */
  out: string | null;
  /** False under NO_COLOR or --no-color. */
  color: boolean;
}

export function outputOptionsFrom(opts: { json?: boolean; out?: string; color?: boolean }): OutputOptions {
  return {
    json: Boolean(opts.json),
    out: opts.out ?? null,
    color: opts.color !== false && !process.env.NO_COLOR,
  };
}

/** True when a person is watching: stdout is a terminal and JSON was not asked for. */
export function isInteractive(options: OutputOptions): boolean {
  return Boolean(process.stdout.isTTY) && !options.json;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes `content` to DIR/name, creating DIR; a clear error when DIR cannot be written. */
export async function writeOutputFile(dir: string, name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(path, content);
  } catch (error) {
    throw new UserError(`cannot write ${path}: ${(error as Error).message}`, {
      fix: 'choose an --out directory you can write to',
      exitCode: 1,
    });
  }
  return path;
}

/** Progress and notes go to stderr so stdout stays clean for --json and pipes. */
export function note(text: string): void {
  process.stderr.write(`${safeMultiline(text)}\n`);
}
