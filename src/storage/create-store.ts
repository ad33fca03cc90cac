/** The only place that names a storage engine (DESIGN.md "Storage"). Returns an initialised store. */
import path from 'node:path';
import type { Config } from '../config.js';
import type { FhirStore } from './port.js';

export async function createStore(config: Pick<Config, 'store' | 'dataDir'>): Promise<FhirStore> {
  const store = await openStore(config);
  try {
    await store.init();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}

async function openStore({ store, dataDir }: Pick<Config, 'store' | 'dataDir'>): Promise<FhirStore> {
  if (store === 'sqlite' || store.startsWith('sqlite:')) {
    const { createSqliteStore } = await import('./sqlite/sqlite-store.js');
    const file = store === 'sqlite' ? path.join(dataDir, 'fhir.sqlite') : path.resolve(store.slice('sqlite:'.length));
    return createSqliteStore(file);
  }
  if (/^postgres(ql)?:\/\//.test(store)) {
    const { createPostgresStore } = await import('./postgres/postgres-store.js');
    return createPostgresStore(store);
  }
  if (/^mongodb(\+srv)?:\/\//.test(store)) {
    // a variable specifier: the MongoDB engine is another module's and may be absent from a build
    const mongoModule = './mongo/mongo-store.js';
    const { createMongoStore } = (await import(mongoModule)) as { createMongoStore(url: string): Promise<FhirStore> };
    return createMongoStore(store);
  }
  throw new Error(`Unknown store "${store}": use "sqlite", "sqlite:<file>", "postgres://..." or "mongodb://..."`);
}
