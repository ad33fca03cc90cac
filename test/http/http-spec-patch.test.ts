/**
 * R4 http.html#patch: the server applies the patch "following the relevant PATCH specification" and then
 * processes the result like an update (version handling, Prefer). RFC 5789 section 2.2 (the PATCH
 * specification): a malformed patch document is a 400, an unsupported patch media type a 415, and a patch the
 * server understands but cannot apply - including one that "would cause the resource to become invalid" -
 * is a 422 Unprocessable Entity. Versioned patch: 412 on a stale If-Match (http.html#concurrency).
 */
import t from 'tap';
import { createTestServer, FHIR_JSON, firstIssue, json } from './context.js';
import { recorder, responseProblems } from './http-spec-support.js';

const server = await createTestServer();
t.teardown(() => server.close());
const http = recorder(server);
const JSON_PATCH = 'application/json-patch+json';

const fhirPathPatch = (type: string, path: string, name: string, value: Record<string, unknown>) => ({
  resourceType: 'Parameters',
  parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: type }, { name: 'path', valueString: path }, { name: 'name', valueString: name }, { name: 'value', ...value }] }],
});

await http.inject({ method: 'PUT', url: '/fhir/Patient/patch-1', headers: { 'content-type': FHIR_JSON }, payload: { resourceType: 'Patient', id: 'patch-1', identifier: [{ system: 'urn:p', value: 'same' }] } });
await http.inject({ method: 'PUT', url: '/fhir/Patient/patch-2', headers: { 'content-type': FHIR_JSON }, payload: { resourceType: 'Patient', id: 'patch-2', identifier: [{ system: 'urn:p', value: 'same' }] } });
await http.inject({ method: 'PUT', url: '/fhir/Patient/patch-gone', headers: { 'content-type': FHIR_JSON }, payload: { resourceType: 'Patient', id: 'patch-gone' } });
await http.inject({ method: 'DELETE', url: '/fhir/Patient/patch-gone' });

t.test('R4 http.html#patch status codes', async (t) => {
  const cases: Array<{ name: string; url?: string; contentType: string; payload: unknown; headers?: Record<string, string>; status: number; errorCode?: string }> = [
    { name: 'JSON Patch giving an invalid resource -> 422', contentType: JSON_PATCH, payload: [{ op: 'add', path: '/gender', value: 'sometimes' }], status: 422, errorCode: 'unprocessable-resource' },
    { name: 'FHIRPath Patch giving an invalid resource -> 422', contentType: FHIR_JSON, payload: fhirPathPatch('add', 'Patient', 'birthDate', { valueString: 'not a date' }), status: 422, errorCode: 'unprocessable-resource' },
    { name: 'JSON Patch with an unknown element -> 422', contentType: JSON_PATCH, payload: [{ op: 'add', path: '/favouriteColour', value: 'blue' }], status: 422, errorCode: 'unprocessable-resource' },
    { name: 'failed test operation -> 422', contentType: JSON_PATCH, payload: [{ op: 'test', path: '/gender', value: 'male' }], status: 422, errorCode: 'unprocessable-resource' },
    { name: 'JSON Patch through __proto__ -> 422', contentType: JSON_PATCH, payload: [{ op: 'add', path: '/__proto__/x', value: 1 }], status: 422, errorCode: 'unprocessable-resource' },
    { name: 'JSON Patch into an array\'s __proto__ -> 422', contentType: JSON_PATCH, payload: [{ op: 'add', path: '/identifier/__proto__', value: 1 }], status: 422, errorCode: 'unprocessable-resource' },
    { name: 'JSON Patch copying from __proto__ -> 422', contentType: JSON_PATCH, payload: [{ op: 'copy', from: '/__proto__', path: '/x' }], status: 422, errorCode: 'unprocessable-resource' },
    { name: 'JSON Patch through constructor/prototype -> 422', contentType: JSON_PATCH, payload: [{ op: 'add', path: '/constructor/prototype/x', value: 1 }], status: 422, errorCode: 'unprocessable-resource' },
    { name: 'patch changing the id -> 422', contentType: JSON_PATCH, payload: [{ op: 'replace', path: '/id', value: 'other' }], status: 422, errorCode: 'unprocessable-resource' },
    { name: 'malformed JSON Patch -> 400', contentType: JSON_PATCH, payload: [{ op: 'frobnicate', path: '/gender' }], status: 400 },
    { name: 'unsupported patch media type -> 415', contentType: 'application/xml-patch+xml', payload: '<diff/>', status: 415 },
    { name: 'stale If-Match -> 412', contentType: JSON_PATCH, payload: [{ op: 'add', path: '/gender', value: 'male' }], headers: { 'if-match': 'W/"9"' }, status: 412, errorCode: 'precondition-failed' },
    { name: 'unknown resource -> 404', url: '/fhir/Patient/patch-none', contentType: JSON_PATCH, payload: [{ op: 'add', path: '/gender', value: 'male' }], status: 404 },
    { name: 'deleted resource -> 410', url: '/fhir/Patient/patch-gone', contentType: JSON_PATCH, payload: [{ op: 'add', path: '/gender', value: 'male' }], status: 410 },
    { name: 'conditional patch with several matches -> 412', url: '/fhir/Patient?identifier=urn:p|same', contentType: JSON_PATCH, payload: [{ op: 'add', path: '/gender', value: 'male' }], status: 412, errorCode: 'multiple-matches' },
  ];
  for (const c of cases) {
    const response = await http.inject({
      method: 'PATCH', url: c.url ?? '/fhir/Patient/patch-1', headers: { 'content-type': c.contentType, ...c.headers },
      payload: typeof c.payload === 'string' ? c.payload : JSON.stringify(c.payload),
    });
    t.equal(response.statusCode, c.status, c.name);
    if (c.errorCode) t.equal(firstIssue(response.body).errorCode, c.errorCode, `${c.name}: error code`);
  }
  const unchanged = await http.inject({ method: 'GET', url: '/fhir/Patient/patch-1' });
  t.equal(unchanged.headers.etag, 'W/"1"', 'no failed patch stored a version');
});

