/**
 * PostgreSQL reads by id outside transactions share statements (src/storage/sql/read-batch.ts), and every statement
 * is prepared once per connection with a bounded number kept (src/storage/postgres/prepared-statements.ts).
 * R4 3.1.0.2 read: each read answers its own resource, a deleted one as deleted (410 at the HTTP layer), an unknown
 * one as absent (404), however many reads arrive together. Runs when FHIR_TEST_POSTGRES_URL is set.
 */
import t from 'tap';
import type { Resource } from '../../src/fhir/types.js';
import { createStore } from '../../src/storage/create-store.js';
import type { FhirStore, VersionWrite } from '../../src/storage/port.js';
import { fixtureRegistry } from './contract-fixtures.js';
import { testSchema } from './postgres-schema.js';

const url = process.env.FHIR_TEST_POSTGRES_URL;

function version(resourceType: string, id: string, versionId: number, resource?: Resource): VersionWrite {
  const lastUpdated = `2024-01-0${versionId}T00:00:00.000Z`;
  const stamped = resource && { ...resource, id, meta: { versionId: String(versionId), lastUpdated } };
  return {
    resourceType, id, versionId, lastUpdated, method: resource ? 'PUT' : 'DELETE', resource: stamped,
    index: stamped && fixtureRegistry().extract(stamped), expectedPreviousVersion: versionId - 1,
  };
}

if (!url) {
  t.comment('FHIR_TEST_POSTGRES_URL is not set: the PostgreSQL grouped-read tests did NOT run');
  t.pass('skipped: no PostgreSQL server configured');
} else {
  const schema = testSchema(url, 'greads');
  // one connection, three prepared statements: eviction and re-preparation happen within a few searches
  const store: FhirStore = await createStore({ store: schema.url({ pool_size: '1', prepared_statements: '3' }), dataDir: '/nonexistent' });
  t.teardown(async () => {
    await store.close();
    await schema.drop();
  });

  for (let n = 0; n < 30; n++) await store.write(version('Patient', `p${n}`, 1, { resourceType: 'Patient', name: [{ family: `Family${n}` }] }));
  await store.write(version('Observation', 'p1', 1, { resourceType: 'Observation', status: 'final', code: { text: 'same id, other type' } }));
  await store.write(version('Patient', 'gone', 1, { resourceType: 'Patient', name: [{ family: 'Gone' }] }));
  await store.write(version('Patient', 'gone', 2));

  t.test('reads issued together each get their own current version', async (t) => {
    const wanted = [
      ...Array.from({ length: 30 }, (_, n) => ['Patient', `p${n}`]),
      ['Observation', 'p1'], ['Patient', 'p1'], ['Patient', 'missing'], ['Patient', 'gone'], ['Observation', 'p2'],
    ] as const;
    const reads = await Promise.all(wanted.map(([type, id]) => store.read(type, id)));
    for (let n = 0; n < 30; n++) {
      t.equal(reads[n]?.resourceType, 'Patient');
      t.equal((reads[n]?.resource?.name as { family: string }[])[0]!.family, `Family${n}`, `Patient/p${n}`);
    }
    t.equal(reads[30]?.resourceType, 'Observation', 'the same id under another type is another resource');
    t.equal((reads[30]?.resource?.code as { text: string }).text, 'same id, other type');
    t.equal(reads[31]?.resourceType, 'Patient', 'a key asked twice in one group is answered twice');
    t.equal(reads[32], undefined, 'an unknown id is absent');
    t.same([reads[33]?.deleted, reads[33]?.versionId], [true, 2], 'a deleted resource reads as its deletion');
    t.equal(reads[34], undefined, 'an id of another type only is absent');
    const alone = await store.read('Patient', 'p7');
    t.same(alone?.resource, reads[7]?.resource, 'a grouped read gives what a lone read gives');
  });

  t.test('more search shapes than a connection keeps prepared: each still answers, again and again', async (t) => {
    const shapes = [
      { types: ['Patient'], where: [], sort: [], count: 5, total: 'accurate' as const },
      { types: ['Patient'], where: [], sort: [], count: 7, total: 'accurate' as const },
      { types: ['Observation'], where: [], sort: [], count: 5, total: 'accurate' as const },
      { types: ['Patient', 'Observation'], where: [], sort: [], count: 5, total: 'accurate' as const },
      { types: ['Patient'], where: [], sort: [], count: 0, total: 'accurate' as const },
    ];
    const expected = [30, 30, 1, 31, 30];
    for (let round = 0; round < 3; round++) {
      for (const [n, shape] of shapes.entries()) {
        t.equal((await store.search(shape)).total, expected[n], `round ${round}, shape ${n}`);
        t.ok(await store.read('Patient', 'p3'), 'and reads still work between them');
      }
    }
  });
}
