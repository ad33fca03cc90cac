// Bulk Data Access IG 2.0 (http://hl7.org/fhir/uv/bulkdata/STU2/export.html): $export at system, Patient
// and Group level through the async pattern — kick-off, status polling, manifest, output files — and its
// parameters _type, _since, _typeFilter, _outputFormat, patient.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  ASYNC_HEADERS, firstIssue, ndjsonLines, pathOf, putResources, startBulkServer, tempDir, waitForCompletion, type BulkServer,
} from './bulk-server.js';

const dataDir = tempDir('fhir-bulk-export-');
let server: BulkServer;
let app: FastifyInstance;
let beforeSecondBatch: string;

const firstBatch = [
  { resourceType: 'Organization', id: 'org1', name: 'General Hospital' },
  { resourceType: 'Patient', id: 'p1', birthDate: '1970-01-01' },
  { resourceType: 'Patient', id: 'p2' },
  { resourceType: 'Patient', id: 'p3' },
  { resourceType: 'Encounter', id: 'e1', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p1' } },
  { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'a' }, subject: { reference: 'Patient/p1' } },
  { resourceType: 'Observation', id: 'o2', status: 'final', code: { text: 'b' }, subject: { reference: 'Patient/p2' } },
  { resourceType: 'Observation', id: 'o3', status: 'final', code: { text: 'c' }, subject: { reference: 'Patient/p3' } },
  { resourceType: 'MedicationRequest', id: 'm1', status: 'active', intent: 'order', medicationCodeableConcept: { text: 'x' }, subject: { reference: 'Patient/p1' } },
  { resourceType: 'MedicationRequest', id: 'm2', status: 'completed', intent: 'order', medicationCodeableConcept: { text: 'y' }, subject: { reference: 'Patient/p2' } },
  { resourceType: 'MedicationRequest', id: 'm3', status: 'stopped', intent: 'order', medicationCodeableConcept: { text: 'z' }, subject: { reference: 'Patient/p3' } },
  {
    resourceType: 'Group', id: 'g1', type: 'person', actual: true,
    member: [{ entity: { reference: 'Patient/p1' } }, { entity: { reference: 'Patient/p2' }, inactive: true }, { entity: { reference: 'Patient/p3' } }],
  },
];
const secondBatch = [
  { resourceType: 'Condition', id: 'c1', subject: { reference: 'Patient/p1' }, code: { text: 'late' } },
  { resourceType: 'Observation', id: 'o4', status: 'final', code: { text: 'd' }, subject: { reference: 'Patient/p1' } },
];

