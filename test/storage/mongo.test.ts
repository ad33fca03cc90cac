/**
 * The shared storage contract (test/storage/contract.ts) against a real MongoDB replica set. Runs only when
 * MONGODB_URL is set (e.g. `docker compose up -d mongo` then MONGODB_URL=mongodb://127.0.0.1:27017/?replicaSet=rs0
 * &directConnection=true); every store gets a fresh database, dropped at the end. Without it this suite does
 * not run, and says so: in CI the MongoDB compiler is cross-checked under mingo instead (mongo-mingo.test.ts).
 */
import { MongoClient } from 'mongodb';
import t from 'tap';
import { createStore } from '../../src/storage/create-store.js';
import { runContract } from './contract.js';

const url = process.env.MONGODB_URL;

/** the same server URL with another database in its path */
function withDatabase(base: string, database: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/.exec(base);
  if (!match) throw new Error(`MONGODB_URL is not a mongodb:// URL: ${base}`);
  return `${match[1]}/${database}${match[2] ?? ''}`;
}

if (!url) {
  t.comment('MONGODB_URL is not set: the MongoDB contract suite did NOT run against a real server (see docker-compose.yml)');
  t.test('MongoDB storage contract', { skip: 'NOT RUN: MONGODB_URL is not set (no MongoDB server here)' }, () => undefined);
} else {
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  const databases: string[] = [];
  t.teardown(async () => {
    const client = new MongoClient(url);
    try {
      for (const database of databases) await client.db(database).dropDatabase();
    } finally {
      await client.close();
    }
  });

  await runContract(t, () => {
    const database = `contract_${runId}_${databases.length + 1}`;
    databases.push(database);
    return createStore({ store: withDatabase(url, database), dataDir: '/nonexistent' });
  });

  t.test('concurrent start-ups create collections and indexes once', async (t) => {
    const database = `contract_${runId}_startup`;
    databases.push(database);
    const stores = await Promise.all([1, 2, 3].map(() => createStore({ store: withDatabase(url, database), dataDir: '/nonexistent' })));
    for (const store of stores) {
      t.equal(store.engine, 'mongo');
      await store.close();
    }
  });
}
