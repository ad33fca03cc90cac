/**
 * Every OperationOutcome and Bundle the server answers is valid R4 (R4 operationoutcome.html, bundle.html#invs,
 * http.html "In case of failure, servers SHOULD always return a body that contains an OperationOutcome"):
 * one request per REST interaction and error path, each body checked with the server's own validator and
 * the Bundle invariants (http-spec-support.ts). The other http-spec suites run the same check on theirs.
 */
import t from 'tap';
import { createTestServer, FHIR_JSON } from './context.js';
import { bundleProblems, recorder, responseProblems } from './http-spec-support.js';

const server = await createTestServer({ defaultCount: 2 });
t.teardown(() => server.close());
const http = recorder(server);
const H = { 'content-type': FHIR_JSON };
const patient = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Patient', name: [{ family: 'Valid' }], ...extra });

const created = JSON.parse((await http.inject({ method: 'POST', url: '/fhir/Patient', headers: H, payload: patient({ identifier: [{ system: 'urn:s', value: 'twin' }] }) })).body);
await http.inject({ method: 'POST', url: '/fhir/Patient', headers: H, payload: patient({ identifier: [{ system: 'urn:s', value: 'twin' }] }) });
await http.inject({ method: 'PUT', url: '/fhir/Patient/valid-1', headers: H, payload: patient({ id: 'valid-1' }) });
await http.inject({ method: 'PUT', url: '/fhir/Patient/valid-1', headers: H, payload: patient({ id: 'valid-1', gender: 'female' }) });
await http.inject({ method: 'POST', url: '/fhir/Observation', headers: H, payload: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/valid-1' } } });
await http.inject({ method: 'DELETE', url: '/fhir/Patient/valid-1' });

const requests: Array<{ name: string; method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string; headers?: Record<string, string>; payload?: unknown }> = [
  { name: 'read', method: 'GET', url: `/fhir/Patient/${created.id}` },
  { name: 'read unknown (404)', method: 'GET', url: '/fhir/Patient/nobody' },
  { name: 'read deleted (410)', method: 'GET', url: '/fhir/Patient/valid-1' },
  { name: 'vread unknown version (404)', method: 'GET', url: `/fhir/Patient/${created.id}/_history/42` },
  { name: 'vread deleted version (410)', method: 'GET', url: '/fhir/Patient/valid-1/_history/3' },
  { name: 'bad id (400)', method: 'GET', url: '/fhir/Patient/bad_id!' },
  { name: 'unknown type (404)', method: 'GET', url: '/fhir/NoSuchType/1' },
  { name: 'unknown route (404)', method: 'GET', url: '/fhir/Patient/1/_history/1/extra' },
  { name: 'method not allowed (405)', method: 'POST', url: `/fhir/Patient/${created.id}`, headers: H, payload: patient() },
  { name: 'XML asked for (406)', method: 'GET', url: `/fhir/Patient/${created.id}?_format=xml` },
  { name: 'XML body (415)', method: 'POST', url: '/fhir/Patient', headers: { 'content-type': 'application/fhir+xml' }, payload: '<Patient/>' },
  { name: 'malformed JSON (400)', method: 'POST', url: '/fhir/Patient', headers: H, payload: '{"resourceType":' },
  { name: 'invalid resource (400)', method: 'POST', url: '/fhir/Patient', headers: H, payload: patient({ gender: 'sometimes' }) },
  { name: 'create with OperationOutcome', method: 'POST', url: '/fhir/Patient', headers: { ...H, prefer: 'return=OperationOutcome' }, payload: patient() },
  { name: 'conditional create, several matches (412)', method: 'POST', url: '/fhir/Patient', headers: { ...H, 'if-none-exist': 'identifier=urn:s|twin' }, payload: patient() },
  { name: 'update id mismatch (400)', method: 'PUT', url: `/fhir/Patient/${created.id}`, headers: H, payload: patient({ id: 'other' }) },
  { name: 'update version conflict (412)', method: 'PUT', url: `/fhir/Patient/${created.id}`, headers: { ...H, 'if-match': 'W/"99"' }, payload: patient({ id: created.id }) },
  { name: 'conditional update, several matches (412)', method: 'PUT', url: '/fhir/Patient?identifier=urn:s|twin', headers: H, payload: patient() },
  { name: 'patch that cannot apply (422)', method: 'PATCH', url: `/fhir/Patient/${created.id}`, headers: { 'content-type': 'application/json-patch+json' }, payload: JSON.stringify([{ op: 'test', path: '/gender', value: 'male' }]) },
  { name: 'conditional delete, several matches (412)', method: 'DELETE', url: '/fhir/Patient?identifier=urn:s|twin' },
  { name: 'unknown search parameter (400)', method: 'GET', url: '/fhir/Patient?nonsense=1' },
  { name: 'searchset with paging', method: 'GET', url: '/fhir/Patient?_count=1' },
  { name: 'searchset with outcome entry', method: 'GET', url: '/fhir/Patient?nonsense=1', headers: { prefer: 'handling=lenient' } },
  { name: 'searchset with include', method: 'GET', url: '/fhir/Observation?_include=Observation:subject' },
  { name: 'system search', method: 'GET', url: '/fhir?_type=Patient,Observation' },
  { name: 'compartment search', method: 'GET', url: '/fhir/Patient/valid-1/Observation' },
  { name: 'instance history with a delete', method: 'GET', url: '/fhir/Patient/valid-1/_history' },
  { name: 'type history paged', method: 'GET', url: '/fhir/Patient/_history?_count=1&_total=accurate' },
  { name: 'system history', method: 'GET', url: '/fhir/_history' },
  { name: 'history of unknown (404)', method: 'GET', url: '/fhir/Patient/nobody/_history' },
  { name: 'delete', method: 'DELETE', url: `/fhir/Patient/${created.id}` },
  {
    name: 'transaction', method: 'POST', url: '/fhir', headers: H, payload: {
      resourceType: 'Bundle', type: 'transaction', entry: [
        { fullUrl: 'urn:uuid:5a1d0c1e-0000-4000-8000-000000000001', resource: patient(), request: { method: 'POST', url: 'Patient' } },
        { resource: patient({ id: 'valid-tx' }), request: { method: 'PUT', url: 'Patient/valid-tx' } },
        { request: { method: 'DELETE', url: 'Patient/nothing-here' } },
        { request: { method: 'GET', url: 'Patient?_count=1' } },
      ],
    },
  },
  {
    name: 'batch with a failing entry', method: 'POST', url: '/fhir', headers: H, payload: {
      resourceType: 'Bundle', type: 'batch', entry: [
        { request: { method: 'GET', url: 'Patient/nobody' } },
        { resource: patient(), request: { method: 'POST', url: 'Patient' } },
      ],
    },
  },
  { name: 'failing transaction (400)', method: 'POST', url: '/fhir', headers: H, payload: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: patient({ gender: 'x' }), request: { method: 'POST', url: 'Patient' } }] } },
];