t.before(async () => {
  server = await startBulkServer(dataDir);
  app = server.app;
  await putResources(server.ctx, firstBatch);
  await new Promise((resolve) => setTimeout(resolve, 15));
  beforeSecondBatch = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 15));
  await putResources(server.ctx, secondBatch);
});
t.teardown(async () => {
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface Export { manifest: any; files: Record<string, Record<string, any>[]> }

/** kick-off, poll to completion, download every file; asserts the async pattern's headers along the way */
async function runExport(t: Test, url: string, options: { method?: 'GET' | 'POST'; body?: unknown } = {}): Promise<Export> {
  const kickOff = await app.inject({
    method: options.method ?? 'GET', url, headers: { ...ASYNC_HEADERS, ...(options.body ? { 'content-type': 'application/fhir+json' } : {}) },
    ...(options.body ? { payload: JSON.stringify(options.body) } : {}),
  });
  t.equal(kickOff.statusCode, 202, `kick-off ${url}: ${kickOff.body}`);
  const statusUrl = kickOff.headers['content-location'] as string;
  t.match(statusUrl, /^http:\/\/localhost(:80)?\/fhir\/\$bulk-status\/[0-9a-f-]{36}$/, 'Content-Location is the absolute status URL');
  const done = await waitForCompletion(app, statusUrl);
  t.equal(done.statusCode, 200, `complete: ${done.body}`);
  t.match(done.headers['content-type'], /^application\/json/, 'the manifest is application/json');
  const manifest = JSON.parse(done.body);
  const files: Export['files'] = {};
  for (const item of manifest.output) {
    const file = await app.inject({ method: 'GET', url: pathOf(item.url), headers: { accept: 'application/fhir+ndjson' } });
    t.equal(file.statusCode, 200);
    t.equal(file.headers['content-type'], 'application/fhir+ndjson');
    const lines = ndjsonLines(file.body);
    t.equal(lines.length, item.count, `${item.type}: count matches the lines`);
    t.ok(lines.every((resource) => resource.resourceType === item.type), `${item.type} file holds only ${item.type}`);
    files[item.type] = lines;
  }
  return { manifest, files };
}

const idsByType = (files: Export['files']) =>
  Object.fromEntries(Object.entries(files).map(([type, resources]) => [type, resources.map((r) => r.id).sort()]));

t.test('system-level export: manifest fields and one file per type (IG 2.0 "Response - Complete Status")', async (t) => {
  const { manifest, files } = await runExport(t, '/fhir/$export');
  t.equal(manifest.requiresAccessToken, false);
  t.equal(manifest.request, 'http://localhost:80/fhir/$export');
  t.ok(Date.parse(manifest.transactionTime) >= Date.parse(beforeSecondBatch), 'transactionTime is the kick-off time');
  t.same(manifest.error, [], 'no errors: an empty error array');
  t.same(idsByType(files), {
    Condition: ['c1'], Encounter: ['e1'], Group: ['g1'], MedicationRequest: ['m1', 'm2', 'm3'],
    Observation: ['o1', 'o2', 'o3', 'o4'], Organization: ['org1'], Patient: ['p1', 'p2', 'p3'],
  });
  t.equal(files.Patient![0]!.meta.versionId, '1', 'resources are exported as stored, meta included');
});

t.test('parameters select what is exported (IG 2.0 "Query Parameters")', async (t) => {
  const cases: { name: string; url: string; expected: Record<string, string[]> }[] = [
    { name: '_type', url: '/fhir/$export?_type=Patient,Condition', expected: { Condition: ['c1'], Patient: ['p1', 'p2', 'p3'] } },
    { name: '_type repeated', url: '/fhir/$export?_type=Patient&_type=Organization', expected: { Organization: ['org1'], Patient: ['p1', 'p2', 'p3'] } },
    { name: '_since keeps what changed after it', url: `/fhir/$export?_since=${encodeURIComponent(beforeSecondBatch)}`, expected: { Condition: ['c1'], Observation: ['o4'] } },
    {
      name: '_typeFilter filters its type only',
      url: `/fhir/$export?_type=MedicationRequest,Patient&_typeFilter=${encodeURIComponent('MedicationRequest?status=active')}`,
      expected: { MedicationRequest: ['m1'], Patient: ['p1', 'p2', 'p3'] },
    },
    {
      name: 'several _typeFilter on one type are ORed',
      url: `/fhir/$export?_type=MedicationRequest&_typeFilter=${encodeURIComponent('MedicationRequest?status=active,MedicationRequest?status=stopped')}`,
      expected: { MedicationRequest: ['m1', 'm3'] },
    },
    {
      name: '_typeFilter with a comma inside its query (OR of values)',
      url: `/fhir/$export?_type=MedicationRequest&_typeFilter=${encodeURIComponent('MedicationRequest?status=active,completed')}`,
      expected: { MedicationRequest: ['m1', 'm2'] },
    },
    { name: '_outputFormat abbreviation ndjson', url: '/fhir/$export?_type=Organization&_outputFormat=ndjson', expected: { Organization: ['org1'] } },
    { name: '_outputFormat application/ndjson', url: `/fhir/$export?_type=Organization&_outputFormat=${encodeURIComponent('application/ndjson')}`, expected: { Organization: ['org1'] } },
    {
      name: 'Patient level: the Patient compartment of every patient (Group.member is a compartment parameter)',
      url: '/fhir/Patient/$export',
      expected: { Condition: ['c1'], Encounter: ['e1'], Group: ['g1'], MedicationRequest: ['m1', 'm2', 'm3'], Observation: ['o1', 'o2', 'o3', 'o4'], Patient: ['p1', 'p2', 'p3'] },
    },
    {
      name: 'Group level: the active members only',
      url: '/fhir/Group/g1/$export',
      expected: { Condition: ['c1'], Encounter: ['e1'], Group: ['g1'], MedicationRequest: ['m1', 'm3'], Observation: ['o1', 'o3', 'o4'], Patient: ['p1', 'p3'] },
    },
    { name: 'Group level with _type and _since', url: `/fhir/Group/g1/$export?_type=Observation&_since=${encodeURIComponent(beforeSecondBatch)}`, expected: { Observation: ['o4'] } },
  ];
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      const { files } = await runExport(t, c.url);
      t.same(idsByType(files), c.expected);
    });
  }
});

