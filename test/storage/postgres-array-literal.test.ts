/**
 * The array literals the PostgreSQL writes send (src/storage/sql/array-literal.ts) read back as exactly the values
 * given, whatever the text holds (quotes, backslashes, braces, commas, spaces, the word NULL) and whatever the number
 * (infinite date bounds, exponents); and resources written through the one-create and the many-create statements are
 * found by those values (R4 search.html#string :exact, #token). Runs when FHIR_TEST_POSTGRES_URL is set.
 */
import t from 'tap';
import pg from 'pg';
import type { Resource } from '../../src/fhir/types.js';
import { arrayLiteral } from '../../src/storage/sql/array-literal.js';
import { createStore } from '../../src/storage/create-store.js';
import type { FhirStore } from '../../src/storage/port.js';
import type { SearchQuery, ValueMatch } from '../../src/search/ir.js';
import { fixtureRegistry } from './contract-fixtures.js';
import { testSchema } from './postgres-schema.js';

const url = process.env.FHIR_TEST_POSTGRES_URL;

const TEXTS = ['plain', 'a "quoted" word', 'back\\slash', '{braces}', 'comma, then', ' spaced ', 'NULL', 'null', '', 'ünïcødé ✓', '\\"', null];
const NUMBERS = [0, -1.5, 1e21, 1e-7, 8.64e15, -62135596800000, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null];

if (!url) {
  t.comment('FHIR_TEST_POSTGRES_URL is not set: the PostgreSQL array literal tests did NOT run');
  t.pass('skipped: no PostgreSQL server configured');
} else {
  t.test('literals read back as the values given', async (t) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    t.teardown(() => client.end());
    const cases: { type: string; values: unknown[]; read: (value: unknown) => unknown }[] = [
      { type: 'text[]', values: TEXTS, read: (value) => value },
      { type: 'float8[]', values: NUMBERS, read: (value) => value },
      // the driver reads int8 as text
      { type: 'int8[]', values: [0, 1, -7, 2 ** 53 - 1, null], read: (value) => (value === null ? null : Number(value)) },
    ];
    for (const { type, values, read } of cases) {
      const { rows } = await client.query(`SELECT value FROM unnest($1::${type}) WITH ORDINALITY AS u(value, n) ORDER BY n`, [arrayLiteral(values)]);
      t.same(rows.map((row) => read(row.value)), values, `${type}: ${arrayLiteral(values)}`);
    }
  });

  t.test('resources written by the one-create and many-create statements are found by those values', async (t) => {
    const schema = testSchema(url, 'arrays');
    const store: FhirStore = await createStore({ store: schema.url(), dataDir: '/nonexistent' });
    t.teardown(async () => {
      await store.close();
      await schema.drop();
    });
    const families = TEXTS.filter((text): text is string => typeof text === 'string' && text.trim() !== '');
    const write = (target: FhirStore, id: string, family: string) => {
      const lastUpdated = '2024-01-01T00:00:00.000Z';
      const resource: Resource = { resourceType: 'Patient', id, meta: { versionId: '1', lastUpdated }, name: [{ family }], identifier: [{ system: 'urn:t', value: family }] };
      return target.write({ resourceType: 'Patient', id, versionId: 1, lastUpdated, method: 'PUT', resource, index: fixtureRegistry().extract(resource), expectedPreviousVersion: 0 });
    };
    // alone: one statement per create; inside a transaction the creates wait and go out as one statement
    for (const [n, family] of families.entries()) await write(store, `one${n}`, family);
    await store.withTransaction(async (tx) => {
      for (const [n, family] of families.entries()) await write(tx, `many${n}`, family);
    });
    const search = async (param: string, index: 'token' | 'string', value: ValueMatch) => {
      const query: SearchQuery = { types: ['Patient'], where: [{ kind: 'param', param, index, values: [value] }], sort: [], count: 50, total: 'accurate' };
      return (await store.search(query)).items.map((item) => item.id).sort();
    };
    for (const [n, family] of families.entries()) {
      const expected = [`many${n}`, `one${n}`];
      t.same(await search('family', 'string', { kind: 'string', op: 'exact', value: family }), expected, `family:exact=${JSON.stringify(family)}`);
      t.same(await search('identifier', 'token', { kind: 'token', op: 'eq', system: 'urn:t', code: family }), expected, `identifier=urn:t|${JSON.stringify(family)}`);
    }
  });
}
