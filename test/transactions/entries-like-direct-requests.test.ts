// R4 http.html#transaction: each entry of a batch or transaction "is processed as if it was the interaction" of
// its request, so an entry gets the status, headers and outcome the same request sent alone gets
// (http.html#transaction-response: status, location, etag, lastModified, outcome). Over HTTP (buildApp + inject):
// - a patch whose result is invalid is 422 (http.html#patch, RFC 5789 section 2.2), a Binary JSON Patch entry or a
//   FHIRPath Patch Parameters entry too; a transaction failing on it answers that entry's status;
// - an update's resource SHALL have an id matching the URL (http.html#update): a PUT Type/id entry without one is 400,
//   while a conditional update (http.html#cond-update) may leave it out;
// - response.lastModified is an instant (bundle.html: Bundle.entry.response.lastModified), the resource's
//   meta.lastUpdated, also for a 304 answer to ifNoneMatch / ifModifiedSince (http.html#cread);
// - HEAD (R4 http-verb value set) is GET without a body: the entry has the GET entry's response but no resource.
// Runs on SQLite, and on PostgreSQL too when FHIR_TEST_POSTGRES_URL is set (a schema of its own, dropped after).
import t from 'tap';
import { createTestServerOn, type TestServer } from '../http/context.js';
import { testEngines } from '../storage/postgres-schema.js';

let server: TestServer;

const FHIR_JSON = 'application/fhir+json';
const JSON_PATCH = 'application/json-patch+json';