t.test('POST kick-off with a Parameters body (IG 2.0 "Bulk Data Kick-off Request", POST)', async (t) => {
  const body = {
    resourceType: 'Parameters',
    parameter: [
      { name: '_type', valueString: 'Patient,Observation' },
      { name: '_outputFormat', valueString: 'application/fhir+ndjson' },
      { name: 'patient', valueReference: { reference: 'Patient/p3' } },
    ],
  };
  const { manifest, files } = await runExport(t, '/fhir/Group/g1/$export', { method: 'POST', body });
  t.same(idsByType(files), { Observation: ['o3'], Patient: ['p3'] }, 'patient narrows the group to p3');
  t.equal(manifest.request, 'http://localhost:80/fhir/Group/g1/$export');
});

t.test('kick-off errors are 4xx OperationOutcomes (IG 2.0 "Response - Error")', async (t) => {
  const cases: { name: string; url: string; headers?: Record<string, string>; method?: 'POST'; body?: unknown; status: number; errorCode: string; diagnostics?: RegExp }[] = [
    { name: 'no Prefer: respond-async', url: '/fhir/$export', headers: { accept: 'application/fhir+json' }, status: 400, errorCode: 'invalid-parameter', diagnostics: /respond-async/ },
    { name: 'unsupported _outputFormat', url: '/fhir/$export?_outputFormat=text/csv', status: 400, errorCode: 'invalid-parameter', diagnostics: /_outputFormat/ },
    { name: 'unknown _type', url: '/fhir/$export?_type=Patient,Nonsense', status: 400, errorCode: 'invalid-parameter', diagnostics: /Nonsense/ },
    { name: '_since not an instant', url: '/fhir/$export?_since=yesterday', status: 400, errorCode: 'invalid-parameter', diagnostics: /_since/ },
    { name: '_typeFilter with an unknown parameter', url: `/fhir/$export?_typeFilter=${encodeURIComponent('Observation?colour=red')}`, status: 400, errorCode: 'invalid-parameter', diagnostics: /colour/ },
    { name: '_typeFilter that is not a search', url: '/fhir/$export?_typeFilter=status%3Dactive', status: 400, errorCode: 'invalid-parameter', diagnostics: /_typeFilter/ },
    { name: '_typeFilter shaping the result', url: `/fhir/$export?_typeFilter=${encodeURIComponent('Observation?_count=1')}`, status: 400, errorCode: 'invalid-parameter', diagnostics: /_count/ },
    { name: '_typeFilter on a type left out by _type', url: `/fhir/$export?_type=Patient&_typeFilter=${encodeURIComponent('Observation?status=final')}`, status: 400, errorCode: 'invalid-parameter', diagnostics: /does not include/ },
    { name: 'an unsupported parameter', url: '/fhir/$export?includeAssociatedData=LatestProvenanceResources', status: 400, errorCode: 'invalid-parameter', diagnostics: /includeAssociatedData/ },
    { name: 'Patient level with a type outside the compartment', url: '/fhir/Patient/$export?_type=Organization', status: 400, errorCode: 'invalid-parameter', diagnostics: /compartment/ },
    { name: 'Group that does not exist', url: '/fhir/Group/nobody/$export', status: 404, errorCode: 'not-found' },
    { name: 'XML asked for', url: '/fhir/$export', headers: { accept: 'application/fhir+xml', prefer: 'respond-async' }, status: 406, errorCode: 'not-acceptable' },
    { name: 'POST body that is not Parameters', url: '/fhir/$export', method: 'POST', body: { resourceType: 'Patient' }, status: 400, errorCode: 'invalid-resource' },
    { name: 'patient that is not a Patient reference', url: '/fhir/Patient/$export', method: 'POST', body: { resourceType: 'Parameters', parameter: [{ name: 'patient', valueReference: { reference: 'Group/g1' } }] }, status: 400, errorCode: 'invalid-parameter' },
  ];
  for (const c of cases) {
    const response = await app.inject({
      method: c.method ?? 'GET', url: c.url,
      headers: { ...(c.headers ?? ASYNC_HEADERS), ...(c.body ? { 'content-type': 'application/fhir+json' } : {}) },
      ...(c.body ? { payload: JSON.stringify(c.body) } : {}),
    });
    t.equal(response.statusCode, c.status, `${c.name}: status`);
    t.match(response.headers['content-type'], /^application\/fhir\+json/, `${c.name}: OperationOutcome`);
    t.notOk(response.headers['content-location'], `${c.name}: no job`);
    const issue = firstIssue(response.body);
    t.equal(issue.errorCode, c.errorCode, `${c.name}: error code (${issue.diagnostics})`);
    if (c.diagnostics) t.match(issue.diagnostics, c.diagnostics, `${c.name}: diagnostics`);
  }
});