t.test('R4 operationoutcome.html, bundle.html#invs: every response body of every interaction is valid R4', async (t) => {
  for (const request of requests) {
    const response = await http.inject({ method: request.method, url: request.url, headers: request.headers, payload: request.payload as never });
    t.not(response.statusCode, 500, `${request.name}: never a 500`);
  }
  const problems = responseProblems(server, http.responses);
  t.same(problems, [], `${http.responses.length} responses checked`);
});

t.test('the invariant check itself catches each broken shape (so the test above is not vacuous)', async (t) => {
  const cases = [
    { name: 'bdl-1 total on a transaction-response', bundle: { type: 'transaction-response', total: 1 }, rule: 'bdl-1' },
    { name: 'bdl-2 search on a history entry', bundle: { type: 'history', entry: [{ search: { mode: 'match' }, request: {}, response: {} }] }, rule: 'bdl-2' },
    { name: 'bdl-3 history entry without request', bundle: { type: 'history', entry: [{ response: { status: '200' } }] }, rule: 'bdl-3' },
    { name: 'bdl-4 searchset entry with response', bundle: { type: 'searchset', entry: [{ resource: { resourceType: 'Patient' }, search: { mode: 'match' }, response: { status: '200' } }] }, rule: 'bdl-4' },
    { name: 'bdl-8 versioned fullUrl', bundle: { type: 'searchset', entry: [{ fullUrl: 'http://x/Patient/1/_history/1', search: { mode: 'match' }, resource: { resourceType: 'Patient', id: '1' } }] }, rule: 'bdl-8' },
    { name: 'relative link', bundle: { type: 'searchset', link: [{ relation: 'self', url: 'Patient?x=1' }] }, rule: 'not absolute' },
  ];
  for (const c of cases) t.match(bundleProblems(c.bundle).join('\n'), c.rule, c.name);
});
