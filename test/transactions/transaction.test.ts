// R4 http.html#transaction, #trules (order, fullUrl and conditional references, atomicity) and bundle.html.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { FhirError } from '../../src/fhir/errors.js';
import type { Resource } from '../../src/fhir/types.js';
import { batchOrTransaction } from '../../src/interactions/bundle-dispatch.js';
import type { InteractionRequest, ServerContext } from '../../src/interactions/types.js';
import { createServerContext } from '../../src/jobs/server-context.js';

const baseUrl = 'http://127.0.0.1:8080/fhir';
let ctx: ServerContext;

t.before(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-tx-'));
  ctx = await createServerContext({ ...loadConfig({}), dataDir, maxBundleEntries: 50 });
  t.teardown(async () => { await ctx.store.close(); fs.rmSync(dataDir, { recursive: true, force: true }); });
});

const request = (body: unknown, prefer: InteractionRequest['prefer'] = {}): InteractionRequest =>
  ({ baseUrl, method: 'POST', query: {}, headers: {}, body, prefer });
const bundle = (type: string, entry: unknown[]) => ({ resourceType: 'Bundle', type, entry });

async function post(body: unknown, prefer?: InteractionRequest['prefer']): Promise<{ status: number; body: any; error?: FhirError }> {
  try {
    const result = await batchOrTransaction(ctx, request(structuredClone(body), prefer));
    return { status: result.status, body: result.body };
  } catch (error) {
    if (!(error instanceof FhirError)) throw error;
    return { status: error.status, body: undefined, error };
  }
}

async function versionCount(): Promise<number> {
  return (await ctx.store.history({ count: 100000 })).items.length;
}

const practitioner = (npi: string) => ({ resourceType: 'Practitioner', identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: npi }], name: [{ family: `Doc${npi}` }] });

