/**
 * The status codes and headers of each R4 REST interaction, one table row per rule of R4 http.html
 * (#read, #vread, #cread, #update, #cond-update, #delete, #cdelete, #create, #ccreate, #history, #search, #prefer)
 * and search.html#Paging. Every body returned is also checked as valid R4 (http-spec-support.ts).
 */
import t from 'tap';
import { createTestServer, FHIR_JSON, firstIssue, json } from './context.js';
import { recorder, responseProblems } from './http-spec-support.js';

const server = await createTestServer({ defaultCount: 1 });
t.teardown(() => server.close());
const http = recorder(server);
const H = { 'content-type': FHIR_JSON };
const BASE = 'http://localhost:80/fhir';
const patient = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Patient', name: [{ family: 'Rest' }], ...extra });

await http.inject({ method: 'PUT', url: '/fhir/Patient/rest-1', headers: H, payload: patient({ id: 'rest-1', identifier: [{ system: 'urn:r', value: 'one' }] }) });
await http.inject({ method: 'PUT', url: '/fhir/Patient/rest-1', headers: H, payload: patient({ id: 'rest-1', identifier: [{ system: 'urn:r', value: 'one' }], gender: 'male' }) });
await http.inject({ method: 'PUT', url: '/fhir/Patient/rest-gone', headers: H, payload: patient({ id: 'rest-gone' }) });
await http.inject({ method: 'DELETE', url: '/fhir/Patient/rest-gone' });
await http.inject({ method: 'PUT', url: '/fhir/Patient/rest-gone-2', headers: H, payload: patient({ id: 'rest-gone-2' }) });
await http.inject({ method: 'DELETE', url: '/fhir/Patient/rest-gone-2' });
for (const id of ['rest-t1', 'rest-t2']) await http.inject({ method: 'PUT', url: `/fhir/Patient/${id}`, headers: H, payload: patient({ id, identifier: [{ system: 'urn:r', value: 'twin' }] }) });

interface Row {
  rule: string;
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  payload?: unknown;
  status: number;
  /** expected header values; a RegExp matches, true means present, false absent */
  expect?: Record<string, string | RegExp | boolean>;
  errorCode?: string;
  noBody?: boolean;
}