t.test('R4 http.html#transaction: a Binary JSON Patch entry that cannot be applied fails like a direct PATCH (422)', async (t) => {
  const binaryPatch = (operations: unknown[]) => ({ resourceType: 'Binary', contentType: JSON_PATCH, data: Buffer.from(JSON.stringify(operations)).toString('base64') });
  const bundle = (type: string, path: string) => ({
    resourceType: 'Bundle', type,
    entry: [{ resource: binaryPatch([{ op: 'add', path, value: 1 }]), request: { method: 'PATCH', url: 'Patient/patch-1' } }],
  });
  for (const path of ['/__proto__/x', '/constructor/prototype/x']) {
    const transaction = await http.inject({ method: 'POST', url: '/fhir', headers: { 'content-type': FHIR_JSON }, payload: bundle('transaction', path) });
    t.equal(transaction.statusCode, 422, `transaction, ${path}`);
    t.equal(firstIssue(transaction.body).errorCode, 'unprocessable-resource', `transaction, ${path}: error code`);
    const batch = await http.inject({ method: 'POST', url: '/fhir', headers: { 'content-type': FHIR_JSON }, payload: bundle('batch', path) });
    t.equal(batch.statusCode, 200, `batch, ${path}`);
    const entry = json(batch.body).entry[0];
    t.equal(entry.response.status, '422 Unprocessable Entity', `batch, ${path}: entry status`);
    t.equal(entry.response.outcome?.issue?.[0]?.details?.coding?.[0]?.code, 'unprocessable-resource', `batch, ${path}: entry error code`);
  }
  t.equal((await http.inject({ method: 'GET', url: '/fhir/Patient/patch-1' })).headers.etag, 'W/"1"', 'nothing was written');
});

t.test('R4 http.html#patch: success is processed like an update (200, ETag, Last-Modified, Prefer)', async (t) => {
  const response = await http.inject({
    method: 'PATCH', url: '/fhir/Patient/patch-1', headers: { 'content-type': JSON_PATCH, 'if-match': 'W/"1"' },
    payload: JSON.stringify([{ op: 'add', path: '/gender', value: 'female' }]),
  });
  t.equal(response.statusCode, 200);
  t.equal(response.headers.etag, 'W/"2"');
  t.ok(response.headers['last-modified']);
  t.equal(json(response.body).gender, 'female');
  const minimal = await http.inject({
    method: 'PATCH', url: '/fhir/Patient/patch-1', headers: { 'content-type': JSON_PATCH, prefer: 'return=minimal' },
    payload: JSON.stringify([{ op: 'add', path: '/gender', value: 'male' }]),
  });
  t.equal(minimal.statusCode, 200);
  t.equal(minimal.body, '', 'Prefer: return=minimal sends no body');
});

t.test('every OperationOutcome and Bundle returned here is valid R4', async (t) => {
  t.same(responseProblems(server, http.responses), []);
});
