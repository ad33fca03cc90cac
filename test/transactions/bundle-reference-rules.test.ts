// R4 http.html#trules and bundle.html#references, over HTTP (buildApp + inject): how the references a Bundle's
// entries make to each other are resolved, in the forms other Synthea versions and migration tools write them,
// and what happens to a reference that cannot resolve. Every check asserts status, headers and issue codes.
import t from 'tap';
import { createTestServer, type TestServer } from '../http/context.js';

let server: TestServer;
t.before(async () => { server = await createTestServer(); });
t.teardown(() => server.close());

const FHIR_JSON = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' };
const NPI = 'http://hl7.org/fhir/sid/us-npi';

async function postBundle(body: unknown) {
  const response = await server.app.inject({ method: 'POST', url: '/fhir', headers: FHIR_JSON, payload: JSON.stringify(body) });
  return { status: response.statusCode, headers: response.headers, body: JSON.parse(response.body) };
}
async function read(path: string) {
  const response = await server.app.inject({ method: 'GET', url: `/fhir/${path}`, headers: { accept: 'application/fhir+json' } });
  return { status: response.statusCode, body: JSON.parse(response.body) };
}
/** every version of the system history (http.html#history), read page by page */
async function systemHistoryTotal(): Promise<number> {
  let count = 0;
  let url: string | undefined = '/fhir/_history?_count=500';
  while (url) {
    const page = JSON.parse((await server.app.inject({ method: 'GET', url, headers: { accept: 'application/fhir+json' } })).body);
    count += page.entry?.length ?? 0;
    const next = page.link?.find((link: any) => link.relation === 'next')?.url as string | undefined;
    url = next ? next.slice(next.indexOf('/fhir')) : undefined;
  }
  return count;
}
const bundle = (type: string, entry: unknown[]) => ({ resourceType: 'Bundle', type, entry });
const details = (outcome: any) => outcome.issue[0].details.coding.find((c: any) => c.system === 'urn:hospital-fhir:error-code')?.code;

