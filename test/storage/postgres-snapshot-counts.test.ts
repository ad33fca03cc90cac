/**
 * PostgreSQL search totals remembered with their snapshot (src/storage/sql/snapshot-counts.ts). R4 3.1.1.4.4
 * (Bundle.total): the number of matches, exact on every page, whoever wrote in between: this store, another server
 * node on the same database, a delete. The memo itself is checked against a stand-in session: it counts only when
 * the snapshot moved, and a search whose data keeps changing counts along in its page statement.
 * The server-backed part runs when FHIR_TEST_POSTGRES_URL is set.
 */
import t from 'tap';
import pg from 'pg';
import type { Resource } from '../../src/fhir/types.js';
import type { SearchQuery } from '../../src/search/ir.js';
import { createStore } from '../../src/storage/create-store.js';
import type { FhirStore, VersionWrite } from '../../src/storage/port.js';
import type { Row, SqlSession } from '../../src/storage/sql/session.js';
import { SnapshotCounts } from '../../src/storage/sql/snapshot-counts.js';
import { fixtureRegistry } from './contract-fixtures.js';
import { testSchema } from './postgres-schema.js';

function countingSession(rows: Row[]): { session: SqlSession; statements: string[] } {
  const statements: string[] = [];
  const session: SqlSession = {
    all: async (sql) => { statements.push(sql); return [rows.shift()!]; },
    run: async () => undefined,
  };
  return { session, statements };
}

t.test('the memo counts only when the snapshot moved, and trusts a count only once the data held still', async (t) => {
  const memo = new SnapshotCounts();
  const counted = { sql: 'SELECT COUNT(*) AS n FROM x', params: ['a'] };
  t.ok(memo.countAlong(counted.sql, counted.params), 'nothing remembered: the page statement counts');
  memo.remember(counted.sql, counted.params, '10:10:', 7);
  t.notOk(memo.countAlong(counted.sql, counted.params), 'a first count is relied on');
  const { session, statements } = countingSession([{ n: 8, count_snapshot: '11:11:' }]);
  t.equal(await memo.countIn(session, counted, () => 'COUNT WITH SNAPSHOT', '10:10:'), 7, 'same snapshot: the remembered count');
  t.same(statements, [], 'without a statement');
  t.equal(await memo.countIn(session, counted, () => 'COUNT WITH SNAPSHOT', '11:11:'), 8, 'moved: counted again');
  t.same(statements, ['COUNT WITH SNAPSHOT']);
  t.ok(memo.countAlong(counted.sql, counted.params), 'and the next page statement counts along');
  memo.remember(counted.sql, counted.params, '12:12:', 9);
  t.ok(memo.countAlong(counted.sql, counted.params), 'still changing: it keeps counting along');
  memo.remember(counted.sql, counted.params, '12:12:', 9);
  t.notOk(memo.countAlong(counted.sql, counted.params), 'two counts in one snapshot: relied on again');
  t.ok(memo.countAlong(counted.sql, ['b']), 'other bound values are another count');
});

