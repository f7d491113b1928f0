// Preloaded with `node --import` by test/startup.test.ts: registers a resolve hook that reports
// every module URL the process resolves (ESM imports, including those of the CLI's packages) on
// stderr as "IMPORT <url>", so a test can see which packages a command loads.
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  process.stderr.write('IMPORT ' + result.url + '\\n');
  return result;
}`));
