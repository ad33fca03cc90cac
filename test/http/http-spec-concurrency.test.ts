/**
 * R4 http.html#concurrency (Managing Resource Contention): "If the version id given in the If-Match header
 * does not match, the server returns a 412 Precondition Failed status code instead of updating the resource",
 * and transaction.html lets Bundle.entry.request.ifMatch guard a DELETE the same way. RFC 7232 section 3.1:
 * a server MUST NOT perform the method when If-Match is false, and `If-Match: *` is false when the resource
 * has no current representation. RFC 9110 section 13.1.2: `If-None-Match: *` on a PUT is false when the resource
 * has a current representation (so a create never overwrites), as is a listed ETag matching the current one; the
 * server then answers 412 and does not perform the method. transaction.html's request.ifNoneMatch does the same.
 */
import t from 'tap';
import { createTestServer, FHIR_JSON, firstIssue } from './context.js';
import { recorder, responseProblems } from './http-spec-support.js';

const server = await createTestServer();
t.teardown(() => server.close());
const http = recorder(server);
const H = { 'content-type': FHIR_JSON };
const patient = (id: string, extra: Record<string, unknown> = {}) => ({ resourceType: 'Patient', id, name: [{ family: 'Lock' }], ...extra });

async function put(id: string) {
  return http.inject({ method: 'PUT', url: `/fhir/Patient/${id}`, headers: H, payload: patient(id) });
}

t.test('R4 http.html#concurrency: DELETE with If-Match', async (t) => {
  const cases = [
    { name: 'stale version -> 412, nothing deleted', setup: 1, ifMatch: 'W/"7"', status: 412, readAfter: 200 },
    { name: 'current version -> 200, deleted', setup: 1, ifMatch: 'W/"1"', status: 200, readAfter: 410 },
    { name: 'current version of a 2-version resource -> 200', setup: 2, ifMatch: 'W/"2"', status: 200, readAfter: 410 },
    { name: 'If-Match: * on an existing resource -> 200', setup: 1, ifMatch: '*', status: 200, readAfter: 410 },
    { name: 'If-Match on an unknown resource -> 412 (no current version)', setup: 0, ifMatch: 'W/"1"', status: 412, readAfter: 404 },
    { name: 'If-Match: * on an unknown resource -> 412', setup: 0, ifMatch: '*', status: 412, readAfter: 404 },
  ];
  let n = 0;
  for (const c of cases) {
    const id = `del-lock-${++n}`;
    for (let i = 0; i < c.setup; i++) await put(id);
    const response = await http.inject({ method: 'DELETE', url: `/fhir/Patient/${id}`, headers: { 'if-match': c.ifMatch } });
    t.equal(response.statusCode, c.status, c.name);
    if (c.status === 412) t.equal(firstIssue(response.body).errorCode, 'precondition-failed', `${c.name}: error code`);
    const read = await http.inject({ method: 'GET', url: `/fhir/Patient/${id}` });
    t.equal(read.statusCode, c.readAfter, `${c.name}: read afterwards`);
  }
});

t.test('R4 http.html#concurrency + RFC 7232 3.1: If-Match: * on update and patch', async (t) => {
  await put('star-1');
  const cases = [
    { name: 'update existing with If-Match: * -> 200', method: 'PUT' as const, id: 'star-1', status: 200 },
    { name: 'update unknown with If-Match: * -> 412, not created', method: 'PUT' as const, id: 'star-missing', status: 412 },
    { name: 'patch existing with If-Match: * -> 200', method: 'PATCH' as const, id: 'star-1', status: 200 },
  ];
  for (const c of cases) {
    const response = c.method === 'PUT'
      ? await http.inject({ method: 'PUT', url: `/fhir/Patient/${c.id}`, headers: { ...H, 'if-match': '*' }, payload: patient(c.id) })
      : await http.inject({ method: 'PATCH', url: `/fhir/Patient/${c.id}`, headers: { 'content-type': 'application/json-patch+json', 'if-match': '*' }, payload: JSON.stringify([{ op: 'add', path: '/gender', value: 'other' }]) });
    t.equal(response.statusCode, c.status, c.name);
  }
  t.equal((await http.inject({ method: 'GET', url: '/fhir/Patient/star-missing' })).statusCode, 404, 'the failed If-Match created nothing');
});

