/**
 * The PostgreSQL store keeps the connections it opened through a pause: pg-pool closed a connection idle for 10 s,
 * and the next request after a pause opened another (authentication, a cold backend, every statement prepared again:
 * 3.4-4.4 ms for a one-row search where a kept connection answers in 1.5-2.2 ms). Checked by the backend that runs a
 * search before and after 11 s of idleness. Runs when FHIR_TEST_POSTGRES_URL is set.
 */
import t from 'tap';
import pg from 'pg';
import type { SearchQuery } from '../../src/search/ir.js';
import { createStore } from '../../src/storage/create-store.js';
import { testSchema } from './postgres-schema.js';

const url = process.env.FHIR_TEST_POSTGRES_URL;

if (!url) {
  t.comment('FHIR_TEST_POSTGRES_URL is not set: the PostgreSQL pool test did NOT run');
  t.pass('skipped: no PostgreSQL server configured');
} else {
  const schema = testSchema(url, 'pool');
  // one connection, so every search runs on it while it stays open
  const store = await createStore({ store: schema.url({ pool_size: '1' }), dataDir: '/nonexistent' });
  const observer = new pg.Client({ connectionString: url });
  await observer.connect();
  t.teardown(async () => {
    await observer.end();
    await store.close();
    await schema.drop();
  });

  // a name prefix is written into the statement text (conditions.ts selectivityVaries), so the marker names its backend
  const searchMarked = (marker: string): Promise<unknown> => store.search({
    types: ['Patient'], where: [{ kind: 'param', param: 'name', index: 'string', values: [{ kind: 'string', op: 'starts', value: marker }] }],
    sort: [], count: 10, total: 'none',
  } satisfies SearchQuery);
  const backendOf = async (marker: string): Promise<number[]> => (await observer.query(
    'SELECT pid FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()', [`%${marker}%`])).rows.map((row: { pid: number }) => row.pid);

  t.test('a connection idle for longer than pg-pool\'s 10 s default is kept', async (t) => {
    const before = `poolmarker${process.pid}a`;
    const after = `poolmarker${process.pid}b`;
    await searchMarked(before);
    const first = await backendOf(before);
    t.equal(first.length, 1, 'one backend ran the first search');
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    t.same(await backendOf(before), first, 'its connection is still open after 11 s');
    await searchMarked(after);
    t.same(await backendOf(after), first, 'the search after the pause runs on the same backend');
  });
}
