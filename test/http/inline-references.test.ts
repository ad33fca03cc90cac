// References of resources written on their own (create, update, conditional update, patch), over HTTP: a conditional
// reference resolves to its one match as in a transaction (R4 http.html#trules; R5 allows it in these interactions),
// a urn:uuid / urn:oid reference resolves only inside a Bundle (bundle.html#references) and is refused, and nothing
// is stored when either fails. A Bundle resource keeps its entries' references. Status, headers and codes asserted.
import t from 'tap';
import { createTestServer, type TestServer } from './context.js';

let server: TestServer;
t.before(async () => { server = await createTestServer(); });
t.teardown(() => server.close());

const FHIR_JSON = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' };
const MRN = 'urn:oid:1.2.36.146.595.217.0.1';

async function send(method: 'POST' | 'PUT' | 'PATCH', url: string, body: unknown, contentType = FHIR_JSON['content-type']) {
  const response = await server.app.inject({ method, url: `/fhir/${url}`, headers: { ...FHIR_JSON, 'content-type': contentType }, payload: JSON.stringify(body) });
  return { status: response.statusCode, headers: response.headers, body: JSON.parse(response.body) };
}
async function total(query: string): Promise<number> {
  const response = await server.app.inject({ method: 'GET', url: `/fhir/${query}${query.includes('?') ? '&' : '?'}_summary=count`, headers: { accept: 'application/fhir+json' } });
  return JSON.parse(response.body).total;
}
const errorCode = (outcome: any) => outcome.issue[0].details.coding.find((c: any) => c.system === 'urn:hospital-fhir:error-code')?.code;
const observation = (subject: string, code = 'inline-ref') => ({
  resourceType: 'Observation', status: 'final', code: { text: code }, subject: { reference: subject },
});

t.before(async () => {
  for (const value of ['inline-1', 'inline-2', 'twin', 'twin']) {
    const created = await send('POST', 'Patient', { resourceType: 'Patient', identifier: [{ system: MRN, value }] });
    if (created.status !== 201) throw new Error(`seeding a Patient: ${created.status}`);
  }
});

t.test('create: a conditional reference becomes the Type/id of its one match (http.html#trules)', async (t) => {
  const patientId = (await send('POST', 'Patient', { resourceType: 'Patient', identifier: [{ system: MRN, value: 'inline-solo' }] })).body.id;
  const created = await send('POST', 'Observation', observation(`Patient?identifier=${MRN}|inline-solo`));
  t.equal(created.status, 201);
  t.match(created.headers.location, /\/fhir\/Observation\/[^/]+\/_history\/1$/);
  t.same(created.body.subject, { reference: `Patient/${patientId}` }, 'the response shows the resolved reference');
  t.equal(await total(`Observation?subject=Patient/${patientId}`), 1, 'and it is searchable by the target');
});

const refused: { name: string; subject: string; status: number; code: string; issue: string; expression?: string[] }[] = [
  { name: 'a conditional reference that matches nothing', subject: `Patient?identifier=${MRN}|nobody`, status: 400, code: 'invalid-resource', issue: 'not-found', expression: ['Observation.subject'] },
  { name: 'a conditional reference that matches two resources', subject: `Patient?identifier=${MRN}|twin`, status: 412, code: 'multiple-matches', issue: 'multiple-matches', expression: ['Observation.subject'] },
  { name: 'a conditional reference with an unknown parameter', subject: 'Patient?no-such-param=1', status: 400, code: 'invalid-resource', issue: 'value', expression: ['Observation.subject'] },
  { name: 'a conditional reference to an unknown type', subject: 'Nonsense?identifier=x', status: 400, code: 'invalid-resource', issue: 'value', expression: ['Observation.subject'] },
  { name: 'a urn:uuid reference (bundle.html#references)', subject: 'urn:uuid:0b0b7a3c-1f0e-4c8a-9d55-1a2b3c4d5e6f', status: 400, code: 'invalid-resource', issue: 'value' },
  { name: 'a urn:oid reference', subject: 'urn:oid:1.2.3.4', status: 400, code: 'invalid-resource', issue: 'value' },
];

