// $import of NDJSON (application/fhir+ndjson, Bulk Data Access IG 2.0 "Asynchronous Request Pattern" and
// manifest shape; inputs as a Parameters resource or a ping-and-pull manifest of file:// URLs): resources go
// through the import CLI's write path (ids kept, conditional references resolved), each failed line becomes
// an OperationOutcome in the error file, re-imports create no duplicates, and a job survives a restart.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { ASYNC_HEADERS, firstIssue, ndjsonLines, pathOf, savedJob, startBulkServer, tempDir, waitForCompletion, type BulkServer } from './bulk-server.js';

const dataDir = tempDir('fhir-bulk-import-');
const importDir = path.join(dataDir, 'import');
let server: BulkServer;
let app: FastifyInstance;

const patientLines = [
  JSON.stringify({ resourceType: 'Patient', id: 'pi-1', gender: 'female' }),
  JSON.stringify({ resourceType: 'Patient', id: 'pi-2' }),
  JSON.stringify({ resourceType: 'Patient', id: 'pi-3' }),
  JSON.stringify({ resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: 'mrn-4' }] }),
  JSON.stringify({ resourceType: 'Patient', id: 'pi-bad', birthDate: 'not a date' }),
  'this is not json',
  JSON.stringify({ resourceType: 'Observation', id: 'wrong-file', status: 'final', code: { text: 'x' } }),
];
const observationLines = [
  JSON.stringify({ resourceType: 'Observation', id: 'oi-1', status: 'final', code: { text: 'a' }, subject: { reference: 'Patient/pi-1' } }),
  JSON.stringify({ resourceType: 'Observation', id: 'oi-2', status: 'final', code: { text: 'b' }, subject: { reference: 'Patient?identifier=urn:mrn|mrn-4' } }),
];
const patientUrl = () => pathToFileURL(path.join(importDir, 'Patient.ndjson')).href;
const observationUrl = () => pathToFileURL(path.join(importDir, 'Observation.ndjson')).href;

