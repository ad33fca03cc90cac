/**
 * Concurrent creates on PostgreSQL share statements (src/storage/sql/create-batch.ts): every resource must get its
 * own index rows and history row, a repeated or existing id must fail alone, and the others must not notice.
 * Runs when FHIR_TEST_POSTGRES_URL is set; a fresh schema, dropped at the end.
 */
import pg from 'pg';
import t from 'tap';
import { FhirError } from '../../src/fhir/errors.js';
import type { Resource } from '../../src/fhir/types.js';
import { createStore } from '../../src/storage/create-store.js';
import type { VersionWrite } from '../../src/storage/port.js';
import { fixtureRegistry } from './contract-fixtures.js';
import { testSchema } from './postgres-schema.js';

const url = process.env.FHIR_TEST_POSTGRES_URL;
if (!url) {
  t.comment('FHIR_TEST_POSTGRES_URL is not set: the PostgreSQL grouped-create tests did NOT run');
  t.pass('skipped: no PostgreSQL server configured');
} else {
  const schema = testSchema(url, 'grouped');
  const store = await createStore({ store: schema.url(), dataDir: '/nonexistent' });
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema.name}` });
  await client.connect();
  t.teardown(async () => {
    await store.close();
    await client.end();
    await schema.drop();
  });

  const patient = (id: string, family: string, given: string[]): VersionWrite => {
    const resource: Resource = { resourceType: 'Patient', id, name: [{ family, given }], gender: 'female',
      meta: { versionId: '1', lastUpdated: '2024-01-01T00:00:00.000Z' } };
    return { resourceType: 'Patient', id, versionId: 1, lastUpdated: '2024-01-01T00:00:00.000Z', method: 'PUT', resource,
      index: fixtureRegistry().extract(resource), expectedPreviousVersion: 0 };
  };

  t.test('creates issued together each get their own rows; a taken id fails alone', async (t) => {
    await store.write(patient('taken', 'Before', ['Old']));
    // different numbers of given names: index rows per resource differ, so misattached rows would show
    const writes = Array.from({ length: 40 }, (_, n) => patient(`p${n}`, `Family${n}`, Array.from({ length: 1 + (n % 4) }, (_, g) => `G${n}x${g}`)));
    const outcomes = await Promise.allSettled([
      ...writes.map((write) => store.write(write)),
      store.write(patient('taken', 'After', ['New'])),
      store.write(patient('twice', 'First', ['A'])),
      store.write(patient('twice', 'Second', ['B'])),
    ]);
    t.same(outcomes.slice(0, 40).map((outcome) => outcome.status), writes.map(() => 'fulfilled'), 'every fresh create succeeded');
    const taken = outcomes[40]!;
    t.equal(taken.status, 'rejected', 'creating an existing id fails');
    t.equal(((taken as PromiseRejectedResult).reason as FhirError).code, 'version-conflict');
    const twice = outcomes.slice(41).map((outcome) => outcome.status).sort();
    t.same(twice, ['fulfilled', 'rejected'], 'of two creates of one id, exactly one succeeds');

    for (let n = 0; n < 40; n++) {
      const read = await store.read('Patient', `p${n}`);
      t.equal((read?.resource?.name as { family: string }[])[0]!.family, `Family${n}`);
    }
    const { rows } = await client.query(`SELECT r.id, s.norm FROM fhir_resource r JOIN idx_string s ON s.rkey = r.rkey
      WHERE s.param = 'given' AND r.id LIKE 'p%'`);
    const misplaced = rows.filter((row: { id: string; norm: string }) => !row.norm.startsWith(`g${row.id.slice(1)}x`));
    t.same(misplaced, [], 'every given-name index row belongs to its own resource');
    t.equal(rows.length, writes.reduce((sum, _, n) => sum + 1 + (n % 4), 0), 'one row per given name');
    const history = await client.query(`SELECT count(*)::int AS n FROM fhir_history h JOIN fhir_resource r USING (rkey)
      WHERE r.id LIKE 'p%' AND h.version = 1`);
    t.equal(history.rows[0].n, 40, 'one history row each');
    t.equal((await store.read('Patient', 'taken'))?.resource?.name?.toString(), [{ family: 'Before', given: ['Old'] }].toString());
    const found = await store.search({ types: ['Patient'], where: [], sort: [], count: 100, total: 'none' });
    t.equal(found.items.length, 42, '40 + taken + twice');
  });

  t.test('creates held back inside a transaction: seen by its reads, and a taken id still fails it', async (t) => {
    await store.write(patient('held', 'Existing', ['E']));
    const failed = await store.withTransaction(async (tx) => {
      for (let n = 0; n < 30; n++) await tx.write(patient(`tx${n}`, `Tx${n}`, ['T']));
      await tx.write(patient('held', 'Again', ['A']));
      return 'committed';
    }).catch((error: unknown) => error);
    t.equal((failed as FhirError).code, 'version-conflict', 'the create of a taken id fails the transaction');
    t.equal(await store.read('Patient', 'tx0'), undefined, 'and nothing of it is stored');

    const seen = await store.withTransaction(async (tx) => {
      for (let n = 0; n < 30; n++) await tx.write(patient(`ty${n}`, `Ty${n}`, ['T']));
      const read = await tx.read('Patient', 'ty29');
      await tx.write({ ...patient('ty29', 'Changed', ['C']), versionId: 2, expectedPreviousVersion: 1 });
      await tx.write(patient('ty0', 'Twice', ['T']));
      return read?.versionId;
    }).catch((error: unknown) => error);
    t.equal((seen as FhirError).code, 'version-conflict', 'a second create of an id in one transaction fails it');

    const kept = await store.withTransaction(async (tx) => {
      for (let n = 0; n < 30; n++) await tx.write(patient(`tz${n}`, `Tz${n}`, ['T']));
      const read = await tx.read('Patient', 'tz29');
      await tx.write({ ...patient('tz29', 'Changed', ['C']), versionId: 2, expectedPreviousVersion: 1 });
      return read?.versionId;
    });
    t.equal(kept, 1, 'a read inside the transaction sees the held-back create');
    t.equal((await store.read('Patient', 'tz29'))?.versionId, 2);
    t.equal((await store.read('Patient', 'tz0'))?.versionId, 1);
    const found = await store.search({ types: ['Patient'], where: [{ kind: 'param', param: 'family', index: 'string', values: [{ kind: 'string', op: 'starts', value: 'tz1' }] }], sort: [], count: 100, total: 'none' });
    t.equal(found.items.length, 11, 'the held-back creates are indexed (tz1, tz10..tz19)');
  });
}
