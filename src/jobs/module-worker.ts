/** Worker threads running a module of this folder, from compiled JavaScript or from the TypeScript sources. */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * A worker running the module `name` beside this one. Run from TypeScript sources (tsx), a worker does not inherit
 * tsx's loader hooks, so it registers them before importing the module.
 */
export function startModuleWorker(name: string, workerData: unknown): Worker {
  const self = fileURLToPath(import.meta.url);
  const file = pathToFileURL(path.join(path.dirname(self), `${name}${path.extname(self)}`)).href;
  if (!self.endsWith('.ts')) return new Worker(new URL(file), { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(file)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}
