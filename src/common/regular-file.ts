/**
 * Reading an input file only when it is a regular file of bounded size.
 *
 * Why: `readFile` follows a link to /dev/zero and grows until memory runs out, blocks forever on a
 * FIFO, and says ENOENT for a dangling symlink as if the file had vanished. Here the file is opened
 * non-blocking (a FIFO opens at once), checked with fstat on the open handle (no race between the
 * check and the read), and read up to the size fstat reported, never more than `maxBytes`.
 */
import { constants } from 'node:fs';
import { lstat, open, readlink, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';

export type RegularFileProblem =
  | { kind: 'missing' }
  | { kind: 'broken-link'; target: string }
  | { kind: 'not-regular'; what: string }
  | { kind: 'too-large'; bytes: number; maxBytes: number }
  | { kind: 'permission' }
  | { kind: 'other'; message: string };

/** Why a file could not be read; `problem.kind` tells the caller which message and fix to give. */
export class RegularFileError extends Error {
  readonly problem: RegularFileProblem;
  constructor(path: string, problem: RegularFileProblem) {
    super(`${path}: ${describeProblem(problem)}`);
    this.name = 'RegularFileError';
    this.problem = problem;
  }
}

/** Plain words for a problem, e.g. "not a regular file (a named pipe (FIFO))". */
export function describeProblem(problem: RegularFileProblem): string {
  switch (problem.kind) {
    case 'missing':
      return 'does not exist';
    case 'broken-link':
      return `is a broken link (points to ${problem.target}, which does not exist)`;
    case 'not-regular':
      return `is not a regular file: it is ${problem.what}`;
    case 'too-large':
      return `is ${formatBytes(problem.bytes)}, more than the ${formatBytes(problem.maxBytes)} allowed`;
    case 'permission':
      return 'cannot be read: permission denied';
    case 'other':
      return `cannot be read: ${problem.message}`;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} bytes`;
}

/** What a non-regular file is, in words. */
export function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'not a file';
}

async function openProblem(path: string, error: NodeJS.ErrnoException): Promise<RegularFileProblem> {
  const code = error.code;
  if (code === 'EACCES' || code === 'EPERM') return { kind: 'permission' };
  if (code === 'ELOOP') return { kind: 'not-regular', what: 'a symbolic link that loops back on itself' };
  // ENOENT on open: the path is gone, or it is a link whose target is gone.
  const own = await lstat(path).catch(() => null);
  if (own?.isSymbolicLink()) {
    const target = await readlink(path).catch(() => '?');
    if (code === 'ENOENT') return { kind: 'broken-link', target };
  }
  if (code === 'ENOENT') return { kind: 'missing' };
  if (own && !own.isFile() && !own.isSymbolicLink()) return { kind: 'not-regular', what: fileKind(own) }; // e.g. ENXIO for a socket
  return { kind: 'other', message: error.message };
}

/** A read error in the words of RegularFileError (a directory opened on some systems gives EISDIR). */
export function asRegularFileError(path: string, error: unknown): RegularFileError {
  if (error instanceof RegularFileError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  return new RegularFileError(path, code === 'EISDIR' ? { kind: 'not-regular', what: 'a directory' } : { kind: 'other', message: (error as Error).message });
}

/**
 * An open handle on `path` when it is (or links to) a regular file of at most `maxBytes` bytes,
 * with its size; for readers that stream a large file instead of holding it. The caller closes it.
 * Throws RegularFileError otherwise; never blocks on a FIFO, never reads a device.
 */
export async function openRegularFile(path: string, maxBytes: number): Promise<{ handle: FileHandle; stats: Stats }> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new RegularFileError(path, await openProblem(path, error as NodeJS.ErrnoException));
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new RegularFileError(path, { kind: 'not-regular', what: fileKind(stats) });
    if (stats.size > maxBytes) throw new RegularFileError(path, { kind: 'too-large', bytes: stats.size, maxBytes });
    return { handle, stats };
  } catch (error) {
    await handle.close();
    throw asRegularFileError(path, error);
  }
}

/**
 * The bytes of `path` when it is (or links to) a regular file of at most `maxBytes` bytes.
 * Throws RegularFileError otherwise; never blocks on a FIFO, never reads a device.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Buffer> {
  const { handle, stats } = await openRegularFile(path, maxBytes);
  try {
    const buffer = Buffer.alloc(stats.size);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break; // the file shrank while it was read: keep what is there
      filled += bytesRead;
    }
    return filled === buffer.length ? buffer : buffer.subarray(0, filled);
  } catch (error) {
    throw asRegularFileError(path, error);
  } finally {
    await handle.close();
  }
}