for (const { name, subject, status, code, issue, expression } of refused) {
  t.test(`create, update and conditional update refuse ${name}; nothing is stored`, async (t) => {
    const marker = `refused-${code}-${issue}-${subject.length}`;
    for (const [method, url] of [['POST', 'Observation'], ['PUT', `Observation/${marker}`], ['PUT', `Observation?code:text=${marker}`]] as const) {
      const body = url === `Observation/${marker}` ? { ...observation(subject, marker), id: marker } : observation(subject, marker);
      const result = await send(method, url, body);
      t.equal(result.status, status, `${method} ${url}`);
      t.equal(result.headers['content-type'], 'application/fhir+json; charset=utf-8');
      t.equal(result.body.resourceType, 'OperationOutcome');
      t.equal(errorCode(result.body), code);
      t.equal(result.body.issue[0].code, issue);
      t.same(result.body.issue[0].expression, expression, 'the element holding a conditional reference is named (OperationOutcome.issue.expression)');
      t.match(result.body.issue[0].diagnostics, subject.split('|')[0]!, 'the diagnostics name the reference');
    }
    t.equal(await total(`Observation?code:text=${marker}`), 0, 'nothing stored');
  });
}

t.test('update resolves too, and the request body is left as sent', async (t) => {
  const patientId = (await send('POST', 'Patient', { resourceType: 'Patient', identifier: [{ system: MRN, value: 'inline-put' }] })).body.id;
  const body = { ...observation(`Patient?identifier=${MRN}|inline-put`), id: 'inline-put' };
  const sent = JSON.stringify(body);
  const updated = await send('PUT', 'Observation/inline-put', body);
  t.equal(updated.status, 201);
  t.same(updated.body.subject, { reference: `Patient/${patientId}` });
  t.equal(JSON.stringify(body), sent);
});

t.test('patch: a reference the patch adds is settled; a urn:uuid one makes the result unprocessable (422, http.html#patch)', async (t) => {
  const patientId = (await send('POST', 'Patient', { resourceType: 'Patient', identifier: [{ system: MRN, value: 'inline-patch' }] })).body.id;
  const target = (await send('POST', 'Observation', observation(`Patient/${patientId}`, 'inline-patch'))).body.id;
  const jsonPatch = 'application/json-patch+json';
  const patched = await send('PATCH', `Observation/${target}`, [{ op: 'add', path: '/focus', value: [{ reference: `Patient?identifier=${MRN}|inline-patch` }] }], jsonPatch);
  t.equal(patched.status, 200);
  t.same(patched.body.focus, [{ reference: `Patient/${patientId}` }]);
  const refusedPatch = await send('PATCH', `Observation/${target}`, [{ op: 'replace', path: '/subject/reference', value: 'urn:uuid:0b0b7a3c-1f0e-4c8a-9d55-1a2b3c4d5e6f' }], jsonPatch);
  t.equal(refusedPatch.status, 422);
  t.equal(errorCode(refusedPatch.body), 'unprocessable-resource');
  t.equal((await send('PATCH', `Observation/${target}`, [], jsonPatch)).body.meta.versionId, '3', 'the refused patch made no version');
});

t.test('a Bundle resource (a document) is stored with its entries\' urn:uuid references', async (t) => {
  const document = {
    resourceType: 'Bundle', type: 'collection',
    entry: [
      { fullUrl: 'urn:uuid:5b8e3c55-7f0a-4d6e-9a8b-2f2c3d4e5f60', resource: { resourceType: 'Patient', active: true } },
      { fullUrl: 'urn:uuid:6c9f4d66-8a1b-4e7f-8b9c-3a3d4e5f6071', resource: observation('urn:uuid:5b8e3c55-7f0a-4d6e-9a8b-2f2c3d4e5f60') },
    ],
  };
  const created = await send('POST', 'Bundle', document);
  t.equal(created.status, 201);
  t.equal(created.body.entry[1].resource.subject.reference, 'urn:uuid:5b8e3c55-7f0a-4d6e-9a8b-2f2c3d4e5f60');
});
