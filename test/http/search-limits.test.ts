/**
 * Searches at the edge of what an engine compiles (R4 search.html#combining, #chaining, #has): many values of one
 * parameter, many repeated parameters and deep chains are answered, and a search past SQLite's statement limits (a
 * chain or _has about 25 levels deep) is a 400 too-costly OperationOutcome, never a 500. A U+0000 in a search value,
 * which no stored string holds and PostgreSQL cannot take, is a 400 too (search.html#errors).
 */
import t from 'tap';
import { createTestServer, firstIssue, json } from './context.js';

const server = await createTestServer();
t.teardown(() => server.close());
await server.put({ resourceType: 'Organization', id: 'root', name: 'Root' });
await server.put({ resourceType: 'Organization', id: 'child', name: 'Child', partOf: { reference: 'Organization/root' } });
await server.put({ resourceType: 'Patient', id: 'p1', name: [{ family: 'x7' }], gender: 'female' });

const repeat = (text: string, times: number) => Array.from({ length: times }, () => text).join('');
const list = (count: number, value: (n: number) => string) => Array.from({ length: count }, (_, n) => value(n)).join(',');

const CASES: { name: string; method?: 'GET' | 'POST'; url: string; body?: string; status: number; total?: number; code?: string; errorCode?: string }[] = [
  { name: '500 comma-separated names (OR)', url: `/fhir/Patient?name=${list(500, (n) => `x${n}`)}`, status: 200, total: 1 },
  { name: '1,000 comma-separated genders', url: `/fhir/Patient?gender=${list(1000, (n) => (n === 999 ? 'female' : `g${n}`))}`, status: 200, total: 1 },
  { name: '1,000 comma-separated birthdates', url: `/fhir/Patient?birthdate=${list(1000, (n) => `19${String(n % 100).padStart(2, '0')}`)}`, status: 200, total: 0 },
  {
    name: '1,200 repeated name= parameters by POST _search (AND)', method: 'POST', url: '/fhir/Patient/_search',
    body: Array.from({ length: 1200 }, () => 'name=x7').join('&'), status: 200, total: 1,
  },
  { name: 'a chain 20 levels deep', url: `/fhir/Organization?${repeat('partof.', 20)}name=x`, status: 200, total: 0 },
  { name: 'a chain 2 levels deep that matches', url: '/fhir/Organization?partof.name=Root', status: 200, total: 1 },
  { name: 'a chain 60 levels deep', url: `/fhir/Organization?${repeat('partof.', 60)}name=x`, status: 400, code: 'too-costly', errorCode: 'too-costly' },
  { name: '_has nested 60 levels', url: `/fhir/Patient?${repeat('_has:Patient:link:', 60)}name=x`, status: 400, code: 'too-costly', errorCode: 'too-costly' },
  { name: 'U+0000 in a string value', url: '/fhir/Patient?name=%00', status: 400, code: 'invalid', errorCode: 'invalid-search-value' },
  { name: 'U+0000 inside a token value', url: '/fhir/Patient?identifier=a%00b', status: 400, code: 'invalid', errorCode: 'invalid-search-value' },
];

for (const c of CASES) {
  t.test(`search.html: ${c.name}`, async (t) => {
    const response = await server.app.inject({
      method: c.method ?? 'GET', url: c.url, payload: c.body,
      headers: c.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
    });
    t.equal(response.statusCode, c.status, 'status');
    t.match(response.headers['content-type'], /^application\/fhir\+json/);
    if (c.total !== undefined) t.equal(json(response.body).total, c.total, 'total');
    if (c.code) t.match(firstIssue(response.body), { code: c.code, errorCode: c.errorCode });
  });
}

t.test('http.html#cond-update: U+0000 in If-None-Exist is a 400, nothing created', async (t) => {
  const response = await server.app.inject({
    method: 'POST', url: '/fhir/Patient', headers: { 'content-type': 'application/fhir+json', 'if-none-exist': 'identifier=a%00' },
    payload: { resourceType: 'Patient' },
  });
  t.equal(response.statusCode, 400);
  t.equal(firstIssue(response.body).errorCode, 'invalid-search-value');
  const count = json((await server.app.inject({ method: 'GET', url: '/fhir/Patient?_summary=count' })).body);
  t.equal(count.total, 1);
});
