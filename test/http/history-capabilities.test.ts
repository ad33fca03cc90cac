/** history (R4 http.html#history) and capabilities (R4 http.html#capabilities). */
import t from 'tap';
import { createTestServer, FHIR_JSON, json } from './context.js';

const server = await createTestServer();
t.teardown(() => server.close());
const { app } = server;
const put = (id: string, gender: string) =>
  app.inject({ method: 'PUT', url: `/fhir/Patient/${id}`, headers: { 'content-type': FHIR_JSON }, payload: { resourceType: 'Patient', id, gender } });

await put('h1', 'male');
await put('h1', 'female');
await app.inject({ method: 'DELETE', url: '/fhir/Patient/h1' });
await put('h2', 'other');
await app.inject({ method: 'POST', url: '/fhir/Observation', headers: { 'content-type': FHIR_JSON }, payload: { resourceType: 'Observation', status: 'final', code: { text: 'x' } } });

t.test('R4 http.html#history: instance history newest first, with request, response and the delete', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/fhir/Patient/h1/_history' });
  t.equal(response.statusCode, 200);
  const bundle = json(response.body);
  t.equal(bundle.type, 'history');
  t.same(bundle.entry.map((entry: any) => entry.response.etag), ['W/"3"', 'W/"2"', 'W/"1"']);
  const [deleted, updated, created] = bundle.entry;
  t.same(deleted.request, { method: 'DELETE', url: 'Patient/h1' });
  t.notOk(deleted.resource, 'a delete has no resource');
  t.same(updated.request, { method: 'PUT', url: 'Patient/h1' });
  t.equal(updated.resource.gender, 'female');
  t.match(created.response.status, /^201/);
  t.equal(created.fullUrl, 'http://localhost:80/fhir/Patient/h1');
  t.equal((await app.inject({ method: 'GET', url: '/fhir/Patient/nope/_history' })).statusCode, 404);
});

t.test('R4 http.html#history: type and system level, _count paging, _since', async (t) => {
  const type = json((await app.inject({ method: 'GET', url: '/fhir/Patient/_history' })).body);
  t.equal(type.entry.length, 4);
  const system = json((await app.inject({ method: 'GET', url: '/fhir/_history' })).body);
  t.equal(system.entry.length, 5);
  const firstPage = json((await app.inject({ method: 'GET', url: '/fhir/_history?_count=2' })).body);
  t.equal(firstPage.entry.length, 2);
  const next = firstPage.link.find((link: any) => link.relation === 'next');
  t.ok(next, 'next link');
  const secondPage = json((await app.inject({ method: 'GET', url: next.url.replace('http://localhost:80', '') })).body);
  t.equal(secondPage.entry.length, 2);
  t.notSame(secondPage.entry[0].fullUrl + secondPage.entry[0].response.etag, firstPage.entry[0].fullUrl + firstPage.entry[0].response.etag);
  const future = json((await app.inject({ method: 'GET', url: `/fhir/_history?_since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}` })).body);
  t.notOk(future.entry, 'nothing since the future');
  t.equal((await app.inject({ method: 'GET', url: '/fhir/_history?_since=yesterday' })).statusCode, 400);
});

t.test('R4 http.html#capabilities: GET /metadata is a valid CapabilityStatement of what is served', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/fhir/metadata' });
  t.equal(response.statusCode, 200);
  const statement = json(response.body);
  t.equal(statement.resourceType, 'CapabilityStatement');
  t.equal(statement.fhirVersion, '4.0.1');
  t.ok(statement.format.includes('json'));
  t.same(server.ctx.validator.validate(statement).filter((issue) => issue.severity === 'error'), [], 'passes the validator');
  const rest = statement.rest[0];
  t.equal(rest.resource.length, server.ctx.definitions.resourceTypes.size, 'every registered type');
  t.notOk(rest.resource.some((entry: any) => entry.type === 'Resource'), 'the template is expanded, not published');
  const patient = rest.resource.find((entry: any) => entry.type === 'Patient');
  t.ok(patient.interaction.some((interaction: any) => interaction.code === 'read'));
  t.ok(patient.searchParam.some((param: any) => param.name === 'family' && param.type === 'string'));
  t.same(patient.operation.map((operation: any) => operation.name), ['everything', 'export'], 'Patient/$everything and $export declared');
  t.ok(patient.interaction.some((interaction: any) => interaction.code === 'create'), 'a type entry overlays the template, keeping its interactions');
  t.same(rest.operation.map((operation: any) => operation.name), ['export', 'import', 'reindex'], 'system-level operations declared');
  t.equal(statement.implementation.url, 'http://localhost:80/fhir');
});

// R4 capabilitystatement.html: rest.operation declares the operations served beyond the core interactions, each with
// a definition (canonical of an OperationDefinition, 1..1). $reindex is served at the levels its documentation names
// (src/http/route-table.ts), and answering at each shows the declaration is true; an undeclared operation is not served.
t.test('R4 capabilitystatement.html rest.operation: GET /metadata lists $reindex, served at each level it names', async (t) => {
  const statement = json((await app.inject({ method: 'GET', url: '/fhir/metadata' })).body);
  const reindex = statement.rest[0].operation.filter((operation: any) => operation.name === 'reindex');
  t.equal(reindex.length, 1, 'declared once');
  t.equal(reindex[0].definition, 'urn:hospital-fhir-server:OperationDefinition/reindex');
  const levels: { request: string; status: number }[] = [
    { request: 'POST [base]/$reindex', status: 200 },
    { request: 'POST [base]/[type]/$reindex', status: 200 },
    { request: 'POST [base]/[type]/[id]/$reindex', status: 200 },
    { request: 'GET [base]/$reindex', status: 200 },
  ];
  for (const { request, status } of levels) {
    t.ok(reindex[0].documentation.includes(request), `the documentation names ${request}`);
    const [method, url] = request.split(' ') as ['GET' | 'POST', string];
    const response = await app.inject({ method, url: url.replace('[base]', '/fhir').replace('[type]', 'Patient').replace('[id]', 'h2') });
    t.equal(response.statusCode, status, `${request} is served (${response.body.slice(0, 200)})`);
    t.equal(json(response.body).resourceType, 'Parameters', `${request} answers with a Parameters report`);
  }
  const undeclared = await app.inject({ method: 'POST', url: '/fhir/$no-such-operation' });
  t.equal(undeclared.statusCode, 404, 'an operation not declared is not served');
});
