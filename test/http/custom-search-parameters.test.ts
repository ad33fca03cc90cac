/**
 * Custom SearchParameter resources (issue 3 item 7; R4 searchparameter.html, search.html#custom): written
 * through the ordinary interactions they take effect at once, a transaction that fails leaves none behind,
 * and a parameter whose index cannot be complete yet is refused with 409 index-building.
 */
import t from 'tap';
import { createTestServer, FHIR_JSON, firstIssue, json, type TestServer } from './context.js';

const server = await createTestServer({}, undefined, { freshRegistry: true });
t.teardown(() => server.close());
const { app } = server;

const send = (method: 'POST' | 'PUT' | 'DELETE' | 'GET', url: string, payload?: unknown) =>
  app.inject({ method, url, headers: payload ? { 'content-type': FHIR_JSON } : {}, payload: payload as never });
const ids = async (target: TestServer, url: string) => {
  const response = await target.app.inject({ method: 'GET', url });
  if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
  return (json(response.body).entry ?? []).filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id).sort();
};

const nickname = {
  resourceType: 'SearchParameter', id: 'patient-nickname', url: 'http://hospital.example/sp/patient-nickname', name: 'nickname',
  status: 'active', description: 'a nickname', code: 'nickname', base: ['Patient'], type: 'string',
  expression: "Patient.name.where(use='nickname').given",
};
const deviceColour = {
  resourceType: 'SearchParameter', id: 'device-colour', url: 'http://hospital.example/sp/device-colour', name: 'colour',
  status: 'active', description: 'colour', code: 'colour', base: ['Device'], type: 'token',
  expression: "Device.extension('http://hospital.example/colour').value",
};

await send('PUT', '/fhir/Patient/jim', { resourceType: 'Patient', id: 'jim', name: [{ use: 'nickname', given: ['Jimmy'] }] });

t.test('a parameter over stored resources is refused with 409 index-building until reindexed', async (t) => {
  t.equal((await send('PUT', '/fhir/SearchParameter/patient-nickname', nickname)).statusCode, 201);
  const refused = await send('GET', '/fhir/Patient?nickname=Jim');
  t.equal(refused.statusCode, 409);
  t.match(firstIssue(refused.body), { code: 'transient', errorCode: 'index-building', diagnostics: /"nickname" of Patient .*\$reindex/ });
  t.equal((await send('GET', '/fhir/Patient?_sort=nickname')).statusCode, 409, '_sort is refused too');
  t.equal((await send('GET', '/fhir/Practitioner?_has:Patient:general-practitioner:nickname=Jim')).statusCode, 409, 'and inside _has');
  const metadata = json((await send('GET', '/fhir/metadata')).body);
  const patient = metadata.rest[0].resource.find((r: any) => r.type === 'Patient');
  t.ok(patient.searchParam.some((p: any) => p.name === 'nickname'), 'the CapabilityStatement lists it');
});

t.test('a parameter of a type without resources is searchable at once', async (t) => {
  t.equal((await send('PUT', '/fhir/SearchParameter/device-colour', deviceColour)).statusCode, 201);
  await send('PUT', '/fhir/Device/d1', { resourceType: 'Device', id: 'd1', extension: [{ url: 'http://hospital.example/colour', valueCode: 'red' }] });
  await send('PUT', '/fhir/Device/d2', { resourceType: 'Device', id: 'd2', extension: [{ url: 'http://hospital.example/colour', valueCode: 'blue' }] });
  t.same(await ids(server, '/fhir/Device?colour=red'), ['d1']);
});

t.test('a SearchParameter the server cannot compile is a 400 and nothing is stored', async (t) => {
  const bad = await send('PUT', '/fhir/SearchParameter/bad', { ...nickname, id: 'bad', url: 'http://hospital.example/sp/bad', code: 'bad', expression: 'Patient.name.(' });
  t.equal(bad.statusCode, 400);
  t.match(firstIssue(bad.body), { errorCode: 'invalid-resource', diagnostics: /does not compile/ });
  t.equal((await send('GET', '/fhir/SearchParameter/bad')).statusCode, 404);
  const unknownBase = await send('POST', '/fhir/SearchParameter', { ...nickname, id: undefined, url: 'http://hospital.example/sp/x', base: ['Patiënt'] });
  t.equal(unknownBase.statusCode, 400);
});

