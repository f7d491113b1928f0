import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

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
