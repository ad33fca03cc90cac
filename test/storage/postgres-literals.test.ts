/**
 * PostgreSQL lookups whose values are written into the statement text (dialect.ts postgresLiteral, conditions.ts
 * selectivityVaries): codes without their system and date ranges. Whatever a code holds (quotes, backslashes, a
 * placeholder sign, SQL), the search finds exactly the resources with that code (R4 search.html#token), and dates
 * before 1970 (negative instants) compare as dates (search.html#prefix). Runs when FHIR_TEST_POSTGRES_URL is set.
 */
import t from 'tap';
import type { Resource } from '../../src/fhir/types.js';
import type { SearchQuery, ValueMatch } from '../../src/search/ir.js';
import { loadDefinitions } from '../../src/fhir/definitions.js';
import { normalizeString } from '../../src/search/normalize.js';
import { parseSearch } from '../../src/search/parse.js';
import { createStore } from '../../src/storage/create-store.js';
import type { FhirStore } from '../../src/storage/port.js';
import { fixtureRegistry } from './contract-fixtures.js';
import { testSchema } from './postgres-schema.js';

const url = process.env.FHIR_TEST_POSTGRES_URL;
const CODES = ["it's", 'back\\slash', 'what?', '$1', "x'); DROP TABLE fhir_resource; --", "''", 'plain'];

if (!url) {
  t.comment('FHIR_TEST_POSTGRES_URL is not set: the PostgreSQL literal tests did NOT run');
  t.pass('skipped: no PostgreSQL server configured');
} else {
  const schema = testSchema(url, 'literals');
  const store: FhirStore = await createStore({ store: schema.url(), dataDir: '/nonexistent' });
  t.teardown(async () => {
    await store.close();
    await schema.drop();
  });
  const put = async (resource: Resource) => {
    const lastUpdated = '2024-01-01T00:00:00.000Z';
    const stamped = { ...resource, meta: { versionId: '1', lastUpdated } };
    await store.write({ resourceType: resource.resourceType, id: resource.id!, versionId: 1, lastUpdated, method: 'PUT', resource: stamped,
      index: fixtureRegistry().extract(stamped), expectedPreviousVersion: 0 });
  };
  for (const [n, code] of CODES.entries()) {
    await put({ resourceType: 'Patient', id: `p${n}`, identifier: [{ system: 'urn:test', value: code }], name: [{ family: `${code} family` }],
      birthDate: `19${50 + n}-06-15` });
  }
  const search = async (param: string, index: 'token' | 'date' | 'string', value: ValueMatch) => {
    const query: SearchQuery = { types: ['Patient'], where: [{ kind: 'param', param, index, values: [value] }], sort: [], count: 50, total: 'accurate' };
    return (await store.search(query)).items.map((item) => item.id).sort();
  };

  t.test('_lastUpdated=ap as the parser widens it (search.html#prefix) is answered, not a 500', async (t) => {
    const registry = fixtureRegistry();
    const now = () => Date.parse('2024-01-01T12:00:00.000Z');
    const options = { lenient: false, defaultCount: 50, maxCount: 50, defs: await loadDefinitions(), now, baseUrls: ['http://h.example/fhir'] };
    for (const [raw, expected] of [['ap2024-01', CODES.length], ['ap2024', CODES.length], ['ap1990', 0]] as const) {
      const parsed = await parseSearch('Patient', { _lastUpdated: [raw] }, registry, options);
      t.equal((await store.search(parsed.query)).items.length, expected, `_lastUpdated=${raw}`);
    }
  });

  t.test('a code without its system finds exactly its resources, whatever it holds', async (t) => {
    for (const [n, code] of CODES.entries()) {
      t.same(await search('identifier', 'token', { kind: 'token', op: 'eq', code }), [`p${n}`], JSON.stringify(code));
    }
    t.same(await search('identifier', 'token', { kind: 'token', op: 'eq', code: 'absent' }), [], 'an unknown code matches nothing');
    t.same(await search('identifier', 'token', { kind: 'token', op: 'eq', system: 'urn:test', code: "it's" }), ['p0'], 'with its system (bound)');
  });

  t.test('a name prefix finds exactly its resources, whatever it holds (search.html#string)', async (t) => {
    for (const [n, code] of CODES.entries()) {
      // the IR holds the normalised prefix (search/parse.ts)
      t.same(await search('family', 'string', { kind: 'string', op: 'starts', value: normalizeString(code) }), [`p${n}`], JSON.stringify(code));
    }
  });

  t.test('a chain driven by a name prefix (its prefix range written into the text) finds exactly its resources', async (t) => {
    for (const [n] of CODES.entries()) {
      await put({ resourceType: 'Observation', id: `o${n}`, status: 'final', code: { text: 'x' }, subject: { reference: `Patient/p${n}` } });
    }
    for (const [n, code] of CODES.entries()) {
      const query: SearchQuery = {
        types: ['Observation'],
        where: [{ kind: 'chain', param: 'subject', targetTypes: ['Patient'], where: [{ kind: 'param', param: 'family', index: 'string', values: [{ kind: 'string', op: 'starts', value: normalizeString(code) }] }] }],
        sort: [], count: 50, total: 'accurate',
      };
      const page = await store.search(query);
      t.same([page.total, page.items.map((item) => item.id)], [1, [`o${n}`]], JSON.stringify(code));
    }
  });

  t.test('date ranges before and after 1970', async (t) => {
    const before = (date: string): ValueMatch => ({ kind: 'date', prefix: 'lt', low: Date.parse(date), high: Date.parse(date) + 86_399_999 });
    t.same(await search('birthdate', 'date', before('1952-01-01')), ['p0', 'p1'], 'lt 1952: born 1950 and 1951');
    t.same(await search('birthdate', 'date', before('1970-01-01')), CODES.map((_, n) => `p${n}`), 'lt 1970: everyone');
    t.same(await search('birthdate', 'date', { kind: 'date', prefix: 'gt', low: Date.parse('1955-01-01'), high: Date.parse('1955-12-31T23:59:59.999Z') }),
      ['p6'], 'gt 1955: born 1956');
  });
}
