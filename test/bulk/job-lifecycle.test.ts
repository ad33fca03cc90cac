// Bulk Data Access IG 2.0 (http://hl7.org/fhir/uv/bulkdata/STU2/export.html): the life of an export job —
// "Bulk Data Status Request" while in progress (202, X-Progress, Retry-After), "Bulk Data Delete Request"
// (202, then 404 and the files gone), a job failure (5xx with an OperationOutcome), and a job that survives
// a server restart and completes with every resource exactly once.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  ASYNC_HEADERS, firstIssue, ndjsonLines, pathOf, putResources, savedJob, startBulkServer, tempDir, waitForCompletion,
} from './bulk-server.js';

const PATIENTS = 30;
const patients = Array.from({ length: PATIENTS }, (_, n) => ({ resourceType: 'Patient', id: `pt-${n}`, gender: n % 2 ? 'female' : 'male' }));
const slow = { pageSize: 1, pageDelayMs: 25, checkpointMs: 0 };

async function kickOff(app: FastifyInstance, url: string): Promise<string> {
  const response = await app.inject({ method: 'GET', url, headers: ASYNC_HEADERS });
  if (response.statusCode !== 202) throw new Error(`kick-off ${url}: ${response.statusCode} ${response.body}`);
  return response.headers['content-location'] as string;
}