const rows: Row[] = [
  { rule: '#read: 200 with ETag and Last-Modified', method: 'GET', url: '/fhir/Patient/rest-1', status: 200, expect: { etag: 'W/"2"', 'last-modified': /GMT$/ } },
  { rule: '#read: HEAD answers the headers of GET, no body', method: 'HEAD', url: '/fhir/Patient/rest-1', status: 200, expect: { etag: 'W/"2"' }, noBody: true },
  { rule: '#read: unknown resource 404', method: 'GET', url: '/fhir/Patient/rest-none', status: 404, errorCode: 'not-found' },
  { rule: '#read: deleted resource 410', method: 'GET', url: '/fhir/Patient/rest-gone', status: 410, errorCode: 'gone' },
  { rule: '#cread: If-None-Match of the current version 304, no body', method: 'GET', url: '/fhir/Patient/rest-1', headers: { 'if-none-match': 'W/"2"' }, status: 304, noBody: true, expect: { etag: 'W/"2"' } },
  { rule: '#cread: If-None-Match of an old version 200', method: 'GET', url: '/fhir/Patient/rest-1', headers: { 'if-none-match': 'W/"1"' }, status: 200 },
  { rule: '#vread: 200 with the version ETag', method: 'GET', url: '/fhir/Patient/rest-1/_history/1', status: 200, expect: { etag: 'W/"1"', 'last-modified': true } },
  { rule: '#vread: unknown version 404', method: 'GET', url: '/fhir/Patient/rest-1/_history/9', status: 404 },
  { rule: '#vread: a deleted version 410', method: 'GET', url: '/fhir/Patient/rest-gone/_history/2', status: 410 },
  { rule: '#create: 201, Location [base]/[type]/[id]/_history/[vid], ETag, Last-Modified', method: 'POST', url: '/fhir/Patient', headers: H, payload: patient(), status: 201, expect: { location: new RegExp(`^${BASE}/Patient/[^/]+/_history/1$`), etag: 'W/"1"', 'last-modified': true } },
  { rule: '#create: resource failing basic validation 400', method: 'POST', url: '/fhir/Patient', headers: H, payload: patient({ birthDate: 'yesterday' }), status: 400, errorCode: 'invalid-resource' },
  { rule: '#create: body type differs from the URL 400', method: 'POST', url: '/fhir/Patient', headers: H, payload: { resourceType: 'Observation' }, status: 400 },
  { rule: '#create: unsupported resource type 404', method: 'POST', url: '/fhir/Patients', headers: H, payload: { resourceType: 'Patients' }, status: 404 },
  { rule: '#ccreate: one match, 200 and nothing created', method: 'POST', url: '/fhir/Patient', headers: { ...H, 'if-none-exist': 'identifier=urn:r|one' }, payload: patient(), status: 200, expect: { etag: 'W/"2"' } },
  { rule: '#ccreate: several matches 412', method: 'POST', url: '/fhir/Patient', headers: { ...H, 'if-none-exist': 'identifier=urn:r|twin' }, payload: patient(), status: 412, errorCode: 'multiple-matches' },
  { rule: '#ccreate: If-None-Exist written as Patient?... names the created type, 200', method: 'POST', url: '/fhir/Patient', headers: { ...H, 'if-none-exist': 'Patient?identifier=urn:r|one' }, payload: patient(), status: 200, expect: { etag: 'W/"2"' } },
  { rule: '#ccreate: If-None-Exist searching another type is a 400, not its parameters on Patient', method: 'POST', url: '/fhir/Patient', headers: { ...H, 'if-none-exist': 'Observation?identifier=urn:r|one' }, payload: patient(), status: 400, errorCode: 'invalid-parameter' },
  { rule: '#ccreate: If-None-Exist naming another server is a 400', method: 'POST', url: '/fhir/Patient', headers: { ...H, 'if-none-exist': 'http://elsewhere.example/fhir/Patient?identifier=urn:r|one' }, payload: patient(), status: 400, errorCode: 'invalid-parameter' },
  { rule: '#ccreate: no match creates 201', method: 'POST', url: '/fhir/Patient', headers: { ...H, 'if-none-exist': 'identifier=urn:r|new' }, payload: patient({ identifier: [{ system: 'urn:r', value: 'new' }] }), status: 201 },
  { rule: '#update: existing 200 with ETag and Last-Modified', method: 'PUT', url: '/fhir/Patient/rest-1', headers: H, payload: patient({ id: 'rest-1', identifier: [{ system: 'urn:r', value: 'one' }] }), status: 200, expect: { etag: 'W/"3"', 'last-modified': true } },
  { rule: '#update: new id 201 with Location', method: 'PUT', url: '/fhir/Patient/rest-new', headers: H, payload: patient({ id: 'rest-new' }), status: 201, expect: { location: `${BASE}/Patient/rest-new/_history/1` } },
  { rule: '#update: a deleted resource is brought back, 201', method: 'PUT', url: '/fhir/Patient/rest-gone', headers: H, payload: patient({ id: 'rest-gone' }), status: 201, expect: { etag: 'W/"3"' } },
  { rule: '#update: no id in the body 400', method: 'PUT', url: '/fhir/Patient/rest-1', headers: H, payload: patient(), status: 400, errorCode: 'missing-id' },
  { rule: '#update: body id differs from the URL 400', method: 'PUT', url: '/fhir/Patient/rest-1', headers: H, payload: patient({ id: 'rest-2' }), status: 400, errorCode: 'id-mismatch' },
  { rule: '#concurrency: stale If-Match 412', method: 'PUT', url: '/fhir/Patient/rest-1', headers: { ...H, 'if-match': 'W/"1"' }, payload: patient({ id: 'rest-1' }), status: 412, errorCode: 'precondition-failed' },
  { rule: '#cond-update: one match updates it, 200', method: 'PUT', url: '/fhir/Patient?identifier=urn:r|one', headers: H, payload: patient({ identifier: [{ system: 'urn:r', value: 'one' }] }), status: 200, expect: { location: `${BASE}/Patient/rest-1/_history/4` } },
  { rule: '#cond-update: no match creates, 201', method: 'PUT', url: '/fhir/Patient?identifier=urn:r|fresh', headers: H, payload: patient({ identifier: [{ system: 'urn:r', value: 'fresh' }] }), status: 201 },
  { rule: '#cond-update: no match, body id not in use: update as create, 201', method: 'PUT', url: '/fhir/Patient?identifier=urn:r|own-id', headers: H, payload: patient({ id: 'rest-own', identifier: [{ system: 'urn:r', value: 'own-id' }] }), status: 201, expect: { location: `${BASE}/Patient/rest-own/_history/1` } },
  { rule: '#cond-update: no match, body id of a deleted resource: update as create, 201', method: 'PUT', url: '/fhir/Patient?identifier=urn:r|back', headers: H, payload: patient({ id: 'rest-gone-2', identifier: [{ system: 'urn:r', value: 'back' }] }), status: 201 },
  // R5 http.html#cond-update words the case R4 leaves open: the body names a resource the criteria did not match
  { rule: '#cond-update: no match, body id of a live resource the criteria exclude: 409, not overwritten', method: 'PUT', url: '/fhir/Patient?identifier=urn:r|not-rest-1', headers: H, payload: patient({ id: 'rest-1', identifier: [{ system: 'urn:r', value: 'not-rest-1' }] }), status: 409, errorCode: 'conflict' },
  { rule: '#cond-update: several matches 412', method: 'PUT', url: '/fhir/Patient?identifier=urn:r|twin', headers: H, payload: patient(), status: 412, errorCode: 'multiple-matches' },
  { rule: '#prefer: return=minimal, no body', method: 'PUT', url: '/fhir/Patient/rest-new', headers: { ...H, prefer: 'return=minimal' }, payload: patient({ id: 'rest-new' }), status: 200, noBody: true, expect: { etag: 'W/"2"' } },
  { rule: '#cdelete: several matches 412 (conditionalDelete single)', method: 'DELETE', url: '/fhir/Patient?identifier=urn:r|twin', status: 412, errorCode: 'multiple-matches' },
  { rule: '#cdelete: no match is an ordinary delete of nothing, 204', method: 'DELETE', url: '/fhir/Patient?identifier=urn:r|nobody', status: 204, noBody: true },
  { rule: '#delete: 200 with an OperationOutcome and the delete version ETag', method: 'DELETE', url: '/fhir/Patient/rest-new', status: 200, expect: { etag: 'W/"3"' } },
  { rule: '#delete: already deleted, 204', method: 'DELETE', url: '/fhir/Patient/rest-new', status: 204, noBody: true },
  { rule: '#delete: never existed, 204', method: 'DELETE', url: '/fhir/Patient/rest-never', status: 204, noBody: true },
  { rule: '#summary: 405 with Allow for a method the URL does not serve', method: 'POST', url: '/fhir/Patient/rest-1/_history', headers: H, payload: patient(), status: 405, expect: { allow: /GET/ } },
];

