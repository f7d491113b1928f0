/**
 * Reading a user's JSON input file (rule files, profile.json) within bounds, before parsing:
 * only a regular file (a FIFO would hang the read, /dev/zero would fill memory), at most
 * `maxBytes`, and JSON nested at most `maxDepth` deep (deeper nesting makes recursive code such as
 * JSON.stringify or a validator overflow the stack: "Maximum call stack size exceeded").
 * Each refusal is a UserError (exit 2) naming the file and the limit.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { UserError } from './errors.js';

/**
 * Bounds of the contract files segloss reads back (recommendation.json, verification.json): a
 * verification of 65,536 classes and five candidates is ~70 MB; nothing segloss writes nests
 * deeper than 8.
 */
export const CONTRACT_FILE_LIMITS = { maxBytes: 256 * 1024 * 1024, maxJsonDepth: 64 } as const;

export interface InputFileLimits {
  /** What the file is, for messages: "rule file", "profile". */
  what: string;
  maxBytes: number;
  /** The fix printed with every refusal. */
  fix: string;
}

function sizeText(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(bytes % 2 ** 20 === 0 ? 0 : 1)} MB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} bytes`;
}

/** Reads a regular file of at most `limits.maxBytes` as UTF-8 text. */
export async function readBoundedTextFile(path: string, limits: InputFileLimits): Promise<string> {
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not block; it is refused just below.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (code ?? (error as Error).message);
    throw new UserError(`cannot read ${limits.what} ${path}: ${why}`, { fix: limits.fix });
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new UserError(`cannot read ${limits.what} ${path}: it is a folder`, { fix: limits.fix });
    if (!info.isFile()) throw new UserError(`cannot read ${limits.what} ${path}: it is not a regular file (a device, pipe or socket)`, { fix: limits.fix });
    if (info.size > limits.maxBytes) {
      throw new UserError(`${limits.what} ${path} is ${sizeText(info.size)}, above the limit of ${sizeText(limits.maxBytes)}`, { fix: limits.fix });
    }
    // Read at most maxBytes + 1 even if the file grew after the stat.
    const buffer = Buffer.alloc(Math.min(info.size, limits.maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > limits.maxBytes) throw new UserError(`${limits.what} ${path} is above the limit of ${sizeText(limits.maxBytes)}`, { fix: limits.fix });
      if (length === buffer.length) break;
    }
    return buffer.subarray(0, length).toString('utf8');
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot read ${limits.what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { fix: limits.fix });
  } finally {
    await handle.close();
  }
}

/** The deepest nesting of arrays and objects in a JSON text (strings skipped); valid or not. */
export function jsonNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return deepest;
}

/** Throws a UserError when the JSON text nests deeper than `maxDepth`. */
export function checkJsonDepth(text: string, maxDepth: number, path: string, what: string, fix: string): void {
  const depth = jsonNestingDepth(text);
  if (depth > maxDepth) throw new UserError(`${what} ${path} nests arrays and objects ${depth} deep, above the limit of ${maxDepth}`, { fix });
}