t.test('RFC 9110 13.1.2: If-None-Match on update', async (t) => {
  await put('none-1');
  await put('none-gone');
  await http.inject({ method: 'DELETE', url: '/fhir/Patient/none-gone' });
  const cases = [
    { name: 'If-None-Match: * on an existing resource -> 412, not updated', id: 'none-1', ifNoneMatch: '*', status: 412, etagAfter: 'W/"1"' },
    { name: 'If-None-Match of the current version -> 412', id: 'none-1', ifNoneMatch: 'W/"1"', status: 412, etagAfter: 'W/"1"' },
    { name: 'If-None-Match of another version -> 200', id: 'none-1', ifNoneMatch: 'W/"7", W/"8"', status: 200, etagAfter: 'W/"2"' },
    { name: 'If-None-Match: * on an unknown resource -> 201, created', id: 'none-new', ifNoneMatch: '*', status: 201, etagAfter: 'W/"1"' },
    { name: 'If-None-Match: * on a deleted resource -> 201 (no current representation)', id: 'none-gone', ifNoneMatch: '*', status: 201, etagAfter: 'W/"3"' },
  ];
  for (const c of cases) {
    const response = await http.inject({ method: 'PUT', url: `/fhir/Patient/${c.id}`, headers: { ...H, 'if-none-match': c.ifNoneMatch }, payload: patient(c.id) });
    t.equal(response.statusCode, c.status, c.name);
    if (c.status === 412) {
      t.equal(response.headers['content-type'], 'application/fhir+json; charset=utf-8', `${c.name}: OperationOutcome`);
      t.equal(firstIssue(response.body).errorCode, 'precondition-failed', `${c.name}: error code`);
    }
    t.equal((await http.inject({ method: 'GET', url: `/fhir/Patient/${c.id}` })).headers.etag, c.etagAfter, `${c.name}: version afterwards`);
  }
  const conditional = await http.inject({ method: 'PUT', url: '/fhir/Patient?_id=none-1', headers: { ...H, 'if-none-match': '*' }, payload: patient('none-1') });
  t.equal(conditional.statusCode, 412, 'conditional update matching an existing resource with If-None-Match: * -> 412');
  const transaction = await http.inject({
    method: 'POST', url: '/fhir', headers: H,
    payload: { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: patient('none-1'), request: { method: 'PUT', url: 'Patient/none-1', ifNoneMatch: '*' } }] },
  });
  t.equal(transaction.statusCode, 412, 'transaction entry request.ifNoneMatch * on an existing resource -> 412');
  t.equal(firstIssue(transaction.body).errorCode, 'precondition-failed', 'transaction entry: error code');
});

t.test('RFC 9110 13.1.2: If-None-Match on patch and delete of an existing resource -> 412, nothing changed', async (t) => {
  await put('none-pd');
  const patchResponse = await http.inject({
    method: 'PATCH', url: '/fhir/Patient/none-pd', headers: { 'content-type': 'application/json-patch+json', 'if-none-match': '*' },
    payload: [{ op: 'add', path: '/active', value: true }],
  });
  t.equal(patchResponse.statusCode, 412, 'PATCH with If-None-Match: *');
  t.equal(firstIssue(patchResponse.body).errorCode, 'precondition-failed');
  const deleteResponse = await http.inject({ method: 'DELETE', url: '/fhir/Patient/none-pd', headers: { 'if-none-match': 'W/"1"' } });
  t.equal(deleteResponse.statusCode, 412, 'DELETE with If-None-Match of the current version');
  t.equal((await http.inject({ method: 'GET', url: '/fhir/Patient/none-pd' })).headers.etag, 'W/"1"', 'neither patched nor deleted');
  for (const request of [
    { method: 'DELETE', url: 'Patient/none-pd', ifNoneMatch: '*' },
    { method: 'PATCH', url: 'Patient/none-pd', ifNoneMatch: 'W/"1"' },
  ]) {
    const entry = request.method === 'PATCH'
      ? { request, resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from(JSON.stringify([{ op: 'add', path: '/active', value: true }])).toString('base64') } }
      : { request };
    const transaction = await http.inject({ method: 'POST', url: '/fhir', headers: H, payload: { resourceType: 'Bundle', type: 'transaction', entry: [entry] } });
    t.equal(transaction.statusCode, 412, `transaction ${request.method} entry with request.ifNoneMatch ${request.ifNoneMatch}`);
  }
  t.equal((await http.inject({ method: 'GET', url: '/fhir/Patient/none-pd' })).headers.etag, 'W/"1"', 'nor by the entries');
  const otherVersion = await http.inject({ method: 'DELETE', url: '/fhir/Patient/none-pd', headers: { 'if-none-match': 'W/"9"' } });
  t.equal(otherVersion.statusCode, 200, 'DELETE with If-None-Match of another version deletes');
});

t.test('every OperationOutcome and Bundle returned here is valid R4', async (t) => {
  t.same(responseProblems(server, http.responses), []);
});
