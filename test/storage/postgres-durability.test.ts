/**
 * The PostgreSQL engine's commit durability (postgres-store.ts, README "PostgreSQL durability"): synchronous_commit
 * off by default, as SQLite's synchronous=NORMAL; `?synchronous_commit=on` restores a flush per commit; anything
 * else is refused at start. Runs when FHIR_TEST_POSTGRES_URL is set.
 */
import pg from 'pg';
import t from 'tap';
import { createStore } from '../../src/storage/create-store.js';
import type { SqlSession } from '../../src/storage/sql/session.js';

const url = process.env.FHIR_TEST_POSTGRES_URL;
if (!url) {
  t.comment('FHIR_TEST_POSTGRES_URL is not set: the PostgreSQL durability tests did NOT run');
  t.pass('skipped: no PostgreSQL server configured');
} else {
  const schema = `durability_${process.pid}_${Date.now().toString(36)}`;
  t.teardown(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });
  const withSetting = (value?: string) => {
    const parsed = new URL(url);
    parsed.searchParams.set('schema', schema);
    if (value !== undefined) parsed.searchParams.set('synchronous_commit', value);
    return parsed.toString();
  };
  /** the setting as the pool's connections see it */
  const setting = async (value?: string) => {
    const store = await createStore({ store: withSetting(value), dataDir: '/nonexistent' });
    try {
      const reader = (store as unknown as { sql: { reader: SqlSession } }).sql.reader;
      return (await reader.all('SHOW synchronous_commit', []))[0]!.synchronous_commit;
    } finally {
      await store.close();
    }
  };

  t.test('synchronous_commit is off unless the URL asks for another level', async (t) => {
    t.equal(await setting(), 'off');
    t.equal(await setting('on'), 'on');
    t.equal(await setting('remote_apply'), 'remote_apply');
    await t.rejects(setting('maybe'), /synchronous_commit must be one of/);
  });
}
