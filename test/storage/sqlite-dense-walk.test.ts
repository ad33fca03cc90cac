/**
 * SQLite, the first page of a search most of a type's rows match, once its count is known at this database version
 * (storage/sql/dense-walk.ts): the page walks the type's rows in key order and stops when it is full, instead of
 * listing every match and sorting them. R4 search.html#lastUpdated: `_lastUpdated=gt<date>` matching every Patient had
 * read them all through the (type, last_updated) index and sorted them (50,000 Patients: 24 ms; walked 0.05 ms).
 * A narrow range keeps the index.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { Resource } from '../../src/fhir/types.js';
import type { SearchQuery } from '../../src/search/ir.js';
import { createStore } from '../../src/storage/create-store.js';
import { fixtureRegistry } from './contract-fixtures.js';
import { recordSearchStatements } from './sqlite-statements.js';

const PATIENTS = 300;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-dense-walk-'));
t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
const file = path.join(root, 'fhir.sqlite');
const store = await createStore({ store: `sqlite:${file}`, dataDir: root });
t.teardown(() => store.close());

const start = Date.parse('2024-01-01T00:00:00.000Z');
for (let n = 0; n < PATIENTS; n++) {
  const lastUpdated = new Date(start + n * 60_000).toISOString();
  const resource: Resource = { resourceType: 'Patient', id: `p${n}`, gender: 'female', meta: { versionId: '1', lastUpdated } };
  await store.write({ resourceType: 'Patient', id: `p${n}`, versionId: 1, lastUpdated, method: 'PUT', resource,
    index: fixtureRegistry().extract(resource), expectedPreviousVersion: 0 });
}

const { recorded, explain } = recordSearchStatements(store, file);
t.teardown(() => explain.close());

const updatedAfter = (instant: string): SearchQuery => {
  const at = Date.parse(instant);
  return { types: ['Patient'], where: [{ kind: 'lastUpdated', prefix: 'gt', low: at, high: at }], sort: [], count: 20, total: 'accurate' };
};

/** the plan of the statement that read the page (the one with a LIMIT) */
async function pagePlan(query: SearchQuery): Promise<{ total?: number; items: number; plan: string }> {
  recorded.length = 0;
  const page = await store.search(query);
  const statement = recorded.find((entry) => / LIMIT /.test(entry.sql))!;
  const plan = (explain.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...statement.params) as { detail: string }[]).map((step) => step.detail).join('\n');
  return { total: page.total, items: page.items.length, plan: `${statement.sql}\n${plan}` };
}

t.test('_lastUpdated=gt matching every Patient: once counted, the page walks the Patients in key order', async (t) => {
  const query = updatedAfter('2023-12-31T00:00:00.000Z');
  const first = await pagePlan(query);
  t.equal(first.total, PATIENTS);
  const counted = await pagePlan(query);
  t.equal(counted.total, PATIENTS, 'the count taken at this database version');
  t.equal(counted.items, 20);
  t.notMatch(counted.plan, /fhir_resource_type_updated/, `not read through the last_updated index: ${counted.plan}`);
  t.notMatch(counted.plan, /TEMP B-TREE FOR ORDER BY/, `nothing sorted: ${counted.plan}`);
});

t.test('a narrow _lastUpdated range keeps the (type, last_updated) index', async (t) => {
  const query = updatedAfter(new Date(start + (PATIENTS - 5) * 60_000).toISOString());
  await pagePlan(query);
  const counted = await pagePlan(query);
  t.equal(counted.total, 4);
  t.match(counted.plan, /fhir_resource_type_updated \(type=\? AND last_updated>\?\)/, counted.plan);
});