/** polls until X-Progress reports at least `count` resources exported; returns every in-progress reply seen */
async function waitForProgress(app: FastifyInstance, statusUrl: string, count: number) {
  const seen: { status: number; progress?: string; retryAfter?: string }[] = [];
  for (let attempt = 0; attempt < 500; attempt++) {
    const response = await app.inject({ method: 'GET', url: pathOf(statusUrl) });
    seen.push({ status: response.statusCode, progress: response.headers['x-progress'] as string, retryAfter: response.headers['retry-after'] as string });
    const done = Number(/\((\d+) of/.exec(String(response.headers['x-progress']))?.[1] ?? -1);
    if (response.statusCode !== 202 || done >= count) return seen;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no progress');
}

t.test('in progress: 202 with X-Progress and Retry-After, then the manifest (IG 2.0 "Response - In-Progress Status")', async (t) => {
  const dataDir = tempDir('fhir-bulk-progress-');
  const server = await startBulkServer(dataDir, slow);
  t.teardown(async () => { await server.close(); fs.rmSync(dataDir, { recursive: true, force: true }); });
  await putResources(server.ctx, patients);
  const statusUrl = await kickOff(server.app, '/fhir/$export?_type=Patient');
  const seen = await waitForProgress(server.app, statusUrl, 5);
  const running = seen.filter((reply) => reply.status === 202);
  t.ok(running.length > 0, 'polled while the job ran');
  for (const reply of running) {
    t.equal(reply.retryAfter, '1', 'Retry-After in seconds');
    t.match(reply.progress, /^(queued|planning the export|\d+% \(\d+ of 30 resources exported\))$/, `X-Progress "${reply.progress}"`);
  }
  t.ok(running.some((reply) => /^\d+% \([1-9]\d* of 30/.test(reply.progress ?? '')), 'X-Progress counts exported resources');
  const done = await waitForCompletion(server.app, statusUrl);
  t.equal(done.statusCode, 200);
  t.same(JSON.parse(done.body).output.map((o: any) => [o.type, o.count]), [['Patient', PATIENTS]]);
});

t.test('DELETE on the status URL cancels: 202, the files go, polling is 404 (IG 2.0 "Bulk Data Delete Request")', async (t) => {
  const dataDir = tempDir('fhir-bulk-cancel-');
  const server = await startBulkServer(dataDir, slow);
  t.teardown(async () => { await server.close(); fs.rmSync(dataDir, { recursive: true, force: true }); });
  await putResources(server.ctx, patients);
  const running = await kickOff(server.app, '/fhir/$export?_type=Patient');
  const queued = await kickOff(server.app, '/fhir/Patient/$export');
  await waitForProgress(server.app, running, 2);
  const cases = [{ name: 'a running job', statusUrl: running }, { name: 'a queued job', statusUrl: queued }];
  for (const c of cases) {
    const jobDir = path.join(dataDir, 'bulk', path.basename(c.statusUrl));
    t.ok(fs.existsSync(jobDir), `${c.name}: its folder exists before`);
    const cancel = await server.app.inject({ method: 'DELETE', url: pathOf(c.statusUrl) });
    t.equal(cancel.statusCode, 202, `${c.name}: 202 Accepted`);
    t.equal(JSON.parse(cancel.body).issue[0].code, 'informational');
    t.notOk(fs.existsSync(jobDir), `${c.name}: its files are removed`);
    const poll = await server.app.inject({ method: 'GET', url: pathOf(c.statusUrl) });
    t.equal(poll.statusCode, 404, `${c.name}: polling after the delete is 404`);
    t.equal(firstIssue(poll.body).errorCode, 'not-found');
    const again = await server.app.inject({ method: 'DELETE', url: pathOf(c.statusUrl) });
    t.equal(again.statusCode, 404, `${c.name}: a second DELETE is 404`);
  }
  const next = await kickOff(server.app, '/fhir/$export?_type=Patient');
  t.equal((await waitForCompletion(server.app, next)).statusCode, 200, 'the runner carries on with new jobs');
});

t.test('a job that fails is a 500 with an OperationOutcome (IG 2.0 "Response - Error Status")', async (t) => {
  const dataDir = tempDir('fhir-bulk-failure-');
  const server = await startBulkServer(dataDir, slow);
  t.teardown(async () => { await server.close(); fs.rmSync(dataDir, { recursive: true, force: true }); });
  await putResources(server.ctx, [...patients.slice(0, 5), { resourceType: 'Group', id: 'g', type: 'person', actual: true, member: [{ entity: { reference: 'Patient/pt-1' } }] }]);
  const first = await kickOff(server.app, '/fhir/$export?_type=Patient');
  const groupExport = await kickOff(server.app, '/fhir/Group/g/$export');
  t.equal((await server.app.inject({ method: 'DELETE', url: '/fhir/Group/g' })).statusCode < 300, true, 'the Group goes while its export waits');
  await waitForCompletion(server.app, first);
  const failed = await waitForCompletion(server.app, groupExport);
  t.equal(failed.statusCode, 500);
  t.match(failed.headers['content-type'], /^application\/fhir\+json/);
  const outcome = JSON.parse(failed.body);
  t.equal(outcome.resourceType, 'OperationOutcome');
  t.equal(outcome.issue[0].code, 'exception');
  t.match(outcome.issue[0].diagnostics, /Group\/g is not known/);
});

t.test('a job survives a restart: it resumes from its checkpoint and completes, each resource once', async (t) => {
  const dataDir = tempDir('fhir-bulk-restart-');
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const first = await startBulkServer(dataDir, slow);
  await putResources(first.ctx, [...patients, { resourceType: 'Organization', id: 'org', name: 'H' }]);
  const statusUrl = await kickOff(first.app, '/fhir/$export?_type=Patient,Organization');
  await waitForProgress(first.app, statusUrl, 7);
  await first.close();

  const jobId = path.basename(statusUrl);
  const saved = await savedJob(dataDir, jobId);
  t.match(saved, { state: 'running', leased: false }, 'left running in the database, released for any node to resume');
  t.equal(saved.owner, undefined);
  const position = saved.payload.progress.positions.Patient;
  t.ok(position.count >= 7 && position.count < PATIENTS, `stopped part-way (${position.count} of ${PATIENTS})`);
  t.ok(position.cursor, 'with the cursor to carry on from');
  fs.appendFileSync(path.join(dataDir, 'bulk', jobId, 'Patient.ndjson'), '{"resourceType":"Patient","id":"written-after-the-checkpoint"}\n');

  const second = await startBulkServer(dataDir);
  t.teardown(() => second.close());
  const done = await waitForCompletion(second.app, statusUrl);
  t.equal(done.statusCode, 200, done.body);
  const manifest = JSON.parse(done.body);
  t.same(manifest.output.map((o: any) => [o.type, o.count]), [['Patient', PATIENTS], ['Organization', 1]]);
  const lines = ndjsonLines((await second.app.inject({ method: 'GET', url: pathOf(manifest.output[0].url) })).body);
  t.same(lines.map((p) => p.id).sort(), patients.map((p) => p.id).sort(), 'every patient exactly once; bytes past the checkpoint were cut');
});
