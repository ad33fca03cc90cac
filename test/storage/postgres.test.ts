/**
 * The storage contract on PostgreSQL. Runs when FHIR_TEST_POSTGRES_URL is set (scripts/ci-postgres.sh prints one);
 * each store gets a fresh schema, dropped at the end.
 */
import pg from 'pg';
import t from 'tap';
import { createStore } from '../../src/storage/create-store.js';
import { runContract } from './contract.js';

const url = process.env.FHIR_TEST_POSTGRES_URL;
if (!url) {
  t.comment('FHIR_TEST_POSTGRES_URL is not set: the PostgreSQL contract suite did NOT run (scripts/ci-postgres.sh provides a server)');
  t.pass('skipped: no PostgreSQL server configured');
} else {
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  const schemas: string[] = [];
  const withSchema = (schema: string) => {
    const parsed = new URL(url);
    parsed.searchParams.set('schema', schema);
    return parsed.toString();
  };
  t.teardown(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  await runContract(t, () => {
    const schema = `contract_${runId}_${schemas.length + 1}`;
    schemas.push(schema);
    return createStore({ store: withSchema(schema), dataDir: '/nonexistent' });
  });

  t.test('concurrent start-ups create the schema once (advisory lock)', async (t) => {
    const schema = `contract_${runId}_startup`;
    schemas.push(schema);
    const stores = await Promise.all([1, 2, 3].map(() => createStore({ store: withSchema(schema), dataDir: '/nonexistent' })));
    for (const store of stores) {
      t.equal(store.engine, 'postgres');
      await store.close();
    }
  });
}
