/**
 * A database written by an older server is migrated forward at start where a step exists (schema.ts MIGRATIONS:
 * 2 -> 3 -> 4), and refused untouched where none does (1) or when it is newer. SQLite always; PostgreSQL when
 * FHIR_TEST_POSTGRES_URL is set (a fresh schema, dropped at the end).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import t from 'tap';
import type { Resource } from '../../src/fhir/types.js';
import { createStore } from '../../src/storage/create-store.js';
import { SCHEMA_VERSION } from '../../src/storage/sql/schema.js';
import type { FhirStore, VersionWrite } from '../../src/storage/port.js';
import { fixtureRegistry } from './contract-fixtures.js';

interface Raw {
  exec(sql: string): Promise<void>;
  version(): Promise<number>;
  close(): Promise<void>;
}

interface Engine {
  name: string;
  /** the FHIR_STORE of a new, empty database, and raw SQL access to it */
  fresh(): Promise<{ store: string; raw: () => Promise<Raw> }>;
}

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'schema-migration-'));
t.teardown(() => fs.rmSync(directory, { recursive: true, force: true }));
let counter = 0;

const engines: Engine[] = [{
  name: 'SQLite',
  async fresh() {
    const file = path.join(directory, `db${++counter}.sqlite`);
    return {
      store: `sqlite:${file}`,
      raw: async () => {
        const db = new Database(file);
        return {
          exec: async (sql) => { db.exec(sql); },
          version: async () => (db.prepare('SELECT version FROM fhir_schema_version').get() as { version: number }).version,
          close: async () => { db.close(); },
        };
      },
    };
  },
}];

const postgresUrl = process.env.FHIR_TEST_POSTGRES_URL;
if (postgresUrl) {
  const schemas: string[] = [];
  t.teardown(async () => {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });
  engines.push({
    name: 'PostgreSQL',
    async fresh() {
      const schema = `migration_${process.pid}_${Date.now().toString(36)}_${++counter}`;
      schemas.push(schema);
      const url = new URL(postgresUrl);
      url.searchParams.set('schema', schema);
      return {
        store: url.toString(),
        raw: async () => {
          const client = new pg.Client({ connectionString: postgresUrl, options: `-c search_path=${schema}` });
          await client.connect();
          await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
          return {
            exec: async (sql) => { await client.query(sql); },
            version: async () => Number((await client.query('SELECT version FROM fhir_schema_version')).rows[0].version),
            close: () => client.end(),
          };
        },
      };
    },
  });
} else {
  t.comment('FHIR_TEST_POSTGRES_URL is not set: the migration tests ran on SQLite only');
}

