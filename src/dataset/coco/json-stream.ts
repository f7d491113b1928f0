/**
 * Reading a large JSON file of the shape {"key": [element, element, ...], ...} one array element
 * at a time, in bounded memory: the file is read in chunks, only the structure between elements
 * is scanned here (brackets, strings, commas, colons), and each element's bytes are handed to
 * JSON.parse on their own, with their byte offset and length so a caller can read them again.
 *
 * Why: COCO's instances_train2017.json is 448 MB. JSON.parse of the whole text needs the text as
 * one string plus an object graph several times its size, in every worker thread. Scanning keeps
 * one chunk and one element in memory; what the caller keeps is up to it.
 */
import type { FileHandle } from 'node:fs/promises';
import { formatBytes } from '../../common/regular-file.js';

const CHUNK_BYTES = 4 * 1024 * 1024;

/** Where the JSON is wrong: `offset` is a byte offset into the file. */
export class JsonStreamError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'JsonStreamError';
    this.offset = offset;
  }
}

export interface JsonStreamHandlers {
  /** Top-level keys whose arrays are read element by element. */
  arrays: ReadonlySet<string>;
  /** One parsed element of one of `arrays`, with its bytes' place in the file. */
  onElement(key: string, index: number, value: unknown, offset: number, length: number): void;
  /** Any other top-level value, parsed (also a listed key whose value is not an array). */
  onValue(key: string, value: unknown, offset: number): void;
  /** The largest element or other value held in memory at once. */
  maxValueBytes: number;
  /** Bytes read at a time (default 4 MiB; tests use a few bytes to cut values across chunks). */
  chunkBytes?: number;
}

const WS = new Uint8Array(256);
for (const c of [0x20, 0x09, 0x0a, 0x0d]) WS[c] = 1;

const enum State {
  Start,
  KeyOrEnd,
  Key,
  InKey,
  Colon,
  Value,
  InValue,
  AfterValue,
  ElementOrEnd,
  Element,
  InElement,
  AfterElement,
  End,
}

/** Bytes of one value being collected, possibly over several chunks. */
class Capture {
  parts: Buffer[] = [];
  bytes = 0;
  depth = 0;
  inString = false;
  escape = false;
  scalar = false;
  constructor(readonly start: number) {}
}

function describeByte(b: number): string {
  return b >= 0x20 && b < 0x7f ? `"${String.fromCharCode(b)}"` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

/** Parses one element's text; a syntax error is reported at its byte in the file. */
function parseAt(bytes: Buffer, start: number, what: string): unknown {
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    // JSON.parse counts UTF-16 units; for the ASCII COCO files hold that is the byte.
    const at = position ? start + Buffer.byteLength(text.slice(0, Number(position[1])), 'utf8') : start;
    throw new JsonStreamError(`${what} is not valid JSON (${message.replace(/\s*in JSON at position \d+.*$/, '').replace(/, ".*$/s, '')})`, at);
  }
}

/**
 * Streams the file behind `handle` (size bytes) through `handlers`; returns the top-level keys.
 * Throws JsonStreamError for anything that is not a JSON object of the expected shape.
 */
