/**
 * readMany with includeDeleted (src/storage/port.ts): a deleted resource's current version comes back exactly as
 * read() gives it (deleted, versionId, lastUpdated), since the next write numbers its version after the delete
 * (R4 http.html#update: update as create after a delete continues the version history). Without the option, deleted
 * resources stay left out (_include, search.html#include). Runs on SQLite, on PostgreSQL when FHIR_TEST_POSTGRES_URL
 * is set, and on the MongoDB store over documents evaluated by mingo (no mongod here).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { find } from 'mingo';
import type { Document } from 'mongodb';
import t, { type Test } from 'tap';
import { createStore } from '../../src/storage/create-store.js';
import { buildResourceDocument, type ResourceDocument } from '../../src/storage/mongo/document.js';
import { MongoStore } from '../../src/storage/mongo/mongo-store.js';
import type { FhirStore, VersionWrite } from '../../src/storage/port.js';
import { versionOf } from './contract.js';
import { testEngines } from './postgres-schema.js';

const instant = (minute: number) => new Date(Date.UTC(2024, 0, 1, 0, minute)).toISOString();
const patient = (id: string) => ({ resourceType: 'Patient', id, name: [{ family: id }] });
const deletion = (id: string, versionId: number): VersionWrite =>
  ({ resourceType: 'Patient', id, versionId, lastUpdated: instant(versionId), method: 'DELETE', expectedPreviousVersion: versionId - 1 });

/** live (version 1), gone (deleted at version 2), again (deleted, then created again at version 3) */
const WRITES: VersionWrite[] = [
  versionOf(patient('live'), 1, instant(1)),
  versionOf(patient('gone'), 1, instant(1)), deletion('gone', 2),
  versionOf(patient('again'), 1, instant(1)), deletion('again', 2), versionOf(patient('again'), 3, instant(3)),
];
const ASKED = ['gone', 'missing', 'live', 'again', 'gone'].map((id) => ({ resourceType: 'Patient', id }));

async function checkReadMany(t: Test, store: FhirStore): Promise<void> {
  const withDeleted = await store.readMany(ASKED, { includeDeleted: true });
  const reads = await Promise.all(['gone', 'live', 'again'].map((id) => store.read('Patient', id)));
  t.same(withDeleted, reads, 'each once, in the order asked, as read() answers; the unknown id left out');
  t.same(withDeleted.map((version) => [version.id, version.versionId, version.deleted]), [['gone', 2, true], ['live', 1, false], ['again', 3, false]], 'versions continue after a delete');
  t.same(withDeleted[0], { resourceType: 'Patient', id: 'gone', versionId: 2, lastUpdated: instant(2), deleted: true, method: 'DELETE' }, 'the delete marker');
  const live = await store.readMany(ASKED);
  t.same(live.map((version) => version.id), ['live', 'again'], 'without includeDeleted: no delete markers');
}

for (const engine of testEngines('read_many_deleted')) t.test(engine.name, async (t) => {
  const postgres = engine.store?.();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-read-many-'));
  const store = await createStore({ store: postgres?.url ?? `sqlite:${path.join(dataDir, 'fhir.sqlite')}`, dataDir });
  t.teardown(async () => {
    await store.close();
    await postgres?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  for (const write of WRITES) await store.write(write);
  await checkReadMany(t, store);
  await t.test('inside a transaction', (t) => store.withTransaction((tx) => checkReadMany(t, tx)));
});

t.test('MongoDB (documents evaluated by mingo)', async (t) => {
  // the current document of each resource, as the store keeps it after the writes
  const current = new Map<string, ResourceDocument>();
  WRITES.forEach((write, seq) => current.set(write.id, buildResourceDocument(write, seq)));
  const documents = [...current.values()] as Document[];
  const resources = {
    find: (filter: Document, options: { projection: Document }) => ({ toArray: async () => find(documents, filter, options.projection).all() }),
    findOne: async (filter: Document, options: { projection: Document }) => find(documents, filter, options.projection).all()[0] ?? null,
  };
  const store = new MongoStore({ resources } as unknown as ConstructorParameters<typeof MongoStore>[0]);
  await checkReadMany(t, store);
});
