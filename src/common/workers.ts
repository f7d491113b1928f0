import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Where a worker-thread script lives and how to start it. Compiled code (dist/*.js) runs the
 * sibling `.js` file directly; code run from source (`.ts`, under vitest or tsx) runs the `.ts`
 * sibling with tsx's loader, so workers behave the same in tests and in the shipped CLI.
 *
 * @param callerUrl `import.meta.url` of the module that owns the worker
 * @param baseName  the worker module's file name without extension, relative to the caller
 */
export function workerScript(callerUrl: string, baseName: string): { filename: string; execArgv: string[] } {
  const fromSource = callerUrl.endsWith('.ts') || callerUrl.endsWith('.tsx');
  const filename = fileURLToPath(new URL(`${baseName}${fromSource ? '.ts' : '.js'}`, callerUrl));
  if (!fromSource) return { filename, execArgv: [] };
  const tsxLoader = createRequire(callerUrl).resolve('tsx');
  return { filename, execArgv: ['--import', pathToFileURL(tsxLoader).href] };
}

/**
 * A piscina pool's filename and workerData for a sibling worker module. Compiled code runs the
 * `.js` file itself; from source, piscina runs tsx-worker-entry.mjs, which registers tsx and then
 * imports the `.ts` module named in `workerData.seglossWorkerEntry` (extra to the caller's data).
 */
export function piscinaWorker<T extends object>(callerUrl: string, baseName: string, workerData: T): { filename: string; workerData: T & { seglossWorkerEntry?: string } } {
  const { filename, execArgv } = workerScript(callerUrl, baseName);
  if (execArgv.length === 0) return { filename, workerData };
  return {
    filename: fileURLToPath(new URL('./tsx-worker-entry.mjs', import.meta.url)),
    workerData: { ...workerData, seglossWorkerEntry: pathToFileURL(filename).href },
  };
}

/**
 * Starts a plain worker_threads Worker on a sibling module (for pools other than piscina). From
 * source the worker registers tsx itself before importing the module: under Node 20 a
 * `--import tsx` in a raw Worker's execArgv does not make a .ts entry file loadable (piscina's
 * own bootstrap does, so piscina pools take workerScript's execArgv instead).
 */
export function startWorkerThread(callerUrl: string, baseName: string): Worker {
  const { filename, execArgv } = workerScript(callerUrl, baseName);
  if (execArgv.length === 0) return new Worker(filename);
  // The ESM build of tsx's API (require.resolve picks the CommonJS one).
  const tsxApi = pathToFileURL(createRequire(callerUrl).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const entry = pathToFileURL(filename).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true });
}
