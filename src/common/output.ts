/**
 * Where commands write, and how. Every command checks its `--out` before any work (a folder it can
 * create and write to, not a file), because finding out after a long profile or training loses
 * the work. Folders are created one level at a time, never with Node's recursive mkdir (which
 * loops forever under /proc), and folders a run created are removed again if they are still
 * empty when it ends (bad input, Ctrl-C twice). Files are written to a temp file beside the target
 * and renamed over it, so a reader never sees half a file and two runs never interleave one file.
 * stdout write errors (a full disk, /dev/full) are remembered and turn the exit code into 1; a
 * closed pipe (EPIPE, `segloss ... | head`) stays a quiet exit 0.
 */
import { randomBytes } from 'node:crypto';
import { rmdirSync } from 'node:fs';
import { mkdir, realpath, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
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

/** Progress and notes go to stderr so stdout stays clean for --json and pipes. */
export function note(text: string): void {
  process.stderr.write(`${safeMultiline(text)}\n`);
}

/** Folders this process created, parents first: removed at exit while still empty. */
const createdFolders: string[] = [];
let cleanupRegistered = false;

/** Removes the folders this process created that are still empty (deepest first). Synchronous: runs from an 'exit' handler. */
export function removeEmptyCreatedFolders(): void {
  for (const folder of [...createdFolders].reverse()) {
    try {
      rmdirSync(folder);
      createdFolders.splice(createdFolders.indexOf(folder), 1);
    } catch {
      // not empty (something was written: keep it), or already gone
    }
  }
}

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'this file system allows no new entries here, as in /proc or /sys',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

function why(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? (Object.hasOwn(WHY, code) ? `${WHY[code]}, ${code}` : code) : (error as Error).message;
}

const outFix = (flag: string) => `pass a folder you can write to for ${flag} (it is created when missing)`;

/**
 * Makes sure `dir` is a folder this process can write into, creating it (and missing parents,
 * one level at a time) when needed; a UserError (exit 2) naming the folder otherwise. The walk up
 * the parent chain ends at the file-system root, so it cannot loop. A probe file is written and
 * removed to prove the folder is writable (permission bits do not tell for root, read-only mounts
 * or /proc).
 */
export async function prepareOutputFolder(dir: string, flag = '--out'): Promise<string> {
  const target = resolve(dir);
  const missing: string[] = [];
  for (let current = target; ; ) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(current)).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new UserError(`${flag} ${dir}: cannot use ${current} (${why(error)})`, { fix: outFix(flag) });
      missing.push(current);
      const parent = dirname(current);
      if (parent === current) throw new UserError(`${flag} ${dir}: the file-system root ${current} is missing`, { fix: outFix(flag) });
      current = parent;
      continue;
    }
    if (!isDirectory) {
      const what = current === target ? 'is not a folder (it is a file)' : `cannot be created: ${current} is a file, not a folder`;
      throw new UserError(`${flag} ${dir} ${what}`, { fix: current === target ? `remove the file or choose another folder for ${flag}` : outFix(flag) });
    }
    break;
  }
  for (const folder of missing.reverse()) {
    try {
      await mkdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && (await isFolder(folder))) continue; // made meanwhile
      removeEmptyCreatedFolders();
      throw new UserError(`${flag} ${dir}: cannot create the folder ${folder} (${why(error)})`, { fix: outFix(flag) });
    }
    createdFolders.push(folder);
    if (!cleanupRegistered) {
      cleanupRegistered = true;
      process.once('exit', removeEmptyCreatedFolders);
    }
  }
  const probe = join(target, `.segloss-write-check-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(probe, '', { flag: 'wx' });
  } catch (error) {
    removeEmptyCreatedFolders();
    throw new UserError(`${flag} ${dir}: cannot write into the folder ${target} (${why(error)})`, { fix: outFix(flag) });
  }
  await unlink(probe).catch(() => {});
  return target;
}

/**
 * Checks an output FILE before any work: its folder is prepared, and an existing path must be a
 * regular file (a folder, device or pipe is refused: renaming over /dev/full would replace the
 * device). A symbolic link is followed, so the file it points to is the one replaced.
 */
export async function prepareOutputFile(file: string, flag = '--out'): Promise<string> {
  let path = resolve(file);
  if (file.endsWith('/') || (await isFolder(path))) {
    throw new UserError(`${flag} ${file} is a folder`, { fix: `give a file name, e.g. ${flag} ${join(file, 'loss_recipe.py')}` });
  }
  try {
    path = await realpath(path);
    if (!(await stat(path)).isFile()) {
      throw new UserError(`${flag} ${file} is not a regular file (a device, pipe or socket)`, { fix: `give the name of a file to write, e.g. ${flag} loss_recipe.py; to print the snippet, leave ${flag} out` });
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    // missing (or a dangling link): a new file is written
  }
  await prepareOutputFolder(dirname(path), flag);
  return path;
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Writes `content` to `path` through a temp file in the same folder and a rename, so the file is
 * either the old one or the whole new one, never half written or mixed with another run's.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, content, { flag: 'wx' });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw error;
  }
}

/** Writes `content` to DIR/name (DIR created when missing, atomically replaced); a clear error when it cannot. */
export async function writeOutputFile(dir: string, name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await prepareOutputFolder(dir).catch((error: unknown) => {
    throw new UserError(`cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`, { fix: 'choose an --out directory you can write to', exitCode: 1 });
  });
  try {
    await writeFileAtomic(path, content);
  } catch (error) {
    throw new UserError(`cannot write ${path} (${why(error)})`, {
      fix: 'choose an --out directory you can write to',
      exitCode: 1,
    });
  }
  return path;
}

/** What `watchStdout` reports at the end of a run. */
export interface StdoutWatch {
  /** The first write error other than EPIPE, once pending error events have been delivered; null when every write succeeded. */
  failure(): Promise<NodeJS.ErrnoException | null>;
  stop(): void;
}

/**
 * Listens for write errors on stdout. Node reports a failed write to a file or device (ENOSPC on
 * /dev/full) as an 'error' event on a later tick, not as a throw, so without this a run whose
 * output was lost would exit 0. EPIPE (the reader went away, e.g. `| head`) calls `onBrokenPipe`.
 */
export function watchStdout(stream: Writable = process.stdout, onBrokenPipe: () => void = () => process.exit(0)): StdoutWatch {
  let first: NodeJS.ErrnoException | null = null;
  const listener = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') onBrokenPipe();
    else first ??= error;
  };
  stream.on('error', listener);
  return {
    async failure() {
      // Error events of the last writes are emitted on the next ticks.
      await new Promise((done) => setImmediate(done));
      await new Promise((done) => setImmediate(done));
      return first;
    },
    stop() {
      stream.off('error', listener);
    },
  };
}

/** The line printed when stdout could not be written (the exit code becomes 1). */
export function describeStdoutFailure(error: NodeJS.ErrnoException): string {
  return `segloss: the output could not be written to stdout (${why(error)}); nothing printed there is complete\n  fix: write to a file system with space, or use --out DIR for the contract files\n`;
}