t.test('inside a transaction: applied after the commit, never after a rollback', async (t) => {
  const entry = (resource: Record<string, unknown>) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } });
  const mrn = { ...deviceColour, id: 'device-lot', url: 'http://hospital.example/sp/device-lot', code: 'lot', type: 'string', expression: 'Device.lotNumber' };
  const failing = await send('POST', '/fhir', {
    resourceType: 'Bundle', type: 'transaction',
    entry: [entry(mrn), { request: { method: 'DELETE', url: 'Device?colour=nonsense&colour:nonsense=1' } }],
  });
  t.equal(failing.statusCode, 400, 'the transaction fails');
  const unknown = await send('GET', '/fhir/Device?lot=A1');
  t.equal(unknown.statusCode, 400, 'its SearchParameter left no trace');
  t.match(firstIssue(unknown.body), { errorCode: 'unknown-search-parameter' });
  const ok = await send('POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: [entry(mrn)] });
  t.equal(ok.statusCode, 200);
  t.equal((await send('GET', '/fhir/Device?lot=A1')).statusCode, 409, 'committed: known, and building since Devices exist');
});

t.test('changing and deleting a SearchParameter take effect at once', async (t) => {
  const changed = await send('PUT', '/fhir/SearchParameter/device-colour', { ...deviceColour, expression: 'Device.status' });
  t.equal(changed.statusCode, 200);
  t.equal((await send('GET', '/fhir/Device?colour=red')).statusCode, 409, 'the stored entries follow the old expression');
  t.equal((await send('DELETE', '/fhir/SearchParameter/device-colour')).statusCode, 200);
  const gone = await send('GET', '/fhir/Device?colour=red');
  t.equal(gone.statusCode, 400);
  t.match(firstIssue(gone.body), { errorCode: 'unknown-search-parameter' });
});

t.test('stored SearchParameters and the index state survive a restart', async (t) => {
  const dataDir = server.ctx.config.dataDir;
  const second = await createTestServer({ dataDir }, undefined, { freshRegistry: true });
  t.teardown(() => second.app.close());
  const refused = await second.app.inject({ method: 'GET', url: '/fhir/Patient?nickname=Jim' });
  t.equal(refused.statusCode, 409, 'nickname is still building after the restart');
  const colour = await second.app.inject({ method: 'GET', url: '/fhir/Device?colour=red' });
  t.equal(colour.statusCode, 400, 'the deleted one stays gone');
});

t.test('two SearchParameter resources with one url: deleting one keeps the other in effect', async (t) => {
  const lot = { ...deviceColour, url: 'http://hospital.example/sp/device-udi', code: 'udi-text', type: 'string', expression: 'Device.udiCarrier.carrierHRF', base: ['Device'] };
  await send('PUT', '/fhir/SearchParameter/udi-a', { ...lot, id: 'udi-a' });
  await send('PUT', '/fhir/SearchParameter/udi-b', { ...lot, id: 'udi-b' });
  await send('DELETE', '/fhir/SearchParameter/udi-a');
  t.equal((await send('GET', '/fhir/Device?udi-text=x')).statusCode, 409, 'still defined by udi-b (and building: Devices exist)');
  await send('DELETE', '/fhir/SearchParameter/udi-b');
  t.equal((await send('GET', '/fhir/Device?udi-text=x')).statusCode, 400, 'gone with the last one');
});

t.test('while building: _include reads the resources themselves and works, _revinclude needs the index and is refused', async (t) => {
  const buddy = { ...nickname, id: 'buddy', url: 'http://hospital.example/sp/buddy', code: 'buddy', type: 'reference', target: ['Patient'], expression: 'Patient.link.other' };
  await send('PUT', '/fhir/Patient/ann', { resourceType: 'Patient', id: 'ann', link: [{ other: { reference: 'Patient/jim' }, type: 'seealso' }] });
  t.equal((await send('PUT', '/fhir/SearchParameter/buddy', buddy)).statusCode, 201);
  const included = await send('GET', '/fhir/Patient?_id=ann&_include=Patient:buddy');
  t.equal(included.statusCode, 200);
  t.same(json(included.body).entry.map((e: any) => `${e.search.mode} ${e.resource.id}`), ['match ann', 'include jim']);
  const revincluded = await send('GET', '/fhir/Patient?_id=jim&_revinclude=Patient:buddy');
  t.equal(revincluded.statusCode, 409);
  t.match(firstIssue(revincluded.body), { errorCode: 'index-building' });
});
