/** create, read, vread, update, delete over HTTP: status codes and headers per R4 http.html. */
import t from 'tap';
import { createTestServer, FHIR_JSON, firstIssue, json } from './context.js';

const server = await createTestServer();
t.teardown(() => server.close());
const { app } = server;
const patient = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Patient', name: [{ family: 'Chalmers', given: ['Peter'] }], ...extra });

t.test('R4 http.html#create: 201, Location with _history, ETag W/"1", Last-Modified, server-assigned id', async (t) => {
  const response = await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': FHIR_JSON }, payload: patient({ id: 'ignored' }) });
  t.equal(response.statusCode, 201);
  const body = json(response.body);
  t.not(body.id, 'ignored', 'an id in the body is ignored on create');
  t.equal(response.headers.location, `http://localhost:80/fhir/Patient/${body.id}/_history/1`);
  t.equal(response.headers.etag, 'W/"1"');
  t.ok(response.headers['last-modified'], 'Last-Modified');
  t.match(response.headers['content-type'], /^application\/fhir\+json/);
  t.equal(body.meta.versionId, '1');
  t.ok(body.meta.lastUpdated);
});

t.test('R4 http.html#read and #cread', async (t) => {
  const created = json((await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': FHIR_JSON }, payload: patient() })).body);
  const read = await app.inject({ method: 'GET', url: `/fhir/Patient/${created.id}` });
  t.equal(read.statusCode, 200);
  t.equal(read.headers.etag, 'W/"1"');
  t.ok(read.headers['last-modified']);
  t.same(json(read.body), created);
  const cases = [
    { name: 'If-None-Match current -> 304', headers: { 'if-none-match': 'W/"1"' }, status: 304 },
    { name: 'If-None-Match other -> 200', headers: { 'if-none-match': 'W/"7"' }, status: 200 },
    { name: 'If-Modified-Since future -> 304', headers: { 'if-modified-since': new Date(Date.now() + 60_000).toUTCString() }, status: 304 },
    { name: 'If-Modified-Since past -> 200', headers: { 'if-modified-since': new Date(Date.now() - 3_600_000).toUTCString() }, status: 200 },
  ];
  for (const c of cases) {
    const response = await app.inject({ method: 'GET', url: `/fhir/Patient/${created.id}`, headers: c.headers });
    t.equal(response.statusCode, c.status, c.name);
    if (c.status === 304) t.equal(response.body, '', `${c.name}: no body`);
  }
  const unknown = await app.inject({ method: 'GET', url: '/fhir/Patient/does-not-exist' });
  t.equal(unknown.statusCode, 404);
  t.equal(firstIssue(unknown.body).code, 'not-found');
  const badId = await app.inject({ method: 'GET', url: '/fhir/Patient/bad_id!' });
  t.equal(badId.statusCode, 400);
  t.equal(firstIssue(badId.body).errorCode, 'invalid-id');
});

t.test('R4 http.html#update: update-as-create 201, update 200, id rules', async (t) => {
  const url = '/fhir/Patient/pat-update';
  const first = await app.inject({ method: 'PUT', url, headers: { 'content-type': FHIR_JSON }, payload: patient({ id: 'pat-update' }) });
  t.equal(first.statusCode, 201, 'update as create');
  t.equal(first.headers.location, 'http://localhost:80/fhir/Patient/pat-update/_history/1');
  const second = await app.inject({ method: 'PUT', url, headers: { 'content-type': FHIR_JSON }, payload: patient({ id: 'pat-update', gender: 'male' }) });
  t.equal(second.statusCode, 200);
  t.equal(second.headers.etag, 'W/"2"');
  t.equal(json(second.body).gender, 'male');
  const cases = [
    { name: 'id in body differs', payload: patient({ id: 'other' }), status: 400, errorCode: 'id-mismatch' },
    { name: 'no id in body', payload: patient(), status: 400, errorCode: 'missing-id' },
    { name: 'wrong resourceType', payload: { resourceType: 'Observation', id: 'pat-update' }, status: 400, errorCode: 'resource-type-mismatch' },
    { name: 'invalid element', payload: patient({ id: 'pat-update', birthDate: 'yesterday' }), status: 400, errorCode: 'invalid-resource' },
  ];
  for (const c of cases) {
    const response = await app.inject({ method: 'PUT', url, headers: { 'content-type': FHIR_JSON }, payload: c.payload });
    t.equal(response.statusCode, c.status, c.name);
    t.equal(firstIssue(response.body).errorCode, c.errorCode, `${c.name}: error code`);
  }
  const after = await app.inject({ method: 'GET', url });
  t.equal(after.headers.etag, 'W/"2"', 'failed updates stored nothing');
});

t.test('R4 http.html#concurrency: If-Match', async (t) => {
  const url = '/fhir/Patient/pat-match';
  await app.inject({ method: 'PUT', url, headers: { 'content-type': FHIR_JSON }, payload: patient({ id: 'pat-match' }) });
  const stale = await app.inject({ method: 'PUT', url, headers: { 'content-type': FHIR_JSON, 'if-match': 'W/"5"' }, payload: patient({ id: 'pat-match' }) });
  t.equal(stale.statusCode, 412);
  t.equal(firstIssue(stale.body).errorCode, 'precondition-failed');
  const current = await app.inject({ method: 'PUT', url, headers: { 'content-type': FHIR_JSON, 'if-match': 'W/"1"' }, payload: patient({ id: 'pat-match' }) });
  t.equal(current.statusCode, 200);
  t.equal(current.headers.etag, 'W/"2"');
});

t.test('R4 http.html#ops Prefer: return', async (t) => {
  const minimal = await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': FHIR_JSON, prefer: 'return=minimal' }, payload: patient() });
  t.equal(minimal.statusCode, 201);
  t.equal(minimal.body, '');
  t.ok(minimal.headers.location);
  const outcome = await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': FHIR_JSON, prefer: 'return=OperationOutcome' }, payload: patient() });
  t.equal(json(outcome.body).resourceType, 'OperationOutcome');
  const representation = await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': FHIR_JSON, prefer: 'return=representation' }, payload: patient() });
  t.equal(json(representation.body).resourceType, 'Patient');
});

t.test('R4 http.html#vread', async (t) => {
  const url = '/fhir/Patient/pat-vread';
  await app.inject({ method: 'PUT', url, headers: { 'content-type': FHIR_JSON }, payload: patient({ id: 'pat-vread' }) });
  await app.inject({ method: 'DELETE', url });
  const cases = [
    { version: '1', status: 200 },
    { version: '2', status: 410, code: 'deleted' },
    { version: '3', status: 404, code: 'not-found' },
    { version: 'x', status: 404, code: 'not-found' },
  ];
  for (const c of cases) {
    const response = await app.inject({ method: 'GET', url: `${url}/_history/${c.version}` });
    t.equal(response.statusCode, c.status, `version ${c.version}`);
    if (c.code) t.equal(firstIssue(response.body).code, c.code);
    else t.equal(response.headers.etag, `W/"${c.version}"`);
  }
});

t.test('R4 http.html#delete: 200 OperationOutcome, then read 410; repeated and unknown deletes 204', async (t) => {
  const url = '/fhir/Patient/pat-delete';
  await app.inject({ method: 'PUT', url, headers: { 'content-type': FHIR_JSON }, payload: patient({ id: 'pat-delete' }) });
  const deleted = await app.inject({ method: 'DELETE', url });
  t.equal(deleted.statusCode, 200);
  t.equal(json(deleted.body).resourceType, 'OperationOutcome');
  t.equal(deleted.headers.etag, 'W/"2"');
  const read = await app.inject({ method: 'GET', url });
  t.equal(read.statusCode, 410);
  t.equal(firstIssue(read.body).code, 'deleted');
  t.equal((await app.inject({ method: 'DELETE', url })).statusCode, 204, 'already deleted');
  t.equal((await app.inject({ method: 'DELETE', url: '/fhir/Patient/never-there' })).statusCode, 204, 'unknown');
  const recreated = await app.inject({ method: 'PUT', url, headers: { 'content-type': FHIR_JSON }, payload: patient({ id: 'pat-delete' }) });
  t.equal(recreated.statusCode, 201, 'update after delete recreates');
  t.equal(recreated.headers.etag, 'W/"3"');
});

t.test('R4 http.html#ccreate, #cond-update, #cdelete', async (t) => {
  const identifier = (value: string) => ({ identifier: [{ system: 'urn:test:mrn', value }] });
  const first = await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': FHIR_JSON, 'if-none-exist': 'identifier=urn:test:mrn|c1' }, payload: patient(identifier('c1')) });
  t.equal(first.statusCode, 201, 'no match: created');
  const again = await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': FHIR_JSON, 'if-none-exist': 'identifier=urn:test:mrn|c1' }, payload: patient(identifier('c1')) });
  t.equal(again.statusCode, 200, 'one match: 200 with the existing resource');
  t.equal(json(again.body).id, json(first.body).id);
  t.equal(again.headers.etag, 'W/"1"', 'no new version');
  await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': FHIR_JSON }, payload: patient(identifier('dup')) });
  await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': FHIR_JSON }, payload: patient(identifier('dup')) });
  const many = await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': FHIR_JSON, 'if-none-exist': 'identifier=urn:test:mrn|dup' }, payload: patient(identifier('dup')) });
  t.equal(many.statusCode, 412, 'several matches: 412');

  const updated = await app.inject({ method: 'PUT', url: '/fhir/Patient?identifier=urn:test:mrn|c1', headers: { 'content-type': FHIR_JSON }, payload: patient({ ...identifier('c1'), gender: 'female' }) });
  t.equal(updated.statusCode, 200, 'conditional update, one match');
  t.equal(json(updated.body).id, json(first.body).id);
  const createdByUpdate = await app.inject({ method: 'PUT', url: '/fhir/Patient?identifier=urn:test:mrn|c2', headers: { 'content-type': FHIR_JSON }, payload: patient(identifier('c2')) });
  t.equal(createdByUpdate.statusCode, 201, 'conditional update, no match: created');
  const manyUpdate = await app.inject({ method: 'PUT', url: '/fhir/Patient?identifier=urn:test:mrn|dup', headers: { 'content-type': FHIR_JSON }, payload: patient(identifier('dup')) });
  t.equal(manyUpdate.statusCode, 412);
  t.equal(firstIssue(manyUpdate.body).code, 'multiple-matches');

  const deleted = await app.inject({ method: 'DELETE', url: '/fhir/Patient?identifier=urn:test:mrn|c2' });
  t.equal(deleted.statusCode, 200, 'conditional delete');
  t.equal((await app.inject({ method: 'GET', url: `/fhir/Patient/${json(createdByUpdate.body).id}` })).statusCode, 410);
  t.equal((await app.inject({ method: 'DELETE', url: '/fhir/Patient?identifier=urn:test:mrn|dup' })).statusCode, 412, 'conditional delete, several matches');
  t.equal((await app.inject({ method: 'DELETE', url: '/fhir/Patient?identifier=urn:test:mrn|none' })).statusCode, 204, 'conditional delete, no match');
});

t.test('R4 search.html#summary and #elements on read', async (t) => {
  await app.inject({ method: 'PUT', url: '/fhir/Patient/pat-summary', headers: { 'content-type': FHIR_JSON }, payload: patient({ id: 'pat-summary', gender: 'male', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' } }) });
  const summary = json((await app.inject({ method: 'GET', url: '/fhir/Patient/pat-summary?_summary=true' })).body);
  t.notOk(summary.text);
  t.equal(summary.gender, 'male');
  t.ok(summary.meta.tag.some((tag: any) => tag.code === 'SUBSETTED'));
  const elements = json((await app.inject({ method: 'GET', url: '/fhir/Patient/pat-summary/_history/1?_elements=gender' })).body);
  t.same(Object.keys(elements).sort(), ['gender', 'id', 'meta', 'resourceType']);
  const bad = await app.inject({ method: 'GET', url: '/fhir/Patient/pat-summary?_summary=everything' });
  t.equal(bad.statusCode, 400);
});
