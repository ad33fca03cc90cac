/**
 * Compartment search for every R4 compartment (R4 compartmentdefinition.html, http.html#search):
 * GET [base]/<Compartment>/<id>/<Type>, and [base]/<Compartment>/<id>/* (all member types).
 */
import t from 'tap';
import { compartmentSearch } from '../../src/interactions/compartment-search.js';
import { createTestServer, json, TEST_BASE } from './context.js';

const server = await createTestServer();
t.teardown(() => server.close());
const { app } = server;
const put = server.put;
await put({ resourceType: 'Patient', id: 'p1' });
await put({ resourceType: 'Patient', id: 'p2' });
await put({ resourceType: 'Practitioner', id: 'pr1' });
await put({ resourceType: 'RelatedPerson', id: 'rp1', patient: { reference: 'Patient/p1' } });
await put({ resourceType: 'Device', id: 'd1' });
await put({ resourceType: 'Encounter', id: 'e1', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p1' },
  participant: [{ individual: { reference: 'Practitioner/pr1' } }, { individual: { reference: 'RelatedPerson/rp1' } }] });
await put({ resourceType: 'Encounter', id: 'e2', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p2' } });
await put({ resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' }, encounter: { reference: 'Encounter/e1' }, performer: [{ reference: 'Practitioner/pr1' }], device: { reference: 'Device/d1' } });
await put({ resourceType: 'Observation', id: 'o2', status: 'final', code: { text: 'x' }, subject: { reference: 'Device/d1' }, performer: [{ reference: 'RelatedPerson/rp1' }] });
await put({ resourceType: 'Condition', id: 'c1', subject: { reference: 'Patient/p1' }, asserter: { reference: 'Practitioner/pr1' } });

const ids = async (url: string) => {
  const response = await app.inject({ method: 'GET', url: `/fhir/${url}` });
  if (response.statusCode !== 200) return response.statusCode;
  return (json(response.body).entry ?? []).filter((e: any) => e.search.mode === 'match').map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort();
};

t.test('R4 compartmentdefinition.html: each R4 compartment, table of member searches', async (t) => {
  const cases: [string, string[] | number][] = [
    ['Patient/p1/Observation', ['Observation/o1']],
    ['Patient/p1/Encounter', ['Encounter/e1']],
    ['Patient/p1/Condition', ['Condition/c1']],
    ['Patient/p2/Observation', []],
    ['Encounter/e1/Observation', ['Observation/o1']],
    ['Encounter/e1/Encounter', ['Encounter/e1']],
    ['Practitioner/pr1/Encounter', ['Encounter/e1']],
    ['Practitioner/pr1/Observation', ['Observation/o1']],
    ['Practitioner/pr1/Condition', ['Condition/c1']],
    ['RelatedPerson/rp1/Encounter', ['Encounter/e1']],
    ['RelatedPerson/rp1/Observation', ['Observation/o2']],
    ['Device/d1/Observation', ['Observation/o1', 'Observation/o2']],
    ['Patient/p1/Observation?code:text=x', ['Observation/o1']],
    // not in the compartment / not a compartment
    ['Device/d1/Condition', 400],
    ['Observation/o1/Patient', 400],
    ['Patient/p1/Nonsense', 404],
  ];
  for (const [url, expected] of cases) t.same(await ids(url), expected, url);
});

t.test('R4 http.html#search: [base]/Patient/p1/* searches every type of the compartment', async (t) => {
  const request = (compartmentType: string, id: string, query: Record<string, string[]> = {}) => compartmentSearch(server.ctx, {
    baseUrl: TEST_BASE, method: 'GET', resourceType: '*', compartment: { resourceType: compartmentType, id }, query, headers: {}, prefer: {},
  });
  const matches = (result: any) => (result.body.entry ?? []).filter((e: any) => e.search.mode === 'match').map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort();
  t.same(matches(await request('Patient', 'p1')), ['Condition/c1', 'Encounter/e1', 'Observation/o1', 'Patient/p1', 'RelatedPerson/rp1']);
  t.same(matches(await request('Practitioner', 'pr1')), ['Condition/c1', 'Encounter/e1', 'Observation/o1', 'Practitioner/pr1']);
  t.same(matches(await request('Patient', 'p1', { _type: ['Observation,Condition'] })), ['Condition/c1', 'Observation/o1']);
  const self = (await request('Patient', 'p1')).body as any;
  t.match(self.link[0].url, /\/Patient\/p1\/\*/);
  t.same(await ids('Patient/p1/*?_type=Observation,Condition'), ['Condition/c1', 'Observation/o1'], 'served over HTTP too');
  t.equal(await ids('Nope/p1/*'), 404, 'an unknown compartment type is still refused');
});
