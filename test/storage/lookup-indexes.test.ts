// Bulk loading on the SQL engines (port.ts deferIndexLookups / buildIndexLookups, sql/lookup-indexes.ts): a load that
// at least doubles the store drops the index tables' lookup indexes and builds them at the end. Searches must answer
// the same with and without them, building is idempotent and works from any connection, a restart builds what a
// dead importer left missing, and a store larger than the load keeps its lookups.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.js';
import type { Resource } from '../../src/fhir/types.js';
import type { ServerContext } from '../../src/interactions/types.js';
import { createServerContext } from '../../src/jobs/server-context.js';
import type { Condition } from '../../src/search/ir.js';
import { LOOKUP_INDEXES } from '../../src/storage/sql/schema.js';
import { testSchema } from './postgres-schema.js';

const postgresUrl = process.env.FHIR_TEST_POSTGRES_URL;
const engines = postgresUrl ? ['sqlite', 'postgres'] as const : ['sqlite'] as const;
const LOOKUPS = LOOKUP_INDEXES.map((lookup) => lookup.name).sort();

interface Target { config: Config; presentLookups(): Promise<string[]> }

function target(t: Test, engine: 'sqlite' | 'postgres'): Target {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-lookups-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  if (engine === 'sqlite') {
    const file = path.join(dataDir, 'fhir.db');
    return {
      config: { ...loadConfig({}), dataDir, store: `sqlite:${file}`, seed: false },
      presentLookups: async () => {
        const db = new Database(file, { readonly: true });
        try {
          return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_%_lookup%' ORDER BY name").all() as { name: string }[]).map((row) => row.name);
        } finally {
          db.close();
        }
      },
    };
  }
  const schema = testSchema(postgresUrl!, 'lookups');
  t.teardown(() => schema.drop());
  return {
    config: { ...loadConfig({}), dataDir, store: schema.url(), seed: false },
    presentLookups: async () => {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      try {
        const { rows } = await client.query("SELECT indexname AS name FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'idx_%_lookup%' ORDER BY 1", [schema.name]);
        return rows.map((row: { name: string }) => row.name);
      } finally {
        await client.end();
      }
    },
  };
}

async function open(t: Test, config: Config): Promise<ServerContext> {
  const ctx = await createServerContext(config);
  t.teardown(() => ctx.store.close());
  return ctx;
}

const patient = (n: number): Resource => ({
  resourceType: 'Patient', id: `p${n}`, name: [{ family: `Family${n % 5}` }], gender: n % 2 ? 'male' : 'female',
  birthDate: `19${50 + (n % 40)}-03-04`, managingOrganization: { reference: `Organization/o${n % 3}` },
});

async function writeAll(ctx: ServerContext, resources: Resource[]): Promise<void> {
  const lastUpdated = new Date().toISOString();
  await ctx.store.withTransaction(async (tx) => {
    for (const source of resources) {
      const resource = { ...source, meta: { versionId: '1', lastUpdated } };
      await tx.write({
        resourceType: resource.resourceType, id: resource.id!, versionId: 1, lastUpdated, method: 'PUT', resource,
        index: ctx.searchParameters.extract(resource), expectedPreviousVersion: 0,
      });
    }
  });
}

/** one search per lookup kind the patients have: string, token, date and reference */
const SEARCHES: Condition[] = [
  { kind: 'param', param: 'family', index: 'string', values: [{ kind: 'string', op: 'starts', value: 'family3' }] },
  { kind: 'param', param: 'gender', index: 'token', values: [{ kind: 'token', op: 'eq', code: 'male' }] },
  { kind: 'param', param: 'birthdate', index: 'date', values: [{ kind: 'date', prefix: 'lt', low: Date.UTC(1960, 0, 1), high: Date.UTC(1960, 0, 1) - 1 }] },
  { kind: 'param', param: 'organization', index: 'reference', values: [{ kind: 'reference', targetType: 'Organization', targetId: 'o1' }] },
];

async function answers(ctx: ServerContext): Promise<string[][]> {
  const found: string[][] = [];
  for (const clause of SEARCHES) {
    const page = await ctx.store.search({ types: ['Patient'], where: [clause], sort: [], count: 1000, total: 'accurate' });
    found.push(page.items.map((item) => item.id).sort());
  }
  return found;
}

t.test('test support: two PostgreSQL schemas made at once get distinct names (two stores shared one)', async (t) => {
  const names = Array.from({ length: 5 }, () => testSchema('postgres://unused/db', 'lookups').name);
  t.equal(new Set(names).size, 5);
});

for (const engine of engines) {
  t.test(`${engine}: a large load into an empty store drops the lookups; searches answer the same; building restores them`, async (t) => {
    const reference = target(t, engine);
    const bulk = target(t, engine);
    const referenceCtx = await open(t, reference.config);
    const bulkCtx = await open(t, bulk.config);
    const patients = Array.from({ length: 60 }, (_, n) => patient(n));
    await writeAll(referenceCtx, patients);
    const expected = await answers(referenceCtx);
    t.ok(expected.every((ids) => ids.length > 0 && ids.length < 60), 'each search matches some patients');

    t.same(await bulk.presentLookups(), LOOKUPS, 'a new store has every lookup');
    t.equal(await bulkCtx.store.deferIndexLookups(100_000), true, 'deferred for a load far larger than the store');
    t.same(await bulk.presentLookups(), [], 'no lookup while loading');
    await writeAll(bulkCtx, patients);
    t.same(await answers(bulkCtx), expected, 'searches answer the same without lookups');

    await t.rejects(bulkCtx.store.withTransaction((tx) => tx.buildIndexLookups()), /inside withTransaction/, 'not inside a transaction');
    const other = await open(t, bulk.config);
    await other.store.buildIndexLookups();
    t.same(await bulk.presentLookups(), LOOKUPS, 'built from another connection');
    await bulkCtx.store.buildIndexLookups();
    t.same(await bulk.presentLookups(), LOOKUPS, 'building again changes nothing');
    t.same(await answers(bulkCtx), expected, 'and searches answer the same with them');
  });

  t.test(`${engine}: a start builds the lookups an importer that died left missing`, async (t) => {
    const store = target(t, engine);
    const first = await createServerContext(store.config);
    t.equal(await first.store.deferIndexLookups(5000), true);
    await writeAll(first, [patient(1), patient(3)]);
    await first.store.close();
    t.same(await store.presentLookups(), []);
    const restarted = await open(t, store.config);
    t.same(await store.presentLookups(), LOOKUPS, 'the schema statements of the start build them');
    t.same((await answers(restarted))[1], ['p1', 'p3']);
  });

  t.test(`${engine}: a store holding more than the load keeps its lookups; small loads never defer`, async (t) => {
    const store = target(t, engine);
    const ctx = await open(t, store.config);
    t.equal(await ctx.store.deferIndexLookups(10), false, 'a load of a few resources');
    await writeAll(ctx, Array.from({ length: 2100 }, (_, n) => ({ resourceType: 'Basic', id: `b${n}`, code: { text: 'x' } })));
    t.equal(await ctx.store.deferIndexLookups(2050), false, 'a load smaller than what is stored');
    t.same(await store.presentLookups(), LOOKUPS);
    t.equal(await ctx.store.deferIndexLookups(10_000), true, 'a load larger than what is stored (keys may have gaps: MAX(rkey) >= 2,100)');
    await ctx.store.buildIndexLookups();
  });
}