t.test('a transaction resolves fullUrls and conditional references, in R4 order, reporting in Bundle order', async (t) => {
  const seeded = await post(bundle('transaction', [
    { request: { method: 'PUT', url: 'Practitioner/pr-1' }, resource: { ...practitioner('111'), id: 'pr-1' } },
    { request: { method: 'PUT', url: 'Organization/org-1' }, resource: { resourceType: 'Organization', id: 'org-1', name: 'Old' } },
  ]));
  t.equal(seeded.status, 200);
  const result = await post(bundle('transaction', [
    { request: { method: 'GET', url: 'Patient?identifier=urn:mrn|tx-1' } },
    { fullUrl: 'urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a', request: { method: 'POST', url: 'Patient' },
      resource: { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: 'tx-1' }], generalPractitioner: [{ reference: 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|111' }] } },
    { fullUrl: 'urn:uuid:88f151c0-a954-468a-88bd-5ae15c08e059', request: { method: 'POST', url: 'Observation' },
      resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a' } } },
    { request: { method: 'DELETE', url: 'Organization/org-1' } },
    { request: { method: 'PUT', url: 'Practitioner/pr-1' }, resource: { ...practitioner('111'), id: 'pr-1', active: true } },
  ]));
  t.equal(result.status, 200);
  t.equal(result.body.type, 'transaction-response');
  t.same(result.body.entry.map((e: any) => e.response.status), ['200 OK', '201 Created', '201 Created', '204 No Content', '200 OK']);
  t.equal(result.body.entry[0].resource.total ?? result.body.entry[0].resource.entry?.length ?? 0, 1, 'GET runs after the POSTs and finds the new Patient');
  const patientId = result.body.entry[1].resource.id;
  t.match(result.body.entry[1].response.location, new RegExp(`^${baseUrl}/Patient/${patientId}/_history/1$`));
  t.equal(result.body.entry[1].response.etag, 'W/"1"');
  t.ok(result.body.entry[1].response.lastModified);
  t.equal(result.body.entry[1].resource.generalPractitioner[0].reference, 'Practitioner/pr-1', 'conditional reference resolved');
  const observation = await ctx.store.read('Observation', result.body.entry[2].resource.id);
  t.equal((observation?.resource as any).subject.reference, `Patient/${patientId}`, 'urn:uuid reference stored as Type/id');
  t.equal((await ctx.store.read('Organization', 'org-1'))?.deleted, true);
  t.equal((await ctx.store.read('Practitioner', 'pr-1'))?.versionId, 2);
});

t.test('one bad entry fails the whole transaction and stores nothing', async (t) => {
  const good = { fullUrl: 'urn:uuid:1', request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', active: true } };
  const cases: { name: string; entries: unknown[]; status: number; code: string; expression: string }[] = [
    { name: 'invalid resource', entries: [good, { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', birthDate: 'yesterday' } }], status: 400, code: 'invalid-resource', expression: 'Bundle.entry[1]' },
    { name: 'conditional reference without match', entries: [good, { request: { method: 'POST', url: 'Encounter' }, resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, participant: [{ individual: { reference: 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|none' } }] } }], status: 400, code: 'transaction-failed', expression: 'Bundle.entry[1].resource.participant[0].individual' },
    { name: 'conditional reference with several matches', entries: [good, { request: { method: 'POST', url: 'Encounter' }, resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, participant: [{ individual: { reference: 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|dup' } }] } }], status: 412, code: 'multiple-matches', expression: 'Bundle.entry[1].resource.participant[0].individual' },
    { name: 'ifMatch on a stale version', entries: [good, { request: { method: 'PUT', url: 'Practitioner/pr-1', ifMatch: 'W/"1"' }, resource: { ...practitioner('111'), id: 'pr-1' } }], status: 412, code: 'precondition-failed', expression: 'Bundle.entry[1]' },
    { name: 'a PATCH of an unknown resource', entries: [good, { request: { method: 'PATCH', url: 'Patient/nope' }, resource: { resourceType: 'Parameters', parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'delete' }, { name: 'path', valueString: 'Patient.active' }] }] } }], status: 404, code: 'not-found', expression: 'Bundle.entry[1]' },
    { name: 'duplicate fullUrl', entries: [good, good], status: 400, code: 'invalid-bundle', expression: 'Bundle.entry[1].fullUrl' },
    { name: 'two writes to one resource', entries: [{ request: { method: 'PUT', url: 'Patient/same' }, resource: { resourceType: 'Patient', id: 'same' } }, { request: { method: 'DELETE', url: 'Patient/same' } }], status: 400, code: 'invalid-bundle', expression: 'Bundle.entry[1]' },
  ];
  await post(bundle('transaction', [
    { request: { method: 'POST', url: 'Practitioner' }, resource: practitioner('dup') },
    { request: { method: 'POST', url: 'Practitioner' }, resource: practitioner('dup') },
  ]));
  for (const c of cases) {
    const before = await versionCount();
    const result = await post(bundle('transaction', c.entries));
    t.equal(result.status, c.status, `${c.name}: status`);
    t.equal(result.error?.code, c.code, `${c.name}: code`);
    t.ok(result.error?.issues[0].expression?.includes(c.expression), `${c.name}: names ${c.expression} (got ${result.error?.issues[0].expression})`);
    t.equal(await versionCount(), before, `${c.name}: store unchanged`);
  }
});

t.test('envelope errors', async (t) => {
  const cases: [string, unknown, number, string][] = [
    ['not a Bundle', { resourceType: 'Patient' }, 400, 'invalid-bundle'],
    ['a collection', bundle('collection', []), 400, 'invalid-bundle'],
    ['over FHIR_MAX_BUNDLE_ENTRIES', bundle('transaction', Array.from({ length: 51 }, () => ({ request: { method: 'GET', url: 'Patient' } }))), 413, 'payload-too-large'],
    ['over the limit as a batch', bundle('batch', Array.from({ length: 51 }, () => ({ request: { method: 'GET', url: 'Patient' } }))), 413, 'payload-too-large'],
  ];
  for (const [name, body, status, code] of cases) {
    const result = await post(body);
    t.same([result.status, result.error?.code], [status, code], name);
  }
});

t.test('ifNoneExist: a match is reported 200 and nothing is created; repeats inside one Bundle create one resource', async (t) => {
  const entry = { request: { method: 'POST', url: 'Organization', ifNoneExist: 'identifier=urn:org|A' }, resource: { resourceType: 'Organization', identifier: [{ system: 'urn:org', value: 'A' }] } };
  const first = await post(bundle('transaction', [{ ...entry, fullUrl: 'urn:uuid:a1' }, { ...entry, fullUrl: 'urn:uuid:a2' }]));
  t.same(first.body.entry.map((e: any) => e.response.status), ['201 Created', '200 OK']);
  t.equal(first.body.entry[0].resource.id, first.body.entry[1].resource.id);
  const again = await post(bundle('transaction', [entry]));
  t.same(again.body.entry.map((e: any) => e.response.status), ['200 OK']);
  t.equal(again.body.entry[0].resource.id, first.body.entry[0].resource.id);
});

t.test('PATCH entries (Binary JSON Patch and FHIRPath Patch) and Prefer: return=minimal', async (t) => {
  const jsonPatch = Buffer.from(JSON.stringify([{ op: 'add', path: '/active', value: false }])).toString('base64');
  const result = await post(bundle('transaction', [
    { request: { method: 'PATCH', url: 'Practitioner/pr-1' }, resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: jsonPatch } },
  ]), { return: 'minimal' });
  t.equal(result.body.entry[0].response.status, '200 OK');
  t.notOk(result.body.entry[0].resource, 'minimal: no resource');
  t.equal((await ctx.store.read('Practitioner', 'pr-1'))?.resource?.active, false);
  const fhirpath = await post(bundle('transaction', [
    { request: { method: 'PATCH', url: 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|111', ifMatch: 'W/"3"' }, resource: { resourceType: 'Parameters', parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Practitioner.active' }, { name: 'value', valueBoolean: true }] }] } },
  ]));
  t.equal(fhirpath.status, 200);
  t.equal(fhirpath.body.entry[0].resource.active, true);
  t.equal(fhirpath.body.entry[0].response.etag, 'W/"4"');
});

t.test('batch: failing entries get their own status and outcome, the others are processed', async (t) => {
  const before = await versionCount();
  const result = await post(bundle('batch', [
    { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', birthDate: 'bad' } },
    { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', active: true } },
    { request: { method: 'GET', url: 'Patient/does-not-exist' } },
    { request: { method: 'FETCH', url: 'Patient' } },
    { request: { method: 'PUT', url: 'Patient/batch-1' }, resource: { resourceType: 'Patient', id: 'batch-1' } },
  ]));
  t.equal(result.status, 200);
  t.equal(result.body.type, 'batch-response');
  t.same(result.body.entry.map((e: any) => e.response.status), ['400 Bad Request', '201 Created', '404 Not Found', '400 Bad Request', '201 Created']);
  t.equal(result.body.entry[0].response.outcome.resourceType, 'OperationOutcome');
  t.ok(result.body.entry[0].response.outcome.issue[0].expression.includes('Bundle.entry[0]'));
  t.equal(await versionCount(), before + 2);
});
