/**
 * A pool of import-worker.ts threads preparing NDJSON chunks (parse, validate, index) while the caller's thread
 * writes, for machines with cores to spare (src/cli/import.ts decides how many). Chunks go to the least busy
 * worker; results come back in the order asked because the writer awaits them in that order.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LinePreparer, PreparedLine, PrepareOptions } from './import-prepare.js';
import type { NdjsonText } from './ndjson-reader.js';

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

interface Pending { resolve(lines: PreparedLine[]): void; reject(error: Error): void }

interface PoolWorker { worker: Worker; ready: Promise<void>; busy: number; failure?: Error }

export function startPreparerPool(size: number, baseUrls: string[]): LinePreparer {
  const pending = new Map<number, Pending>();
  let next = 0;
  const workers: PoolWorker[] = Array.from({ length: size }, () => {
    const worker = startModuleWorker('import-worker', { baseUrls });
    const entry: PoolWorker = { worker, busy: 0, ready: Promise.resolve() };
    entry.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: { ready?: boolean; id?: number; prepared?: PreparedLine[]; error?: string }) => {
        if (message.ready) return resolve();
        const waiting = pending.get(message.id!);
        if (!waiting) return;
        pending.delete(message.id!);
        entry.busy--;
        if (message.error !== undefined) waiting.reject(new Error(`import worker: ${message.error}`));
        else waiting.resolve(message.prepared!);
      });
      worker.on('error', (error) => {
        entry.failure = error;
        reject(error);
        for (const [id, waiting] of pending) {
          pending.delete(id);
          waiting.reject(error);
        }
      });
    });
    entry.ready.catch(() => undefined);
    return entry;
  });
  return {
    async prepare(lines: readonly NdjsonText[], options: PrepareOptions): Promise<PreparedLine[]> {
      const entry = workers.reduce((best, candidate) => (candidate.busy < best.busy ? candidate : best));
      if (entry.failure) throw entry.failure;
      entry.busy++;
      const id = next++;
      const result = new Promise<PreparedLine[]>((resolve, reject) => pending.set(id, { resolve, reject }));
      await entry.ready;
      entry.worker.postMessage({ id, lines, options });
      return result;
    },
    async close(): Promise<void> {
      await Promise.all(workers.map((entry) => entry.worker.terminate()));
    },
  };
}