export async function streamJsonObject(handle: FileHandle, size: number, handlers: JsonStreamHandlers): Promise<Set<string>> {
  let state = State.Start;
  let key = '';
  let capture: Capture | null = null;
  let elementIndex = 0;
  const seenKeys = new Set<string>();
  let position = 0;
  const head = Buffer.alloc(3);
  await handle.read(head, 0, Math.min(3, size), 0);
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) position = 3; // a UTF-8 byte order mark

  const finishValue = (c: Capture): void => {
    const bytes = c.parts.length === 1 ? c.parts[0] : Buffer.concat(c.parts, c.bytes);
    if (state === State.InKey) {
      key = parseAt(bytes, c.start, 'a top-level key') as string;
      if (seenKeys.has(key)) throw new JsonStreamError(`the top-level key "${key}" appears twice`, c.start);
      seenKeys.add(key);
      state = State.Colon;
    } else if (state === State.InValue) {
      handlers.onValue(key, parseAt(bytes, c.start, `the value of "${key}"`), c.start);
      state = State.AfterValue;
    } else {
      const value = parseAt(bytes, c.start, `${key}[${elementIndex}]`);
      handlers.onElement(key, elementIndex, value, c.start, c.bytes);
      elementIndex++;
      state = State.AfterElement;
    }
  };

  /** A value starting with byte b at `at`: an object, array or string is bracketed; a number or literal is not. */
  const begin = (b: number, at: number): Capture => {
    if (b === 0x2c || b === 0x7d || b === 0x5d || b === 0x3a) throw new JsonStreamError(`expected a value but found ${describeByte(b)}`, at);
    const c = new Capture(at);
    c.scalar = b !== 0x7b && b !== 0x5b && b !== 0x22;
    return c;
  };

  /** Feeds chunk[i..] to the capture; returns the index after the value's end, or -1 if it goes on. */
  const feed = (c: Capture, chunk: Buffer, i: number, offset: number): number => {
    const end = chunk.length;
    let done = -1;
    let { depth, inString, escape } = c;
    if (c.scalar) {
      for (; i < end; i++) {
        const b = chunk[i];
        if (WS[b] || b === 0x2c || b === 0x7d || b === 0x5d) {
          done = i;
          break;
        }
      }
    } else {
      for (; i < end; i++) {
        const b = chunk[i];
        if (inString) {
          if (escape) escape = false;
          else if (b === 0x5c) escape = true;
          else if (b === 0x22) {
            inString = false;
            if (depth === 0) {
              done = i + 1;
              break;
            }
          }
          continue;
        }
        if (b === 0x22) inString = true;
        else if (b === 0x7b || b === 0x5b) depth++;
        else if (b === 0x7d || b === 0x5d) {
          if (--depth === 0) {
            done = i + 1;
            break;
          }
        }
      }
    }
    c.depth = depth;
    c.inString = inString;
    c.escape = escape;
    const from = c.parts.length === 0 ? c.start - offset : 0;
    const to = done < 0 ? end : done;
    c.parts.push(chunk.subarray(from, to));
    c.bytes += to - from;
    if (c.bytes > handlers.maxValueBytes) {
      const what = state === State.InElement ? `${key}[${elementIndex}]` : state === State.InKey ? 'a top-level key' : `the value of "${key}"`;
      throw new JsonStreamError(`${what} is over ${formatBytes(handlers.maxValueBytes)}, more than one value may take`, c.start);
    }
    return done;
  };

  while (position < size) {
    const want = Math.min(handlers.chunkBytes ?? CHUNK_BYTES, size - position);
    const chunk = Buffer.allocUnsafe(want);
    const { bytesRead } = await handle.read(chunk, 0, want, position);
    if (bytesRead === 0) break; // the file shrank while it was read
    const data = bytesRead === want ? chunk : chunk.subarray(0, bytesRead);
    const offset = position;
    position += bytesRead;
    let i = 0;
    while (i < data.length) {
      if (capture) {
        const next = feed(capture, data, i, offset);
        if (next < 0) break;
        i = next;
        const c = capture;
        capture = null;
        finishValue(c);
        continue;
      }
      const b = data[i];
      if (WS[b]) {
        i++;
        continue;
      }
      const at = offset + i;
      switch (state as State) {
        case State.Start:
          if (b !== 0x7b) throw new JsonStreamError(`expected the file to start with "{" (a JSON object) but found ${describeByte(b)}`, at);
          state = State.KeyOrEnd;
          i++;
          break;
        case State.KeyOrEnd:
        case State.Key:
          if (b === 0x7d && state === State.KeyOrEnd) {
            state = State.End;
            i++;
          } else if (b === 0x22) {
            state = State.InKey;
            capture = begin(b, at);
          } else throw new JsonStreamError(`expected a key in quotes but found ${describeByte(b)}`, at);
          break;
        case State.Colon:
          if (b !== 0x3a) throw new JsonStreamError(`expected ":" after the key "${key}" but found ${describeByte(b)}`, at);
          state = State.Value;
          i++;
          break;
        case State.Value:
          if (b === 0x5b && handlers.arrays.has(key)) {
            state = State.ElementOrEnd;
            elementIndex = 0;
            i++;
          } else {
            state = State.InValue;
            capture = begin(b, at);
          }
          break;
        case State.AfterValue:
          if (b === 0x2c) state = State.Key;
          else if (b === 0x7d) state = State.End;
          else throw new JsonStreamError(`expected "," or "}" after the value of "${key}" but found ${describeByte(b)}`, at);
          i++;
          break;
        case State.ElementOrEnd:
        case State.Element:
          if (b === 0x5d && state === State.ElementOrEnd) {
            state = State.AfterValue;
            i++;
          } else {
            state = State.InElement;
            capture = begin(b, at);
          }
          break;
        case State.AfterElement:
          if (b === 0x2c) state = State.Element;
          else if (b === 0x5d) state = State.AfterValue;
          else throw new JsonStreamError(`expected "," or "]" after ${key}[${elementIndex - 1}] but found ${describeByte(b)}`, at);
          i++;
          break;
        case State.End:
          throw new JsonStreamError(`unexpected ${describeByte(b)} after the end of the JSON object`, at);
        default:
          throw new JsonStreamError(`unexpected ${describeByte(b)}`, at);
      }
    }
  }
  if (state !== State.End) throw new JsonStreamError('the file ends before the JSON object is closed (truncated?)', position);
  return seenKeys;
}
