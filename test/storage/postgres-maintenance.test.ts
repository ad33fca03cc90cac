/**
 * PostgreSQL engine behaviour beyond the contract: serialization failures and deadlocks are retried and end as
 * FhirError 'transient' (503) when they outlast the retries; planner statistics are refreshed after many writes.
 * Runs when FHIR_TEST_POSTGRES_URL is set (scripts/ci-postgres.sh prints one); a fresh schema, dropped at the end.
 */
import pg from 'pg';
import t from 'tap';
import { FhirError } from '../../src/fhir/errors.js';
import { createStore } from '../../src/storage/create-store.js';
import type { StatisticsRefresher } from '../../src/storage/postgres/statistics.js';
import { testSchema } from './postgres-schema.js';

const url = process.env.FHIR_TEST_POSTGRES_URL;
if (!url) {
  t.comment('FHIR_TEST_POSTGRES_URL is not set: the PostgreSQL maintenance tests did NOT run');
  t.pass('skipped: no PostgreSQL server configured');
} else {
  const schema = testSchema(url, 'maintenance');
  const store = await createStore({ store: schema.url(), dataDir: '/nonexistent' });
  t.teardown(async () => {
    await store.close();
    await schema.drop();
  });

  t.test('a serialization failure is retried as a whole callback, and after the last retry is a 503', async (t) => {
    let attempts = 0;
    const failure = Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001' });
    const error = await store.withTransaction(async () => {
      attempts++;
      throw failure;
    }).catch((caught: unknown) => caught);
    t.ok(error instanceof FhirError, 'a FhirError');
    t.equal((error as FhirError).code, 'transient');
    t.equal((error as FhirError).status, 503);
    t.ok(attempts > 1, `retried (${attempts} attempts)`);

    let tries = 0;
    const value = await store.withTransaction(async () => {
      tries++;
      if (tries < 3) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      return 'done';
    });
    t.equal(value, 'done', 'a deadlock victim succeeds on a later attempt');
    t.equal(tries, 3);
  });

  t.test('other errors are not retried', async (t) => {
    let attempts = 0;
    await t.rejects(store.withTransaction(async () => {
      attempts++;
      throw new FhirError('conflict', 'no');
    }), { code: 'conflict' });
    t.equal(attempts, 1);
  });

  t.test('planner statistics and visibility are refreshed after many writes', async (t) => {
    const engine = (store as unknown as { sql: { statistics: StatisticsRefresher } }).sql;
    engine.statistics.noteWrites(1000);
    await engine.statistics.settled();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query(
      `SELECT relname FROM pg_stat_user_tables WHERE schemaname = $1 AND last_analyze IS NOT NULL AND last_vacuum IS NOT NULL ORDER BY relname`, [schema.name]);
    await client.end();
    const analyzed = rows.map((row: { relname: string }) => row.relname);
    t.ok(analyzed.includes('fhir_resource') && analyzed.includes('idx_token') && analyzed.includes('idx_reference'), analyzed.join(', '));
  });
}