t.test('Prefer: handling=lenient ignores what is not supported and says so in the error file (IG 2.0 kick-off)', async (t) => {
  const kickOff = await app.inject({
    method: 'GET', url: '/fhir/Patient/$export?_type=Patient,Organization&includeAssociatedData=x',
    headers: { accept: 'application/fhir+json', prefer: 'respond-async, handling=lenient' },
  });
  t.equal(kickOff.statusCode, 202);
  const done = await waitForCompletion(app, kickOff.headers['content-location'] as string);
  const manifest = JSON.parse(done.body);
  t.same(manifest.output.map((o: any) => [o.type, o.count]), [['Patient', 3]]);
  t.equal(manifest.error.length, 1);
  t.equal(manifest.error[0].type, 'OperationOutcome');
  const errors = ndjsonLines((await app.inject({ method: 'GET', url: pathOf(manifest.error[0].url) })).body);
  t.equal(errors.length, 2);
  t.ok(errors.every((outcome) => outcome.resourceType === 'OperationOutcome' && outcome.issue[0].severity === 'warning'));
  t.match(errors.map((outcome) => outcome.issue[0].diagnostics).join('\n'), /includeAssociatedData[\s\S]*Organization|Organization[\s\S]*includeAssociatedData/);
});

t.test('status and file URLs of unknown jobs are 404 (IG 2.0 "Bulk Data Status Request")', async (t) => {
  for (const url of ['/fhir/$bulk-status/00000000-0000-0000-0000-000000000000', '/fhir/$bulk-status/not-a-job', '/fhir/$bulk-file/00000000-0000-0000-0000-000000000000/Patient.ndjson']) {
    const response = await app.inject({ method: 'GET', url });
    t.equal(response.statusCode, 404, url);
    t.equal(firstIssue(response.body).errorCode, 'not-found');
  }
  const kickOff = await app.inject({ method: 'GET', url: '/fhir/$export?_type=Patient', headers: ASYNC_HEADERS });
  const statusUrl = kickOff.headers['content-location'] as string;
  await waitForCompletion(app, statusUrl);
  const jobId = path.basename(statusUrl);
  for (const file of ['Observation.ndjson', '..%2Fjob.json', 'job.json']) {
    const response = await app.inject({ method: 'GET', url: `/fhir/$bulk-file/${jobId}/${file}` });
    t.equal(response.statusCode, 404, `${file} is not an output of the job`);
  }
});

t.test('the requester\'s access rules (SMART conditions on the request) bound every query of the job', async (t) => {
  const { bulkExport } = await import('../../src/interactions/operations/export.js');
  const result = await bulkExport(server.ctx, {
    baseUrl: 'http://localhost:80/fhir', method: 'GET', query: { _type: ['Patient,Observation'] }, headers: {}, prefer: { respondAsync: true },
    accessConditions: [{ kind: 'id', ids: ['p2', 'o2', 'o3'] }],
  });
  t.equal(result.status, 202);
  const done = await waitForCompletion(app, result.headers['content-location']!);
  const manifest = JSON.parse(done.body);
  t.same(manifest.output.map((o: any) => [o.type, o.count]), [['Patient', 1], ['Observation', 2]]);
});