async function request(method: 'GET' | 'POST' | 'PUT' | 'PATCH', path: string, body?: unknown, contentType = FHIR_JSON) {
  const response = await server.app.inject({
    method, url: `/fhir${path}`, headers: { 'content-type': contentType, accept: FHIR_JSON }, payload: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.statusCode, headers: response.headers, body: response.body === '' ? undefined : JSON.parse(response.body) };
}
const bundle = (type: 'batch' | 'transaction', entry: unknown[]) => ({ resourceType: 'Bundle', type, entry });
const errorCode = (outcome: any) => outcome.issue[0].details.coding.find((c: any) => c.system === 'urn:hospital-fhir:error-code')?.code;
const storedVersions = async () => (await server.ctx.store.history({ count: 1_000_000 })).items.length;

const invalidGender = [{ op: 'replace', path: '/gender', value: 'xyz' }];
const binaryPatch = (operations: unknown[]) => ({ resourceType: 'Binary', contentType: JSON_PATCH, data: Buffer.from(JSON.stringify(operations)).toString('base64') });
const fhirPathPatch = {
  resourceType: 'Parameters',
  parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.gender' }, { name: 'value', valueCode: 'xyz' }] }],
};
const patient = (id: string) => ({ resourceType: 'Patient', id, gender: 'female' });
const patientWithoutId = { resourceType: 'Patient', gender: 'male' };
const createAnother = { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', active: true } };

interface Case {
  name: string;
  /** the same request sent alone: [method, path, body, content type] */
  direct: ['PATCH' | 'PUT', string, unknown, string];
  /** the entry standing for it, put after createAnother */
  entry: unknown;
  status: number;
  statusLine: string;
  code: string;
  expression: string;
}

const FAILING: Case[] = [
  {
    name: 'PATCH (Binary JSON Patch) whose result is invalid',
    direct: ['PATCH', '/Patient/parity-1', invalidGender, JSON_PATCH],
    entry: { request: { method: 'PATCH', url: 'Patient/parity-1' }, resource: binaryPatch(invalidGender) },
    status: 422, statusLine: '422 Unprocessable Entity', code: 'unprocessable-resource', expression: 'Bundle.entry[1]',
  },
  {
    name: 'PATCH (FHIRPath Patch) whose result is invalid',
    direct: ['PATCH', '/Patient/parity-1', fhirPathPatch, FHIR_JSON],
    entry: { request: { method: 'PATCH', url: 'Patient/parity-1' }, resource: fhirPathPatch },
    status: 422, statusLine: '422 Unprocessable Entity', code: 'unprocessable-resource', expression: 'Bundle.entry[1]',
  },
  {
    name: 'PUT Type/id whose resource has no id',
    direct: ['PUT', '/Patient/parity-no-id', patientWithoutId, FHIR_JSON],
    entry: { request: { method: 'PUT', url: 'Patient/parity-no-id' }, resource: patientWithoutId },
    status: 400, statusLine: '400 Bad Request', code: 'missing-id', expression: 'Bundle.entry[1].resource.id',
  },
  {
    // R5 http.html#cond-update words the case R4 leaves open: the body's id names a resource the criteria excluded
    name: 'conditional PUT matching nothing whose body id names a live resource',
    direct: ['PUT', '/Patient?identifier=urn:parity|nobody', { ...patient('parity-1'), identifier: [{ system: 'urn:parity', value: 'nobody' }] }, FHIR_JSON],
    entry: { request: { method: 'PUT', url: 'Patient?identifier=urn:parity|nobody' }, resource: { ...patient('parity-1'), identifier: [{ system: 'urn:parity', value: 'nobody' }] } },
    status: 409, statusLine: '409 Conflict', code: 'conflict', expression: 'Bundle.entry[1]',
  },
];

const engines = testEngines('bundle_entries_like_direct');

// milliseconds an HTTP date drops, so a lastModified cut to the second shows
const clockWithMilliseconds = () => {
  const now = new Date();
  now.setUTCMilliseconds(178);
  return now;
};

for (const engine of engines) t.test(engine.name, async (t) => {
  server = await createTestServerOn(t, engine, {}, clockWithMilliseconds);
  t.equal((await request('PUT', '/Patient/parity-1', patient('parity-1'))).status, 201);

  for (const c of FAILING) await t.test(c.name, async (t) => {
    const [method, path, body, contentType] = c.direct;
    const direct = await request(method, path, body, contentType);
    t.equal(direct.status, c.status, 'sent alone');
    t.equal(errorCode(direct.body), c.code, 'sent alone: error code');

    const versionsBefore = await storedVersions();
    const batch = await request('POST', '', bundle('batch', [createAnother, c.entry]));
    t.equal(batch.status, 200);
    t.same(batch.body.entry.map((e: any) => e.response.status), ['201 Created', c.statusLine], 'batch: the entry fails alone');
    const outcome = batch.body.entry[1].response.outcome;
    t.equal(outcome.resourceType, 'OperationOutcome');
    t.equal(outcome.issue[0].code, direct.body.issue[0].code, 'batch: the issue code of the request sent alone');
    t.equal(errorCode(outcome), c.code, 'batch: error code');
    t.ok(outcome.issue[0].expression.includes(c.expression), `batch: names ${c.expression} (got ${outcome.issue[0].expression})`);
    t.equal(await storedVersions(), versionsBefore + 1, 'batch: only the other entry stored');

    const transaction = await request('POST', '', bundle('transaction', [createAnother, c.entry]));
    t.equal(transaction.status, c.status, 'transaction: the failing entry\'s status');
    t.match(transaction.headers['content-type'], /^application\/fhir\+json/);
    t.equal(transaction.body.resourceType, 'OperationOutcome');
    t.equal(transaction.body.issue[0].code, direct.body.issue[0].code, 'transaction: the issue code of the request sent alone');
    t.equal(errorCode(transaction.body), c.code, 'transaction: error code');
    t.match(transaction.body.issue[0].diagnostics, /^Bundle\.entry\[1\]/);
    t.ok(transaction.body.issue[0].expression.includes(c.expression), `transaction: names ${c.expression}`);
    t.equal(await storedVersions(), versionsBefore + 1, 'transaction: nothing stored');
  });

  await t.test('a conditional PUT entry may leave the id out (http.html#cond-update)', async (t) => {
    const identified = { ...patientWithoutId, identifier: [{ system: 'urn:parity', value: 'cond-1' }] };
    const entry = { request: { method: 'PUT', url: 'Patient?identifier=urn:parity|cond-1' }, resource: identified };
    const created = await request('POST', '', bundle('transaction', [entry]));
    t.equal(created.status, 200);
    t.equal(created.body.entry[0].response.status, '201 Created');
    const updated = await request('POST', '', bundle('batch', [entry]));
    t.equal(updated.body.entry[0].response.status, '200 OK');
    t.equal(updated.body.entry[0].resource.id, created.body.entry[0].resource.id, 'the match is updated');
  });

  const current = (await request('GET', '/Patient/parity-1')).body;
  const entries = [
    { request: { method: 'GET', url: 'Patient/parity-1' } },
    { request: { method: 'GET', url: 'Patient/parity-1', ifNoneMatch: `W/"${current.meta.versionId}"` } },
    { request: { method: 'GET', url: 'Patient/parity-1', ifModifiedSince: new Date(current.meta.lastUpdated).toUTCString() } },
    { request: { method: 'HEAD', url: 'Patient/parity-1' } },
  ];
  for (const type of ['batch', 'transaction'] as const) await t.test(`${type}: 304 and HEAD entries`, async (t) => {
    t.equal(current.meta.lastUpdated.slice(-4), '178Z', 'the version has milliseconds');
    const result = await request('POST', '', bundle(type, entries));
    t.equal(result.status, 200);
    const [get, notModifiedByETag, notModifiedByDate, head] = result.body.entry;
    t.same(result.body.entry.map((e: any) => e.response.status), ['200 OK', '304 Not Modified', '304 Not Modified', '200 OK']);
    t.same(get.response, { status: '200 OK', etag: `W/"${current.meta.versionId}"`, lastModified: current.meta.lastUpdated }, 'GET: the version\'s instant');
    for (const [name, entry] of [['ifNoneMatch', notModifiedByETag], ['ifModifiedSince', notModifiedByDate]]) {
      t.same(entry.response, { status: '304 Not Modified', etag: get.response.etag, lastModified: current.meta.lastUpdated }, `304 (${name}): the version's instant`);
      t.notOk(entry.resource, `304 (${name}): no resource`);
    }
    t.same(head.response, get.response, 'HEAD: the GET entry\'s response');
    t.notOk('resource' in head, 'HEAD: no resource');
    t.notOk('fullUrl' in head, 'HEAD: no fullUrl without a resource');
  });
});
