/**
 * The PostgreSQL engine's commit durability (postgres-store.ts, README "PostgreSQL durability"): synchronous_commit
 * off by default, as SQLite's synchronous=NORMAL; `?synchronous_commit=on` restores a flush per commit; anything
 * else is refused at start. Runs when FHIR_TEST_POSTGRES_URL is set.
 */
import t from 'tap';
import { createStore } from '../../src/storage/create-store.js';
import type { SqlSession } from '../../src/storage/sql/session.js';
import { testSchema } from './postgres-schema.js';

const url = process.env.FHIR_TEST_POSTGRES_URL;
if (!url) {
  t.comment('FHIR_TEST_POSTGRES_URL is not set: the PostgreSQL durability tests did NOT run');
  t.pass('skipped: no PostgreSQL server configured');
} else {
  const schema = testSchema(url, 'durability');
  t.teardown(() => schema.drop());
  const withSetting = (value?: string) => schema.url(value === undefined ? {} : { synchronous_commit: value });
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