const url = process.env.FHIR_TEST_POSTGRES_URL;
if (!url) {
  t.comment('FHIR_TEST_POSTGRES_URL is not set: the PostgreSQL snapshot-count tests did NOT run');
} else {
  const schema = testSchema(url, 'snapcount');
  const node1: FhirStore = await createStore({ store: schema.url(), dataDir: '/nonexistent' });
  const node2: FhirStore = await createStore({ store: schema.url(), dataDir: '/nonexistent' });
  t.teardown(async () => {
    await node1.close();
    await node2.close();
    await schema.drop();
  });
  const versions = new Map<string, number>();
  const write = (store: FhirStore, id: string, family?: string): Promise<void> => {
    const versionId = (versions.get(id) ?? 0) + 1;
    versions.set(id, versionId);
    const lastUpdated = new Date(Date.UTC(2024, 0, 1, 0, versionId)).toISOString();
    const resource: Resource | undefined = family === undefined ? undefined
      : { resourceType: 'Patient', id, name: [{ family }], meta: { versionId: String(versionId), lastUpdated } };
    const version: VersionWrite = { resourceType: 'Patient', id, versionId, lastUpdated, method: resource ? 'PUT' : 'DELETE', resource,
      index: resource && fixtureRegistry().extract(resource), expectedPreviousVersion: versionId - 1 };
    return store.write(version);
  };
  const smiths = (cursor?: string): SearchQuery => ({
    types: ['Patient'], where: [{ kind: 'param', param: 'family', index: 'string', values: [{ kind: 'string', op: 'starts', value: 'smith' }] }],
    sort: [], count: 3, total: 'accurate', cursor,
  });
  for (let n = 0; n < 10; n++) await write(node1, `s${n}`, 'Smith');
  await write(node1, 'other', 'Jones');

  t.test('totals stay exact across repeats and writes on either node', async (t) => {
    const totals: number[] = [];
    const first = await node1.search(smiths());
    totals.push(first.total!, (await node1.search(smiths())).total!, (await node1.search(smiths())).total!);
    await write(node2, 's10', 'Smith');
    totals.push((await node1.search(smiths())).total!, (await node1.search(smiths())).total!);
    await write(node1, 's0');
    totals.push((await node1.search(smiths())).total!);
    await write(node2, 's1', 'Renamed');
    totals.push((await node1.search(smiths())).total!, (await node1.search(smiths())).total!);
    t.same(totals, [10, 10, 10, 11, 11, 10, 9, 9], 'a create on the other node, a delete, a rename: each counted');
  });

  t.test('later pages give the same total, and see a write between pages', async (t) => {
    const first = await node1.search(smiths());
    const second = await node1.search(smiths(first.nextCursor));
    t.same([first.total, second.total], [9, 9]);
    await write(node2, 's11', 'Smith');
    const third = await node1.search(smiths(second.nextCursor));
    t.equal(third.total, 10, 'a create on the other node between pages is in the next page\'s total');
    const ids = [...first.items, ...second.items, ...third.items].map((item) => item.id);
    t.equal(new Set(ids).size, ids.length, 'no resource on two pages');
  });

  // _summary=count (R4 3.1.1.5.8: a count alone, no entries): a dashboard polling it counted every match each time
  t.test('a count alone is remembered with its snapshot: counted again only after a write, on either node', async (t) => {
    const counts: string[] = [];
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const config = args[0] as { text?: string } | string;
      const text = typeof config === 'string' ? config : config?.text;
      if (text?.startsWith('SELECT COUNT(*)')) counts.push(text);
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    t.teardown(() => { pg.Client.prototype.query = query; });
    // a family of its own: the other tests' totals stay as they are
    const countOnly: SearchQuery = {
      types: ['Patient'], where: [{ kind: 'param', param: 'family', index: 'string', values: [{ kind: 'string', op: 'starts', value: 'counted' }] }],
      sort: [], count: 0, total: 'accurate',
    };
    for (let n = 0; n < 4; n++) await write(node1, `k${n}`, 'Counted');
    const totals = [(await node1.search(countOnly)).total, (await node1.search(countOnly)).total, (await node1.search(countOnly)).total];
    t.equal(counts.length, 1, 'counted once for three requests in one snapshot');
    await write(node2, 'k4', 'Counted');
    totals.push((await node1.search(countOnly)).total, (await node1.search(countOnly)).total);
    t.equal(counts.length, 2, 'counted again after the other node\'s create, then remembered');
    await write(node1, 'k0');
    totals.push((await node1.search(countOnly)).total);
    t.same(totals, [4, 4, 4, 5, 5, 4], 'every total exact: a create on the other node, a delete');
    const inTransaction = await node1.withTransaction(async (tx) => {
      await write(tx, 'k5', 'Counted');
      return (await tx.search(countOnly)).total;
    });
    t.equal(inTransaction, 5, 'inside a transaction its own create is counted');
    t.equal((await node1.search(countOnly)).total, 5, 'and after its commit');
  });

  t.test('inside a transaction the total is counted in the transaction', async (t) => {
    const total = await node1.withTransaction(async (tx) => {
      await write(tx, 's12', 'Smith');
      return (await tx.search(smiths())).total;
    });
    t.equal(total, 11, 'the transaction\'s own create is counted');
    t.equal((await node1.search(smiths())).total, 11, 'and after its commit, outside it');
  });
}
