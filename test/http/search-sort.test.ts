/**
 * _sort (R4 search.html#sort) on every sortable parameter type, multiple keys, mixed directions, deterministic
 * ties (then by _id), resources lacking the sort value last in either direction.
 */
import t from 'tap';
import { createTestServer, json } from './context.js';

const server = await createTestServer();
t.teardown(() => server.close());
const { app } = server;
const put = server.put;
const obs = (id: string, fields: Record<string, unknown>) => put({ resourceType: 'Observation', id, status: 'final', code: { text: 'x' }, ...fields });
await obs('a', { subject: { reference: 'Patient/2' }, effectiveDateTime: '2020-01-02', valueQuantity: { value: 5, system: 'http://unitsofmeasure.org', code: 'kg' }, category: [{ coding: [{ code: 'vital' }] }] });
await obs('b', { subject: { reference: 'Patient/1' }, effectiveDateTime: '2020-01-01', valueQuantity: { value: 7, system: 'http://unitsofmeasure.org', code: 'kg' }, category: [{ coding: [{ code: 'lab' }] }] });
await obs('c', { subject: { reference: 'Patient/1' }, effectiveDateTime: '2020-01-03', category: [{ coding: [{ code: 'lab' }] }] });
await obs('d', {});
await put({ resourceType: 'Patient', id: 'p3', name: [{ family: 'Baker' }], birthDate: '1990' });
await put({ resourceType: 'Patient', id: 'p1', name: [{ family: 'adams' }], birthDate: '1980' });
await put({ resourceType: 'Patient', id: 'p2', name: [{ family: 'Carter' }] });
await put({ resourceType: 'RiskAssessment', id: 'r1', status: 'final', subject: { reference: 'Patient/p1' }, prediction: [{ probabilityDecimal: 0.5 }] });
await put({ resourceType: 'RiskAssessment', id: 'r2', status: 'final', subject: { reference: 'Patient/p1' }, prediction: [{ probabilityDecimal: 0.2 }] });
await put({ resourceType: 'RiskAssessment', id: 'r3', status: 'final', subject: { reference: 'Patient/p1' } });
await put({ resourceType: 'ValueSet', id: 'v1', status: 'draft', url: 'http://b.org/vs' });
await put({ resourceType: 'ValueSet', id: 'v2', status: 'draft', url: 'http://a.org/vs' });

const order = async (query: string) => {
  const response = await app.inject({ method: 'GET', url: `/fhir/${query}` });
  if (response.statusCode !== 200) return response.statusCode;
  return (json(response.body).entry ?? []).map((e: any) => e.resource.id);
};

t.test('R4 search.html#sort: exact orders', async (t) => {
  const cases: [string, string[] | number][] = [
    ['Patient?_sort=family', ['p1', 'p3', 'p2']], // string, case-insensitive
    ['Patient?_sort=-family', ['p2', 'p3', 'p1']],
    ['Patient?_sort=birthdate', ['p1', 'p3', 'p2']], // date; missing last
    ['Patient?_sort=-birthdate', ['p3', 'p1', 'p2']], // missing last in descending order too
    ['Observation?_sort=date', ['b', 'a', 'c', 'd']],
    ['Observation?_sort=-date', ['c', 'a', 'b', 'd']],
    ['Observation?_sort=value-quantity', ['a', 'b', 'c', 'd']], // quantity
    ['Observation?_sort=-value-quantity', ['b', 'a', 'c', 'd']],
    ['Observation?_sort=category', ['b', 'c', 'a', 'd']], // token; tie b/c by _id
    ['Observation?_sort=category,-date', ['c', 'b', 'a', 'd']], // two keys, mixed directions
    ['Observation?_sort=subject,date', ['b', 'c', 'a', 'd']], // reference, then date
    ['Observation?_sort=-subject,-_id', ['a', 'c', 'b', 'd']],
    ['RiskAssessment?_sort=probability', ['r2', 'r1', 'r3']], // number
    ['RiskAssessment?_sort=-probability', ['r1', 'r2', 'r3']],
    ['ValueSet?_sort=url', ['v2', 'v1']], // uri
    ['Observation?_sort=-_id', ['d', 'c', 'b', 'a']],
    ['Observation?_sort=_lastUpdated', ['a', 'b', 'c', 'd']],
    ['Observation?_sort=-_lastUpdated', ['d', 'c', 'b', 'a']],
    ['Observation?_sort=code-value-quantity', 400], // composite cannot sort
  ];
  for (const [query, expected] of cases) t.same(await order(query), expected, query);
});
