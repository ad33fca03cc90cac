// R4 http.html#transaction: a transaction reads the current versions of its PUT, PATCH and DELETE targets together
// (transaction.ts readCurrentVersions), and each entry must still answer as the interaction sent alone would
// (http.html#update: 200 over an existing resource, 201 when it creates one, also over a deleted one, whose versions
// continue after the delete; http.html#patch: 404 / 410; http.html#concurrency: ifMatch / ifNoneMatch preconditions,
// 412), and a failing entry fails the whole transaction, which then leaves no trace (http.html#trules).
// Runs on SQLite, and on PostgreSQL too when FHIR_TEST_POSTGRES_URL is set.
import t from 'tap';
import { createTestServerOn, FHIR_JSON, type TestServer } from '../http/context.js';
import { testEngines } from '../storage/postgres-schema.js';

let server: TestServer;

async function request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) {
  const response = await server.app.inject({
    method, url: `/fhir${path}`, headers: { 'content-type': FHIR_JSON, accept: FHIR_JSON }, payload: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.statusCode, body: response.body === '' ? undefined : JSON.parse(response.body) };
}
const transaction = (entry: unknown[]) => request('POST', '', { resourceType: 'Bundle', type: 'transaction', entry });
const errorCode = (outcome: any) => outcome.issue[0].details.coding.find((c: any) => c.system === 'urn:hospital-fhir:error-code')?.code;

const patient = (id: string, family = id) => ({ resourceType: 'Patient', id, name: [{ family }] });
const put = (id: string, request: Record<string, string> = {}) => ({ request: { method: 'PUT', url: `Patient/${id}`, ...request }, resource: patient(id, `${id} updated`) });
const jsonPatch = (id: string) => ({
  request: { method: 'PATCH', url: `Patient/${id}` },
  resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from(JSON.stringify([{ op: 'add', path: '/gender', value: 'female' }])).toString('base64') },
});
const remove = (id: string, request: Record<string, string> = {}) => ({ request: { method: 'DELETE', url: `Patient/${id}`, ...request } });

/** every version of every resource, and the current version of each fixture: what a failed transaction must not change */
async function storeState() {
  const versions = (await server.ctx.store.history({ count: 1_000_000 })).items.length;
  const current = await Promise.all(['existing', 'gone', 'patched', 'doomed', 'fresh'].map((id) => server.ctx.store.read('Patient', id)));
  return { versions, current: current.map((version) => version && [version.id, version.versionId, version.deleted]) };
}

interface FailingCase { name: string; entries: unknown[]; status: number; code: string }

// each with entries that would succeed alongside, which must not be stored either
const FAILING: FailingCase[] = [
  { name: 'ifMatch of another version on a PUT over an existing resource', entries: [put('fresh'), put('existing', { ifMatch: 'W/"7"' }), remove('doomed')], status: 412, code: 'precondition-failed' },
  { name: 'ifMatch on a PUT of a new id', entries: [put('existing'), put('fresh', { ifMatch: 'W/"1"' })], status: 412, code: 'precondition-failed' },
  { name: 'ifNoneMatch * on a PUT over an existing resource', entries: [put('fresh'), put('existing', { ifNoneMatch: '*' })], status: 412, code: 'precondition-failed' },
  { name: 'ifMatch of another version on a DELETE', entries: [put('fresh'), remove('doomed', { ifMatch: 'W/"5"' })], status: 412, code: 'precondition-failed' },
  { name: 'PATCH of a deleted resource', entries: [put('fresh'), jsonPatch('gone')], status: 410, code: 'gone' },
  { name: 'PATCH of an unknown resource', entries: [put('fresh'), jsonPatch('nobody')], status: 404, code: 'not-found' },
  // the second DELETE sees the first one's delete, and the Bundle fails for changing one resource twice
  { name: 'two DELETEs of one resource', entries: [remove('doomed'), remove('doomed')], status: 400, code: 'invalid-bundle' },
];

for (const engine of testEngines('tx_current_versions')) t.test(engine.name, async (t) => {
  server = await createTestServerOn(t, engine);
  for (const id of ['existing', 'gone', 'patched', 'doomed']) await server.put(patient(id));
  t.equal((await request('DELETE', '/Patient/gone')).status, 200, 'Patient/gone deleted before the transactions');
  const before = await storeState();

  for (const c of FAILING) await t.test(c.name, async (t) => {
    const result = await transaction(c.entries);
    t.equal(result.status, c.status, 'the failing entry\'s status');
    t.equal(errorCode(result.body), c.code, 'error code');
    t.same(await storeState(), before, 'nothing stored');
  });

  await t.test('PUT over existing, deleted and new ids, PATCH and DELETE in one transaction', async (t) => {
    const result = await transaction([
      put('existing', { ifMatch: 'W/"1"' }), put('gone'), put('fresh'), jsonPatch('patched'), remove('doomed'), remove('never'),
    ]);
    t.equal(result.status, 200, 'committed');
    const responses = result.body.entry.map((entry: any) => [entry.response.status, entry.response.etag]);
    t.same(responses, [
      ['200 OK', 'W/"2"'],
      ['201 Created', 'W/"3"'],
      ['201 Created', 'W/"1"'],
      ['200 OK', 'W/"2"'],
      ['204 No Content', 'W/"2"'],
      ['204 No Content', undefined],
    ], 'statuses and etags');
    t.match(result.body.entry[1].response.location, /Patient\/gone\/_history\/3$/, 'the version after the delete marker');
    for (const [id, version, family] of [['existing', '2', 'existing updated'], ['gone', '3', 'gone updated'], ['fresh', '1', 'fresh updated'], ['patched', '2', 'patched']]) {
      const read = await request('GET', `/Patient/${id}`);
      t.same([read.status, read.body.meta.versionId, read.body.name[0].family], [200, version, family], `Patient/${id}`);
    }
    t.equal((await request('GET', '/Patient/patched')).body.gender, 'female', 'the patch applied');
    t.equal((await request('GET', '/Patient/doomed')).status, 410, 'the deleted resource is gone');
    const history = await request('GET', '/Patient/gone/_history');
    t.same(history.body.entry.map((entry: any) => entry.request.method), ['PUT', 'DELETE', 'PUT'], 'created again after its delete');
  });
});