t.before(async () => {
  fs.mkdirSync(importDir, { recursive: true });
  fs.writeFileSync(path.join(importDir, 'Patient.ndjson'), `${patientLines.join('\n')}\n`);
  fs.writeFileSync(path.join(importDir, 'Observation.ndjson'), `${observationLines.join('\n')}\n`);
  server = await startBulkServer(dataDir);
  app = server.app;
});
t.teardown(async () => {
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function kickOff(body: unknown, headers: Record<string, string> = ASYNC_HEADERS) {
  return app.inject({ method: 'POST', url: '/fhir/$import', headers: { ...headers, 'content-type': 'application/fhir+json' }, payload: JSON.stringify(body) });
}

async function count(type: string): Promise<number> {
  return (await server.ctx.store.search({ types: [type], where: [], sort: [], count: 0, total: 'accurate' })).total ?? -1;
}

const parametersBody = () => ({
  resourceType: 'Parameters',
  parameter: [
    { name: 'inputFormat', valueCode: 'application/fhir+ndjson' },
    { name: 'input', part: [{ name: 'type', valueCode: 'Patient' }, { name: 'url', valueUri: patientUrl() }] },
    { name: 'input', part: [{ name: 'type', valueCode: 'Observation' }, { name: 'url', valueUri: observationUrl() }] },
  ],
});

t.test('Parameters kick-off: 202, manifest with counts per input and an error file of OperationOutcomes', async (t) => {
  const response = await kickOff(parametersBody());
  t.equal(response.statusCode, 202, response.body);
  const statusUrl = response.headers['content-location'] as string;
  t.match(statusUrl, /\/fhir\/\$bulk-status\/[0-9a-f-]{36}$/);
  const done = await waitForCompletion(app, statusUrl);
  t.equal(done.statusCode, 200, done.body);
  t.match(done.headers['content-type'], /^application\/json/);
  const manifest = JSON.parse(done.body);
  t.equal(manifest.requiresAccessToken, false);
  t.equal(manifest.request, 'http://localhost:80/fhir/$import');
  t.same(manifest.output, [
    { type: 'Patient', inputUrl: patientUrl(), count: 4 },
    { type: 'Observation', inputUrl: observationUrl(), count: 2 },
  ]);
  t.equal(manifest.error.length, 1);
  t.equal(manifest.error[0].type, 'OperationOutcome');
  t.equal(manifest.error[0].count, 3);
  const file = await app.inject({ method: 'GET', url: pathOf(manifest.error[0].url) });
  t.equal(file.headers['content-type'], 'application/fhir+ndjson');
  const outcomes = ndjsonLines(file.body);
  t.ok(outcomes.every((o) => o.resourceType === 'OperationOutcome' && o.issue[0].severity === 'error'));
  const diagnostics = outcomes.map((o) => o.issue[0].diagnostics as string).sort();
  t.match(diagnostics[0], /Patient\.ndjson line 5: /, 'the invalid resource, by line');
  t.match(diagnostics[1], /Patient\.ndjson line 6: .*not valid JSON/);
  t.match(diagnostics[2], /Patient\.ndjson line 7: .*is a Observation, but the input declares type Patient/);

  t.equal(await count('Patient'), 4);
  t.equal(await count('Observation'), 2);
  const mrn4 = await server.ctx.store.search({ types: ['Patient'], where: [{ kind: 'param', param: 'identifier', index: 'token', values: [{ kind: 'token', op: 'eq', system: 'urn:mrn', code: 'mrn-4' }] }], sort: [], count: 1, total: 'none' });
  const observation = await server.ctx.store.read('Observation', 'oi-2');
  t.equal((observation?.resource?.subject as { reference?: string } | undefined)?.reference, `Patient/${mrn4.items[0]!.id}`, 'the conditional reference was resolved');
  t.equal((await server.ctx.store.read('Patient', 'pi-1'))?.resource?.gender, 'female', 'ids are kept');
});

t.test('manifest kick-off re-imports the same files without duplicates', async (t) => {
  const response = await kickOff({ inputFormat: 'application/fhir+ndjson', inputSource: 'http://source.example', input: [{ type: 'Patient', url: patientUrl() }, { type: 'Observation', url: observationUrl() }] });
  t.equal(response.statusCode, 202, response.body);
  const done = await waitForCompletion(app, response.headers['content-location'] as string);
  t.same(JSON.parse(done.body).output.map((o: any) => o.count), [4, 2]);
  t.equal(await count('Patient'), 4);
  t.equal(await count('Observation'), 2);
});

t.test('kick-off errors are 400 OperationOutcomes and start nothing', async (t) => {
  fs.writeFileSync(path.join(dataDir, 'outside.ndjson'), '');
  const input = (type: unknown, url: unknown) => ({ input: [{ type, url }] });
  const cases: { name: string; body: unknown; headers?: Record<string, string>; diagnostics: RegExp }[] = [
    { name: 'no Prefer: respond-async', body: input('Patient', patientUrl()), headers: { accept: 'application/fhir+json' }, diagnostics: /respond-async/ },
    { name: 'an http URL (no outbound fetches)', body: input('Patient', 'http://example.org/Patient.ndjson'), diagnostics: /file:\/\// },
    { name: 'a file outside the import directory', body: input('Patient', pathToFileURL(path.join(dataDir, 'outside.ndjson')).href), diagnostics: /not a file inside the import directory/ },
    { name: 'a path climbing out of the import directory', body: input('Patient', `file://${importDir}/../outside.ndjson`), diagnostics: /not a file inside the import directory/ },
    { name: 'a file that does not exist', body: input('Patient', pathToFileURL(path.join(importDir, 'missing.ndjson')).href), diagnostics: /does not name a readable file/ },
    { name: 'an unknown type', body: input('Nonsense', patientUrl()), diagnostics: /type must be a resource type/ },
    { name: 'another input format', body: { inputFormat: 'text/csv', input: [{ type: 'Patient', url: patientUrl() }] }, diagnostics: /inputFormat/ },
    { name: 'no inputs', body: { input: [] }, diagnostics: /at least one input/ },
    { name: 'a manifest field it does not know', body: { input: [{ type: 'Patient', url: patientUrl() }], mode: 'replace' }, diagnostics: /mode/ },
    { name: 'a Parameters parameter it does not know', body: { resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'x' }] }, diagnostics: /mode/ },
  ];
  for (const c of cases) {
    const response = await kickOff(c.body, c.headers);
    t.equal(response.statusCode, 400, `${c.name}: 400`);
    t.notOk(response.headers['content-location'], `${c.name}: no job`);
    const issue = firstIssue(response.body);
    t.equal(issue.errorCode, 'invalid-parameter', `${c.name}: error code`);
    t.match(issue.diagnostics, c.diagnostics, `${c.name}: diagnostics`);
  }
  const noBody = await app.inject({ method: 'POST', url: '/fhir/$import', headers: ASYNC_HEADERS });
  t.equal(noBody.statusCode, 400, 'no body');
  t.equal(firstIssue(noBody.body).errorCode, 'invalid-resource');
});

t.test('an import survives a restart and completes without losing or repeating an outcome', async (t) => {
  const restartDir = tempDir('fhir-bulk-import-restart-');
  t.teardown(() => fs.rmSync(restartDir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(restartDir, 'import'));
  const lines = Array.from({ length: 20 }, (_, n) => (n === 12 ? '{broken' : JSON.stringify({ resourceType: 'Patient', id: `r-${n}` })));
  const file = path.join(restartDir, 'import', 'patients.ndjson');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);

  const first = await startBulkServer(restartDir, { importBatchSize: 1, pageDelayMs: 25, checkpointMs: 0 });
  const response = await first.app.inject({
    method: 'POST', url: '/fhir/$import', headers: { ...ASYNC_HEADERS, 'content-type': 'application/json' },
    payload: JSON.stringify({ input: [{ type: 'Patient', url: pathToFileURL(file).href }] }),
  });
  const statusUrl = response.headers['content-location'] as string;
  for (let attempt = 0; attempt < 500; attempt++) {
    const poll = await first.app.inject({ method: 'GET', url: pathOf(statusUrl) });
    t.equal(poll.statusCode, 202, 'still running');
    if (Number(/\((\d+) resources imported/.exec(String(poll.headers['x-progress']))?.[1]) >= 5) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await first.close();
  const record = await savedJob(restartDir, path.basename(statusUrl));
  t.equal(record.state, 'running');
  const saved = record.payload;
  t.ok(saved.progress.inputs[0].linesDone >= 5 && saved.progress.inputs[0].linesDone < 20, `stopped at line ${saved.progress.inputs[0].linesDone}`);

  const second = await startBulkServer(restartDir);
  t.teardown(() => second.close());
  const done = await waitForCompletion(second.app, statusUrl);
  const manifest = JSON.parse(done.body);
  t.same(manifest.output.map((o: any) => o.count), [19]);
  t.same(manifest.error.map((e: any) => e.count), [1], 'the broken line is reported once');
  const outcomes = ndjsonLines((await second.app.inject({ method: 'GET', url: pathOf(manifest.error[0].url) })).body);
  t.equal(outcomes.length, 1);
  t.match(outcomes[0]!.issue[0].diagnostics, /line 13/);
  t.equal((await second.ctx.store.search({ types: ['Patient'], where: [], sort: [], count: 0, total: 'accurate' })).total, 19);
});