const write = (versionId: number, family: string): VersionWrite => {
  const lastUpdated = new Date(Date.UTC(2024, 0, versionId)).toISOString();
  const resource: Resource = { resourceType: 'Patient', id: 'm', name: [{ family }], meta: { versionId: String(versionId), lastUpdated } };
  return { resourceType: 'Patient', id: 'm', versionId, lastUpdated, method: 'PUT', resource,
    index: fixtureRegistry().extract(resource), expectedPreviousVersion: versionId - 1 };
};
const family = (version: { resource?: Resource } | undefined) => (version?.resource?.name as { family: string }[] | undefined)?.[0]?.family;
const open = (store: string) => createStore({ store, dataDir: directory });
async function closing<T>(store: FhirStore, fn: (store: FhirStore) => Promise<T>): Promise<T> {
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

for (const engine of engines) {
  t.test(`${engine.name}: a schema version 2 database is migrated at start and keeps its data`, async (t) => {
    const { store, raw } = await engine.fresh();
    await closing(await open(store), async (s) => {
      await s.write(write(1, 'First'));
      await s.write(write(2, 'Second'));
    });
    // as a version-2 server left it: every history row holds its content, the current one included
    const db = await raw();
    await db.exec('UPDATE fhir_history SET content = (SELECT content FROM fhir_resource r WHERE r.rkey = fhir_history.rkey) WHERE version = 2');
    await db.exec('UPDATE fhir_schema_version SET version = 2');
    await closing(await open(store), async (s) => {
      t.equal(await db.version(), SCHEMA_VERSION, `the version is now ${SCHEMA_VERSION}`);
      t.equal(family(await s.read('Patient', 'm')), 'Second');
      t.equal(family(await s.vread('Patient', 'm', 1)), 'First');
      t.equal(family(await s.vread('Patient', 'm', 2)), 'Second');
      await s.write(write(3, 'Third'));
      t.equal(family(await s.vread('Patient', 'm', 2)), 'Second', 'a superseded version-2 row keeps its content');
      const history = await s.history({ resourceType: 'Patient', id: 'm', count: 10 });
      t.same(history.items.map(family), ['Third', 'Second', 'First']);
      const found = await s.search({ types: ['Patient'], where: [{ kind: 'param', param: 'family', index: 'string', values: [{ kind: 'string', op: 'starts', value: 'third' }] }], sort: [], count: 10, total: 'none' });
      t.equal(found.items.length, 1, 'searches still match');
    });
    await db.close();
  });

  if (engine.name === 'PostgreSQL') {
    t.test('PostgreSQL: a schema version 3 database (JSONB content) is migrated to text content without rewriting it', async (t) => {
      const { store, raw } = await engine.fresh();
      await closing(await open(store), async (s) => {
        await s.write(write(1, 'First'));
        await s.write(write(2, 'Second'));
      });
      // as a version-3 server left it: the resource JSON as JSONB in `content`
      const db = await raw();
      for (const table of ['fhir_resource', 'fhir_history']) {
        await db.exec(`ALTER TABLE ${table} DROP COLUMN content_jsonb`);
        await db.exec(`ALTER TABLE ${table} ALTER COLUMN content TYPE JSONB USING content::jsonb`);
      }
      await db.exec('UPDATE fhir_schema_version SET version = 3');
      await closing(await open(store), async (s) => {
        t.equal(await db.version(), SCHEMA_VERSION, `the version is now ${SCHEMA_VERSION}`);
        const current = await s.read('Patient', 'm');
        t.equal(family(current), 'Second', 'the current version reads from the old column');
        t.match(current?.json, /^\{"resourceType": "Patient", "id": "m"/, 'its text starts with resourceType (json.html)');
        t.equal(family(await s.vread('Patient', 'm', 1)), 'First', 'a superseded version reads from the old column');
        const found = await s.search({ types: ['Patient'], where: [{ kind: 'param', param: 'family', index: 'string', values: [{ kind: 'string', op: 'starts', value: 'second' }] }], sort: [], count: 10, total: 'accurate' });
        t.same([found.total, found.items.map(family)], [1, ['Second']], 'searches find it, with its content');
        await s.write(write(3, 'Third'));
        t.equal(family(await s.vread('Patient', 'm', 2)), 'Second', 'the version it superseded keeps its content');
        const history = await s.history({ resourceType: 'Patient', id: 'm', count: 10 });
        t.same(history.items.map(family), ['Third', 'Second', 'First']);
        t.match((await s.read('Patient', 'm'))?.json, /^\{"resourceType":"Patient","id":"m"/, 'the new version is stored as the text written');
      });
      await db.close();
    });
  }

  t.test(`${engine.name}: a version 1 database and a newer one are refused untouched`, async (t) => {
    for (const version of [1, 99]) {
      const { store, raw } = await engine.fresh();
      const db = await raw();
      await db.exec('CREATE TABLE fhir_schema_version (version INTEGER NOT NULL)');
      await db.exec(`INSERT INTO fhir_schema_version (version) VALUES (${version})`);
      await t.rejects(open(store), version === 1 ? /older server.*cannot migrate from 1/s : new RegExp(`knows up to ${SCHEMA_VERSION}`), `version ${version} refused`);
      t.equal(await db.version(), version, 'its version is unchanged');
      await db.close();
    }
  });
}
