/**
 * A database written by an older server is migrated forward at start where a step exists (schema.ts MIGRATIONS:
 * 2 -> 3 -> 4 -> 5), and refused untouched where none does (1) or when it is newer. SQLite always; PostgreSQL when
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
import type { SearchQuery } from '../../src/search/ir.js';
import type { FhirStore, VersionWrite } from '../../src/storage/port.js';
import { fixtureRegistry } from './contract-fixtures.js';

interface Raw {
  exec(sql: string): Promise<void>;
  version(): Promise<number>;
  /** source_type of the `patient` reference rows, in resource key order */
  sourceTypes(): Promise<(string | null)[]>;
  /** names of idx_reference's lookup indexes */
  indexNames(): Promise<string[]>;
  close(): Promise<void>;
}

const SOURCE_TYPES = "SELECT source_type FROM idx_reference WHERE param = 'patient' ORDER BY rkey";

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
          sourceTypes: async () => (db.prepare(SOURCE_TYPES).all() as { source_type: string | null }[]).map((row) => row.source_type),
          indexNames: async () => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'idx_reference' AND name LIKE '%lookup%' ORDER BY name").all() as { name: string }[]).map((row) => row.name),
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
            sourceTypes: async () => (await client.query(SOURCE_TYPES)).rows.map((row: { source_type: string | null }) => row.source_type),
            indexNames: async () => (await client.query("SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'idx_reference' AND indexname LIKE '%lookup%' ORDER BY 1", [schema])).rows.map((row: { indexname: string }) => row.indexname),
            close: () => client.end(),
          };
        },
      };
    },
  });
} else {
  t.comment('FHIR_TEST_POSTGRES_URL is not set: the migration tests ran on SQLite only');
}

/** the reference rows as servers before version 5 wrote them: no source_type column, the target lookup without it */
async function withoutSourceTypes(db: Raw): Promise<void> {
  await db.exec('DROP INDEX idx_reference_lookup0_v5');
  await db.exec('ALTER TABLE idx_reference DROP COLUMN source_type');
  await db.exec('CREATE INDEX idx_reference_lookup0 ON idx_reference (target_id, target_type, param, rkey)');
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
    await withoutSourceTypes(db);
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
      await withoutSourceTypes(db);
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

  // version 5 gave reference index rows their resource's type; a version-4 database keeps its rows without one
  t.test(`${engine.name}: a schema version 4 database keeps finding its references, and gets their types as it is written`, async (t) => {
    const { store, raw } = await engine.fresh();
    const resources: Resource[] = [
      { resourceType: 'Patient', id: 'p' },
      { resourceType: 'Condition', id: 'c1', subject: { reference: 'Patient/p' } },
      { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p' } },
      { resourceType: 'Encounter', id: 'e1', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p' } },
    ];
    const put = (resource: Resource, versionId = 1): VersionWrite => {
      const lastUpdated = new Date(Date.UTC(2024, 0, versionId)).toISOString();
      const stored = { ...resource, meta: { versionId: String(versionId), lastUpdated } };
      return { resourceType: resource.resourceType, id: resource.id!, versionId, lastUpdated, method: 'PUT', resource: stored,
        index: fixtureRegistry().extract(stored), expectedPreviousVersion: versionId - 1 };
    };
    await closing(await open(store), async (s) => { for (const resource of resources) await s.write(put(resource)); });
    const db = await raw();
    await withoutSourceTypes(db);
    await db.exec('UPDATE fhir_schema_version SET version = 4');
    const patientOf = (types: string[]): SearchQuery => ({
      types, where: [{ kind: 'param', param: 'patient', index: 'reference', values: [{ kind: 'reference', targetType: 'Patient', targetId: 'p' }] }],
      sort: [], count: 10, total: 'accurate',
    });
    const ids = (page: { items: { id: string }[] }) => page.items.map((item) => item.id).sort();
    await closing(await open(store), async (s) => {
      t.equal(await db.version(), SCHEMA_VERSION, `the version is now ${SCHEMA_VERSION}`);
      t.same(await db.sourceTypes(), [null, null, null], 'the rows written before keep no type');
      t.same(await db.indexNames(), ['idx_reference_lookup0_v5', 'idx_reference_lookup1', 'idx_reference_lookup2'], 'the target lookup is the new one');
      t.same(ids(await s.search(patientOf(['Condition']))), ['c1'], 'a type-scoped search still finds rows without a type, and only its type');
      t.same(ids(await s.search(patientOf(['Condition', 'Encounter']))), ['c1', 'e1']);
      t.same((await s.findReferencing(['Observation'], ['patient', 'subject'], [{ resourceType: 'Patient', id: 'p' }], 10)).map((v) => v.id), ['o1'], '_revinclude');
      await s.write(put({ ...resources[1]!, onsetDateTime: '2024-01-01' }, 2));
      t.same(await db.sourceTypes(), ['Condition', null, null], 'a resource written again gets the type in its rows');
      t.same(ids(await s.search(patientOf(['Condition']))), ['c1']);
      t.same(ids(await s.search(patientOf(['Observation']))), ['o1']);
    });
    await db.close();
  });

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
