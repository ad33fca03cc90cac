// R4 http.html#transaction on PostgreSQL: a transaction Bundle of PUTs costs a few statements, not two per entry.
// The current versions of all PUT, PATCH and DELETE targets are read together (transaction.ts readCurrentVersions)
// and the creates are sent together at the end (create-batch.ts DeferringSession); a read per entry would also send
// the creates held back before it one by one. Runs when FHIR_TEST_POSTGRES_URL is set.
import pg from 'pg';
import t from 'tap';
import { createTestServerOn, FHIR_JSON, type TestServer } from '../http/context.js';
import { testEngines } from '../storage/postgres-schema.js';

const postgres = testEngines('tx_statements').find((engine) => engine.name === 'PostgreSQL');
const ENTRIES = 200;

if (!postgres) {
  t.comment('FHIR_TEST_POSTGRES_URL is not set: the PostgreSQL transaction statement tests did NOT run');
  t.pass('skipped: no PostgreSQL server configured');
} else {
  const server: TestServer = await createTestServerOn(t, postgres);

  // every statement any connection sends, as pg receives it
  const sent: { client: pg.Client; sql: string }[] = [];
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string };
    sent.push({ client: this, sql: typeof config === 'string' ? config : config?.text ?? '' });
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  t.teardown(() => { pg.Client.prototype.query = query; });

  /** the transaction's statements: those of the connection that began it (background jobs use others) */
  const transaction = async (entry: unknown[]) => {
    sent.length = 0;
    const response = await server.app.inject({
      method: 'POST', url: '/fhir', headers: { 'content-type': FHIR_JSON, prefer: 'return=minimal' },
      payload: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }),
    });
    const connection = sent.find((statement) => statement.sql.startsWith('BEGIN'))?.client;
    const statements = sent.filter((statement) => statement.client === connection).map((statement) => statement.sql);
    return { status: response.statusCode, body: JSON.parse(response.body), statements };
  };
  const put = (id: string) => ({ request: { method: 'PUT', url: `Patient/${id}` }, resource: { resourceType: 'Patient', id, name: [{ family: id }] } });

  t.test(`${ENTRIES} PUTs of new ids`, async (t) => {
    const result = await transaction(Array.from({ length: ENTRIES }, (_, n) => put(`new-${n}`)));
    t.equal(result.status, 200, 'committed');
    t.same(new Set(result.body.entry.map((entry: any) => entry.response.status)), new Set(['201 Created']), 'all created');
    // BEGIN, the read of all targets, the creates, COMMIT
    const shown = result.statements.slice(0, 8).map((sql) => sql.slice(0, 40)).join(' | ');
    t.ok(result.statements.length <= 6, `a handful of statements, not two per entry (sent ${result.statements.length}: ${shown} ...)`);
  });
}