t.test('R4 http.html: status codes and headers per interaction', async (t) => {
  for (const row of rows) {
    const response = await http.inject({ method: row.method, url: row.url, headers: row.headers, payload: row.payload as never });
    t.equal(response.statusCode, row.status, row.rule);
    for (const [name, wanted] of Object.entries(row.expect ?? {})) {
      const value = response.headers[name] as string | undefined;
      if (wanted === true) t.ok(value, `${row.rule}: ${name} present`);
      else if (wanted === false) t.notOk(value, `${row.rule}: ${name} absent`);
      else if (wanted instanceof RegExp) t.match(value, wanted, `${row.rule}: ${name}`);
      else t.equal(value, wanted, `${row.rule}: ${name}`);
    }
    if (row.noBody) t.equal(response.body, '', `${row.rule}: no body`);
    else t.equal(response.headers['content-type'], 'application/fhir+json; charset=utf-8', `${row.rule}: Content-Type`);
    if (row.errorCode) t.equal(firstIssue(response.body).errorCode, row.errorCode, `${row.rule}: error code`);
  }
});

t.test('R4 http.html#history: Bundle type history, request/response per entry, deletes without resource, paging', async (t) => {
  const page = json((await http.inject({ method: 'GET', url: '/fhir/Patient/rest-gone/_history?_count=10' })).body);
  t.equal(page.type, 'history');
  t.same(page.entry.map((e: any) => [e.request.method, e.response.status.slice(0, 3), e.resource === undefined]),
    [['PUT', '201', false], ['DELETE', '204', true], ['PUT', '201', false]], 'newest first; the delete carries no resource');
  const alone = json((await http.inject({ method: 'GET', url: '/fhir/Patient/rest-gone/_history?_count=1' })).body);
  t.equal(alone.entry[0].response.status, '201 Created', 'a write over a delete says 201 even when the delete is on the next page');
  for (const entry of page.entry) t.equal(entry.fullUrl, `${BASE}/Patient/rest-gone`, 'fullUrl is the absolute, unversioned resource URL');
  const first = json((await http.inject({ method: 'GET', url: '/fhir/Patient/_history?_count=2&_total=accurate' })).body);
  t.ok(first.total >= 2, 'total with _total=accurate');
  const next = first.link.find((l: any) => l.relation === 'next');
  t.match(next.url, new RegExp(`^${BASE}/Patient/_history\\?`), 'next link is absolute');
  const second = await http.inject({ method: 'GET', url: next.url.slice('http://localhost:80'.length) });
  t.equal(second.statusCode, 200);
  t.ok(json(second.body).link.some((l: any) => l.relation === 'previous'), 'the second page links back');
});

t.test('R4 search.html#Paging and #bundle: absolute links and fullUrls, search.mode, total', async (t) => {
  const bundle = json((await http.inject({ method: 'GET', url: '/fhir/Patient?identifier=urn:r|twin&_total=accurate' })).body);
  t.equal(bundle.type, 'searchset');
  t.equal(bundle.total, 2);
  t.equal(bundle.entry.length, 1, '_count defaults to the server page size');
  t.equal(bundle.entry[0].search.mode, 'match');
  t.match(bundle.entry[0].fullUrl, new RegExp(`^${BASE}/Patient/rest-t[12]$`));
  for (const link of bundle.link) t.match(link.url, new RegExp(`^${BASE}/Patient\\?`), `${link.relation} link is absolute`);
});

t.test('every OperationOutcome and Bundle returned here is valid R4', async (t) => {
  t.same(responseProblems(server, http.responses), []);
});