t.test('transaction: a urn:uuid reference that names no entry fails the transaction, naming the entry (bundle.html#references)', async (t) => {
  const before = await systemHistoryTotal();
  const result = await postBundle(bundle('transaction', [
    { fullUrl: 'urn:uuid:0c3151bd-1cbf-4d64-b04e-9094d5ee5a01', request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', active: true } },
    { fullUrl: 'urn:uuid:0c3151bd-1cbf-4d64-b04e-9094d5ee5a02', request: { method: 'POST', url: 'Observation' },
      resource: { resourceType: 'Observation', status: 'final', code: { text: 'hr' }, subject: { reference: 'urn:uuid:0c3151bd-1cbf-4d64-b04e-9094d5ee5aff' } } },
  ]));
  t.equal(result.status, 400);
  t.match(result.headers['content-type'], /^application\/fhir\+json/);
  t.equal(result.body.resourceType, 'OperationOutcome');
  t.equal(result.body.issue[0].severity, 'error');
  t.equal(result.body.issue[0].code, 'not-found');
  t.equal(details(result.body), 'invalid-bundle');
  t.same(result.body.issue[0].expression, ['Bundle.entry[1].resource']);
  t.match(result.body.issue[0].diagnostics, /urn:uuid:0c3151bd-1cbf-4d64-b04e-9094d5ee5aff/);
  t.equal(await systemHistoryTotal(), before, 'nothing stored');
});

t.test('transaction: a urn:uuid reference inside a contained resource is rewritten too, #id references stay', async (t) => {
  const result = await postBundle(bundle('transaction', [
    { fullUrl: 'urn:uuid:5b0c7a0e-8c1e-4d1b-9b57-0d6c2d2e7a01', request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', active: true } },
    { fullUrl: 'urn:uuid:5b0c7a0e-8c1e-4d1b-9b57-0d6c2d2e7a02', request: { method: 'POST', url: 'MedicationRequest' }, resource: {
      resourceType: 'MedicationRequest', status: 'active', intent: 'order',
      contained: [
        { resourceType: 'Medication', id: 'med', code: { text: 'aspirin' } },
        { resourceType: 'Provenance', id: 'prov', target: [{ reference: '#' }], recorded: '2020-01-01T00:00:00Z', agent: [{ who: { reference: 'urn:uuid:5b0c7a0e-8c1e-4d1b-9b57-0d6c2d2e7a01' } }] },
      ],
      medicationReference: { reference: '#med' }, subject: { reference: 'urn:uuid:5b0c7a0e-8c1e-4d1b-9b57-0d6c2d2e7a01' },
    } },
  ]));
  t.equal(result.status, 200);
  const patientId = result.body.entry[0].resource.id;
  const stored = (await read(`MedicationRequest/${result.body.entry[1].resource.id}`)).body;
  t.equal(stored.medicationReference.reference, '#med');
  t.equal(stored.contained[1].target[0].reference, '#');
  t.equal(stored.contained[1].agent[0].who.reference, `Patient/${patientId}`);
  t.equal(stored.subject.reference, `Patient/${patientId}`);
});

t.test('transaction: forward urn:uuid references, absolute fullUrls with absolute and relative references, PUT with client ids', async (t) => {
  const result = await postBundle(bundle('transaction', [
    { fullUrl: 'http://example.org/fhir/Observation/o1', request: { method: 'POST', url: 'Observation' },
      resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' }, performer: [{ reference: 'http://example.org/fhir/Practitioner/d1' }] } },
    { fullUrl: 'http://example.org/fhir/Patient/p1', request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', active: true } },
    { fullUrl: 'urn:uuid:9a1d2c4e-7777-4a1b-9b57-0d6c2d2e7a01', request: { method: 'POST', url: 'Encounter' },
      resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'urn:uuid:9a1d2c4e-7777-4a1b-9b57-0d6c2d2e7a02' } } },
    { fullUrl: 'urn:uuid:9a1d2c4e-7777-4a1b-9b57-0d6c2d2e7a02', request: { method: 'PUT', url: 'Patient/client-id-1' }, resource: { resourceType: 'Patient', id: 'client-id-1' } },
    { fullUrl: 'http://example.org/fhir/Practitioner/d1', request: { method: 'PUT', url: 'Practitioner/d1' }, resource: { resourceType: 'Practitioner', id: 'd1' } },
  ]));
  t.equal(result.status, 200);
  t.same(result.body.entry.map((e: any) => e.response.status), ['201 Created', '201 Created', '201 Created', '201 Created', '201 Created']);
  const patientId = result.body.entry[1].resource.id;
  t.not(patientId, 'p1', 'a POST gets a server id whatever its fullUrl says');
  const observation = (await read(`Observation/${result.body.entry[0].resource.id}`)).body;
  t.equal(observation.subject.reference, `Patient/${patientId}`, 'relative reference resolved against the fullUrl base');
  t.equal(observation.performer[0].reference, 'Practitioner/d1', 'absolute reference to a PUT entry');
  const encounter = (await read(`Encounter/${result.body.entry[2].resource.id}`)).body;
  t.equal(encounter.subject.reference, 'Patient/client-id-1', 'a reference to a later entry (PUT with a client id)');
  t.equal((await read('Patient/client-id-1')).status, 200);
});

t.test('transaction: a conditional reference to a resource the same transaction creates with ifNoneExist (http.html#trules)', async (t) => {
  const practitioner = { resourceType: 'Practitioner', identifier: [{ system: NPI, value: '424242' }], name: [{ family: 'Inline' }] };
  const organization = { resourceType: 'Organization', identifier: [{ system: 'urn:synthea', value: 'org-1' }], name: 'Inline Org' };
  const encounter = (n: number) => ({ resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' },
    participant: [{ individual: { reference: `Practitioner?identifier=${NPI}|424242` } }],
    // the same criteria, written with the parameter encoded as migration tools do
    serviceProvider: { reference: `Organization?identifier=${encodeURIComponent('urn:synthea|org-1')}` }, length: { value: n } });
  const sent = bundle('transaction', [
    { fullUrl: 'urn:uuid:1e4a-0001', request: { method: 'POST', url: 'Practitioner', ifNoneExist: `identifier=${NPI}|424242` }, resource: practitioner },
    { fullUrl: 'urn:uuid:1e4a-0002', request: { method: 'POST', url: 'Organization', ifNoneExist: 'identifier=urn:synthea|org-1' }, resource: organization },
    { fullUrl: 'urn:uuid:1e4a-0003', request: { method: 'POST', url: 'Encounter' }, resource: encounter(1) },
  ]);
  const first = await postBundle(sent);
  t.equal(first.status, 200, JSON.stringify(first.body.issue ?? ''));
  t.same(first.body.entry?.map((e: any) => e.response.status), ['201 Created', '201 Created', '201 Created']);
  const practitionerId = first.body.entry[0].resource.id;
  const organizationId = first.body.entry[1].resource.id;
  const stored = (await read(`Encounter/${first.body.entry[2].resource.id}`)).body;
  t.equal(stored.participant[0].individual.reference, `Practitioner/${practitionerId}`);
  t.equal(stored.serviceProvider.reference, `Organization/${organizationId}`);

  // sent again: the conditional creates match, and the references resolve to the same resources
  const again = await postBundle(sent);
  t.equal(again.status, 200);
  t.same(again.body.entry.map((e: any) => e.response.status), ['200 OK', '200 OK', '201 Created']);
  const second = (await read(`Encounter/${again.body.entry[2].resource.id}`)).body;
  t.equal(second.participant[0].individual.reference, `Practitioner/${practitionerId}`);
  t.equal((await read(`Practitioner?identifier=${NPI}|424242&_summary=count`)).body.total, 1, 'one Practitioner');
});

t.test('batch: entries are independent (http.html#transaction); one that refers to another by urn:uuid fails on its own', async (t) => {
  const before = await systemHistoryTotal();
  const result = await postBundle(bundle('batch', [
    { fullUrl: 'urn:uuid:7d0f4b1e-2222-4a1b-9b57-0d6c2d2e7a01', request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', active: true } },
    { fullUrl: 'urn:uuid:7d0f4b1e-2222-4a1b-9b57-0d6c2d2e7a02', request: { method: 'POST', url: 'Observation' },
      resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:7d0f4b1e-2222-4a1b-9b57-0d6c2d2e7a01' } } },
    { request: { method: 'POST', url: 'Observation' }, resource: { resourceType: 'Observation', status: 'final', code: { text: 'y' }, subject: { reference: 'Patient/client-id-1' } } },
  ]));
  t.equal(result.status, 200);
  t.match(result.headers['content-type'], /^application\/fhir\+json/);
  t.equal(result.body.type, 'batch-response');
  t.same(result.body.entry.map((e: any) => e.response.status), ['201 Created', '400 Bad Request', '201 Created']);
  const outcome = result.body.entry[1].response.outcome;
  t.equal(outcome.resourceType, 'OperationOutcome');
  t.equal(outcome.issue[0].code, 'invalid');
  t.equal(details(outcome), 'invalid-bundle');
  t.same(outcome.issue[0].expression, ['Bundle.entry[1].resource']);
  t.equal(await systemHistoryTotal(), before + 2, 'the two independent entries stored, the dependent one not');
  const search = (await read('Observation?subject=urn:uuid:7d0f4b1e-2222-4a1b-9b57-0d6c2d2e7a01&_summary=count')).body;
  t.equal(search.total, 0, 'no urn:uuid reference stored');
});
