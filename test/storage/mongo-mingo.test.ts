/**
 * MongoDB cross-check without a mongod (DESIGN.md "MongoDB in CI"): every search case runs through the
 * store's own search code (compile, chain/_has sub-queries, _sort, keyset cursors) with mingo evaluating
 * each emitted filter over the documents the store would hold, and must return exactly the expected ids
 * in order. Shared contract cases (test/storage/contract-*.ts, storage engineer) run when present, and are
 * also run on SQLite to compare results page by page; the MongoDB compiler's own cases (mongo-cases-local.ts)
 * always run.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import type { Resource } from '../../src/fhir/types.js';
import type { IndexEntries } from '../../src/search/index-entries.js';
import type { SearchQuery } from '../../src/search/ir.js';
import { executeSearch } from '../../src/storage/mongo/search.js';
import type { StoredVersion } from '../../src/storage/port.js';
import { localCases, type SearchCase } from './mongo-cases-local.js';
import { localFixtures } from './mongo-fixtures-local.js';
import { documentsFor, mingoSource } from './mongo-mingo-source.js';

type Fixtures = { resource: Resource; index: IndexEntries }[];

/** "Type/id" when the expectation is written that way, else the bare id */
const idsOf = (items: StoredVersion[], expected: string[]) =>
  items.map((item) => (expected.some((id) => id.includes('/')) ? `${item.resourceType}/${item.id}` : item.id));

async function walkPages(source: ReturnType<typeof mingoSource>, query: SearchQuery, pageSize: number) {
  const forward: StoredVersion[][] = [];
  let cursor: string | undefined;
  let last;
  do {
    last = await executeSearch({ ...query, count: pageSize, cursor }, source);
    forward.push(last.items);
    cursor = last.nextCursor;
  } while (cursor && forward.length < 100);
  const backward: StoredVersion[][] = [];
  cursor = last.previousCursor;
  while (cursor && backward.length < 100) {
    const page = await executeSearch({ ...query, count: pageSize, cursor }, source);
    backward.unshift(page.items);
    cursor = page.previousCursor;
  }
  return { forward: forward.flat(), backward: [...backward.flat(), ...last.items] };
}

async function runCases(t: Test, fixtures: Fixtures, cases: SearchCase[], strictOrder: boolean) {
  const source = mingoSource(documentsFor(fixtures));
  for (const c of cases) {
    await t.test(`${c.name} (R4 ${c.spec.startsWith('#') ? 'search.html' + c.spec : c.spec})`, async (t) => {
      const page = await executeSearch(c.query, source);
      // the shared cases compare as sets when the query does not sort; the local ones always fix the order
      const inOrder = strictOrder || c.query.sort.length > 0;
      const comparable = (ids: string[]) => (inOrder ? ids : [...ids].sort());
      t.same(comparable(idsOf(page.items, c.expectIds)), comparable(c.expectIds), inOrder ? 'ids in order' : 'ids (as a set)');
      if (c.query.total === 'accurate') t.equal(page.total, c.expectIds.length, 'total');
      if (c.expectIds.length > 1) {
        const walked = await walkPages(source, c.query, 1);
        const all = idsOf(page.items, c.expectIds);
        t.same(idsOf(walked.forward, c.expectIds), all, 'next cursors, one row per page, give the same order');
        t.same(idsOf(walked.backward, c.expectIds), all, 'previous cursors walk back to the first page');
      }
    });
  }
}

t.test('MongoDB compiler cases under mingo', (t) => runCases(t, localFixtures(), localCases, true));

/** The storage engineer's shared fixtures and cases, or undefined while those files do not exist yet. */
async function loadShared(): Promise<{ fixtures: Fixtures; cases: SearchCase[] } | undefined> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const files = ['contract-fixtures', 'contract-cases'];
  if (!files.every((file) => existsSync(path.join(here, `${file}.ts`)))) return undefined;
  const [{ fixtureResources }, { contractCases }] = await Promise.all(files.map((file) => import(`./${file}.js`)));
  return { fixtures: fixtureResources(), cases: contractCases };
}

const shared = await loadShared();
t.test('shared storage contract cases under mingo', {
  skip: shared ? false : 'NOT RUN: test/storage/contract-fixtures.ts and contract-cases.ts are not present yet',
}, (t) => runCases(t, shared!.fixtures, shared!.cases, false));

/**
 * The same cases on the SQLite engine over the same fixtures: the MongoDB compiler under mingo must return
 * exactly what SQLite returns, in the same order even without _sort (both tie-break on creation order), and
 * the same pages.
 */
t.test('mingo agrees with SQLite on every shared case, page by page', {
  skip: shared ? false : 'NOT RUN: the shared contract files are not present yet',
}, async (t) => {
  const { createStore } = await import('../../src/storage/create-store.js');
  const { loadFixtures } = await import('./contract.js');
  const directory = mkdtempSync(path.join(tmpdir(), 'mongo-vs-sqlite-'));
  const sqlite = await createStore({ store: `sqlite:${path.join(directory, 'fhir.sqlite')}`, dataDir: directory });
  t.teardown(async () => {
    await sqlite.close();
    rmSync(directory, { recursive: true, force: true });
  });
  await loadFixtures(sqlite);
  const source = mingoSource(documentsFor(shared!.fixtures));
  const keys = (items: StoredVersion[]) => items.map((item) => `${item.resourceType}/${item.id}`);
  for (const c of shared!.cases) {
    const query: SearchQuery = { ...c.query, total: 'accurate' };
    const [mongo, reference] = [await executeSearch(query, source), await sqlite.search(query)];
    t.same(keys(mongo.items), keys(reference.items), `${c.name}: same ids in the same order`);
    t.equal(mongo.total, reference.total, `${c.name}: same total`);
    if (reference.items.length > 1) {
      const paged = { ...query, count: 1 };
      const mongoSecond = await executeSearch({ ...paged, cursor: (await executeSearch(paged, source)).nextCursor }, source);
      const sqliteSecond = await sqlite.search({ ...paged, cursor: (await sqlite.search(paged)).nextCursor });
      t.same(keys(mongoSecond.items), keys(sqliteSecond.items), `${c.name}: same second page`);
    }
  }
});
