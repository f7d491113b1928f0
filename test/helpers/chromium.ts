/**
 * Opens a local HTML file in real headless Chromium (Debian's /usr/bin/chromium, or CHROMIUM) and
 * returns the DOM after its scripts ran (--dump-dom) and the page's console messages (Chromium
 * logs every console call, script error and Content-Security-Policy violation as an INFO:CONSOLE
 * line on stderr with --enable-logging=stderr). A fresh profile folder each time; no network use.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => Boolean(p));
  return candidates.find((p) => existsSync(p)) ?? null;
}

export interface PageResult {
  dom: string;
  console: string[];
}

export async function openInChromium(file: string, timeoutMs = 60_000): Promise<PageResult> {
  const binary = chromiumPath();
  if (!binary) throw new Error('chromium not installed');
  const profile = await mkdtemp(join(tmpdir(), 'segloss-chromium-'));
  try {
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', '--dump-dom', pathToFileURL(file).href];
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    if (code !== 0) throw new Error(`chromium exited with ${code}: ${stderr.slice(-2000)}`);
    return { dom: stdout, console: stderr.split('\n').filter((line) => line.includes(':CONSOLE')) };
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/**
 * Opens a local HTML file in headless Chromium, driven over the DevTools protocol on a pipe
 * (--remote-debugging-pipe: JSON messages ending in NUL on fds 3 and 4; no port, no network), and
 * returns what `expression` evaluates to in the page (awaited; a JSON-able value).
 */
export async function evaluateInChromium(file: string, expression: string, timeoutMs = 60_000): Promise<unknown> {
  const binary = chromiumPath();
  if (!binary) throw new Error('chromium not installed');
  const profile = await mkdtemp(join(tmpdir(), 'segloss-chromium-'));
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, '--remote-debugging-pipe', pathToFileURL(file).href];
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
  const toBrowser = child.stdio[3] as NodeJS.WritableStream;
  const fromBrowser = child.stdio[4] as NodeJS.ReadableStream;
  let nextId = 1;
  let buffer = '';
  const waiting = new Map<number, (message: { result?: Record<string, unknown>; error?: unknown }) => void>();
  fromBrowser.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let end: number;
    while ((end = buffer.indexOf('\0')) >= 0) {
      const message = JSON.parse(buffer.slice(0, end)) as { id?: number; result?: Record<string, unknown>; error?: unknown };
      buffer = buffer.slice(end + 1);
      if (message.id !== undefined) waiting.get(message.id)?.(message);
    }
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, (message) => (message.error ? reject(new Error(`${method}: ${JSON.stringify(message.error)}`)) : resolve(message.result ?? {})));
      toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    let page: { targetId: string; url: string } | undefined;
    for (let attempt = 0; attempt < 100 && !page; attempt++) {
      const { targetInfos } = (await send('Target.getTargets')) as { targetInfos: Array<{ targetId: string; type: string; url: string }> };
      page = targetInfos.find((t) => t.type === 'page' && t.url.startsWith('file:'));
      if (!page) await new Promise((r) => setTimeout(r, 100));
    }
    if (!page) throw new Error('chromium opened no page');
    const { sessionId } = (await send('Target.attachToTarget', { targetId: page.targetId, flatten: true })) as { sessionId: string };
    // Wait for the file's document to have loaded (not the initial empty one: it is "complete" too).
    for (let attempt = 0; attempt < 300; attempt++) {
      const state = (await send('Runtime.evaluate', { expression: "document.readyState === 'complete' && document.body !== null && document.body.childElementCount > 0", returnByValue: true }, sessionId)) as { result: { value: boolean } };
      if (state.result.value) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const evaluated = (await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId)) as { result: { value: unknown }; exceptionDetails?: unknown };
    if (evaluated.exceptionDetails) throw new Error(`the expression threw: ${JSON.stringify(evaluated.exceptionDetails)}`);
    return evaluated.result.value;
  } finally {
    clearTimeout(timer);
    await send('Browser.close').catch(() => undefined);
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.on('close', resolve)));
    await rm(profile, { recursive: true, force: true });
  }
}
