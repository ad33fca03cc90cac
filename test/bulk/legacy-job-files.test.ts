// Upgrading from a server that kept jobs as files: Bulk Data jobs in <dataDir>/bulk/<id>/job.json and $reindex
// jobs in <dataDir>/search-index/jobs/<id>.json become job records at the first start (src/jobs/legacy-job-files.ts).
// A completed export keeps answering its status URL with its manifest (Bulk Data IG 2.0 "Response - Complete
// Status"), a queued one runs, a $reindex job left running completes, and each file is renamed *.adopted.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { loadJob, resumeReindexJobs } from '../../src/interactions/operations/reindex-job.js';
import { ndjsonLines, pathOf, putResources, startBulkServer, tempDir, waitForCompletion } from './bulk-server.js';

const dataDir = tempDir('fhir-legacy-jobs-');
t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const seeding = await startBulkServer(dataDir);
await putResources(seeding.ctx, [{ resourceType: 'Patient', id: 'p1' }, { resourceType: 'Patient', id: 'p2' }]);
await seeding.close();

const now = new Date().toISOString();
const common = { createdAt: now, transactionTime: now, baseUrl: 'http://localhost:80/fhir', error: [] };
const completed = randomUUID();
const queued = randomUUID();
const writeJob = (id: string, job: Record<string, unknown>) => {
  fs.mkdirSync(path.join(dataDir, 'bulk', id), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'bulk', id, 'job.json'), JSON.stringify({ id, ...common, ...job }));
};
writeJob(completed, {
  kind: 'export', state: 'completed', request: 'http://localhost:80/fhir/$export?_type=Patient', completedAt: now,
  spec: { level: 'system', types: ['Patient'], typeFilters: [], warnings: [] }, output: [{ type: 'Patient', file: 'Patient.ndjson', count: 1 }],
});
fs.writeFileSync(path.join(dataDir, 'bulk', completed, 'Patient.ndjson'), '{"resourceType":"Patient","id":"old"}\n');
writeJob(queued, { kind: 'export', state: 'queued', request: 'http://localhost:80/fhir/$export?_type=Patient', spec: { level: 'system', types: ['Patient'], typeFilters: [], warnings: [] }, output: [] });
const reindexId = randomUUID();
fs.mkdirSync(path.join(dataDir, 'search-index', 'jobs'), { recursive: true });
fs.writeFileSync(path.join(dataDir, 'search-index', 'jobs', `${reindexId}.json`), JSON.stringify({
  id: reindexId, status: 'running', scope: 'Patient', since: 0, createdAt: now, updatedAt: now, position: { type: 0 },
  progress: [{ type: 'Patient', total: 2, processed: 0, updated: 0, skipped: 0, done: false }], ready: [],
}));

const server = await startBulkServer(dataDir);
t.teardown(() => server.close());

t.test('a completed export still answers its status URL and serves its file', async (t) => {
  const done = await waitForCompletion(server.app, `http://localhost:80/fhir/$bulk-status/${completed}`);
  t.equal(done.statusCode, 200);
  const manifest = JSON.parse(done.body);
  t.same(manifest.output.map((o: any) => [o.type, o.count]), [['Patient', 1]]);
  t.same(ndjsonLines((await server.app.inject({ method: 'GET', url: pathOf(manifest.output[0].url) })).body).map((r) => r.id), ['old']);
  t.ok(fs.existsSync(path.join(dataDir, 'bulk', completed, 'job.json.adopted')), 'job.json renamed');
  t.notOk(fs.existsSync(path.join(dataDir, 'bulk', completed, 'job.json')));
});

t.test('a queued export runs to completion', async (t) => {
  const done = await waitForCompletion(server.app, `http://localhost:80/fhir/$bulk-status/${queued}`);
  t.equal(done.statusCode, 200, done.body);
  t.same(JSON.parse(done.body).output.map((o: any) => [o.type, o.count]), [['Patient', 2]]);
});

t.test('a $reindex job left running completes', async (t) => {
  const stop = resumeReindexJobs(server.ctx, () => {}, { pollMs: 20 });
  t.teardown(stop);
  let job;
  for (let attempt = 0; attempt < 500; attempt++) {
    job = await loadJob(server.ctx, reindexId);
    if (job?.status === 'completed') break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  t.match(job, { status: 'completed', progress: [{ type: 'Patient', processed: 2, done: true }] });
  t.ok(fs.existsSync(path.join(dataDir, 'search-index', 'jobs', `${reindexId}.json.adopted`)));
});
