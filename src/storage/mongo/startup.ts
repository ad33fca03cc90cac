/**
 * Start-up of the MongoDB engine: refuse a server that cannot run transactions, then create the
 * collections and their compound multikey indexes (idempotent).
 */
import type { Db, Document, IndexDescription } from 'mongodb';
import { JOB_INDEXES, JOBS } from './jobs.js';

export const RESOURCES = 'resources';
export const HISTORY = 'history';
/** small documents transactions write to conflict on purpose (mongo-store.ts SearchLocks) */
export const LOCKS = 'locks';

export class MongoStartupError extends Error {
  override name = 'MongoStartupError';
}

/**
 * Transactions need a replica-set member or a mongos router. `hello` names the set (`setName`) on a member
 * and answers `msg: "isdbgrid"` on a mongos; a standalone mongod has neither.
 */
export function transactionSupportProblem(hello: Document): string | undefined {
  if (typeof hello.setName === 'string' || hello.msg === 'isdbgrid') return undefined;
  return 'The MongoDB server is a standalone mongod, not a replica set member. This server writes every FHIR '
    + 'version and every transaction Bundle through MongoDB transactions, which need a replica set (or a sharded '
    + 'cluster). Fix: start mongod with --replSet rs0 and run rs.initiate() once in mongosh (a single-node replica '
    + 'set is enough); `docker compose up` in this repository does both. Then point FHIR_STORE at it, e.g. '
    + 'mongodb://localhost:27017/fhir?replicaSet=rs0.';
}

/** Indexes on the current-state collection: one compound multikey index per parameter type. */
export const RESOURCE_INDEXES: IndexDescription[] = [
  { key: { type: 1, id: 1 }, name: 'type_id' },
  { key: { type: 1, lastUpdated: 1 }, name: 'type_lastUpdated' },
  { key: { type: 1, seq: 1 }, name: 'type_seq' },
  { key: { type: 1, 'str.p': 1, 'str.n': 1 }, name: 'str' },
  { key: { type: 1, 'str.p': 1, 'str.e': 1 }, name: 'str_exact' },
  { key: { type: 1, 'tok.p': 1, 'tok.c': 1, 'tok.s': 1 }, name: 'tok' },
  { key: { type: 1, 'ref.p': 1, 'ref.ti': 1, 'ref.tt': 1 }, name: 'ref' },
  // _revinclude and _has look references up by target, across source types
  { key: { 'ref.ti': 1, 'ref.tt': 1, 'ref.p': 1 }, name: 'ref_target' },
  { key: { type: 1, 'ref.p': 1, 'ref.u': 1 }, name: 'ref_url' },
  { key: { type: 1, 'dt.p': 1, 'dt.lo': 1, 'dt.hi': 1 }, name: 'dt' },
  { key: { type: 1, 'num.p': 1, 'num.v': 1 }, name: 'num' },
  { key: { type: 1, 'qty.p': 1, 'qty.v': 1 }, name: 'qty' },
  { key: { type: 1, 'uri.p': 1, 'uri.v': 1 }, name: 'uri' },
  { key: { type: 1, 'cmp.p': 1 }, name: 'cmp' },
];

export const HISTORY_INDEXES: IndexDescription[] = [
  { key: { type: 1, id: 1, version: -1 }, name: 'type_id_version' },
  { key: { lastUpdated: -1, seq: -1 }, name: 'lastUpdated' },
  { key: { type: 1, lastUpdated: -1, seq: -1 }, name: 'type_lastUpdated' },
];

/** another server node starting at the same moment may have created it first */
function ignoreNamespaceExists(error: unknown): void {
  if ((error as { code?: number }).code !== 48) throw error;
}

export async function prepareDatabase(db: Db): Promise<void> {
  const hello = await db.admin().command({ hello: 1 });
  const problem = transactionSupportProblem(hello);
  if (problem) throw new MongoStartupError(problem);
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  for (const name of [RESOURCES, HISTORY, LOCKS, JOBS]) {
    // collections cannot be created implicitly inside a multi-document transaction on every server version
    if (!existing.has(name)) await db.createCollection(name).catch(ignoreNamespaceExists);
  }
  await db.collection(RESOURCES).createIndexes(RESOURCE_INDEXES);
  await db.collection(HISTORY).createIndexes(HISTORY_INDEXES);
  await db.collection(JOBS).createIndexes(JOB_INDEXES);
}
