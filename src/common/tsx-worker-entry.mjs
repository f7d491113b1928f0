// Entry of a piscina worker when segloss runs from source (tests, tsx): registers tsx in the
// worker, then imports the TypeScript module named in workerData and hands piscina its default
// export. Needed because under Node 20 neither an `--import tsx` in the worker's execArgv nor
// piscina's fallback import() loads a .ts entry, and piscina's first try, require(), fails on a
// module graph with an ESM-only package (nifti-reader-js). The compiled CLI never uses this file.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const module = await import(workerData.seglossWorkerEntry);
export default module.default;
