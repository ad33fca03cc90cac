/**
 * $reindex jobs shared by two server nodes over one database (docs/scale-out.md "Background jobs"): every
 * node's resumeReindexJobs claims jobs nobody runs, each job runs on exactly one node, any node reports a job's
 * progress, and a job whose node died (its lease lapsed) is completed by the other node from its last page.
 * SQLite here (two stores over one file); the claim statements are the same SQL on PostgreSQL, whose protocol
 * is tested in test/storage/job-store.test.ts and test/bulk/two-nodes.test.ts.
 */
import t from 'tap';
import fs from 'node:fs';
import { createJob, loadJob, resumeReindexJobs, REINDEX_PAGE } from '../../src/interactions/operations/reindex-job.js';
import { putResources, startBulkServer, tempDir } from './bulk-server.js';

const LEASE_MS = 400;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const dataDir = tempDir('fhir-reindex-nodes-');
const a = await startBulkServer(dataDir);
const b = await startBulkServer(dataDir);
t.teardown(async () => {
  await a.close();
  await b.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});
const PATIENTS = REINDEX_PAGE + 50;
await putResources(a.ctx, Array.from({ length: PATIENTS }, (_, n) => ({ resourceType: 'Patient', id: `p${n}`, gender: 'other' })));
await putResources(a.ctx, [{ resourceType: 'Device', id: 'd1', lotNumber: 'L1' }]);

async function completed(id: string, timeoutMs = 30_000) {
  const started = Date.now();
  for (;;) {
    const job = await loadJob(b.ctx, id);
    if (job?.status === 'completed') return job;
    if (Date.now() - started > timeoutMs) throw new Error(`job ${id} not completed: ${JSON.stringify(job)}`);
    await pause(20);
  }
}

t.test('jobs queued on either node run once each, on whichever node claims them; any node reports them', async (t) => {
  const jobs = [];
  for (let n = 0; n < 4; n++) jobs.push(await createJob(n % 2 ? b.ctx : a.ctx, 'system (Device,Patient)', ['Device', 'Patient']));
  const stopA = resumeReindexJobs(a.ctx, () => {}, { pollMs: 20, leaseMs: LEASE_MS });
  const stopB = resumeReindexJobs(b.ctx, () => {}, { pollMs: 20, leaseMs: LEASE_MS });
  t.teardown(async () => { await stopA(); await stopB(); });
  for (const job of jobs) {
    const done = await completed(job.id);
    t.match(done.progress.map((p) => [p.type, p.processed, p.done]), [['Device', 1, true], ['Patient', PATIENTS, true]], `${job.id}: every resource once`);
    t.match(await a.ctx.store.jobs.get(job.id), { state: 'completed', fence: 1 }, `${job.id}: claimed once`);
  }
  const status = await a.app.inject({ method: 'GET', url: `/fhir/$reindex?job=${jobs[1]!.id}` });
  t.equal(status.statusCode, 200, 'GET $reindex?job= on the node that did not create it');
  t.equal(JSON.parse(status.body).parameter.find((p: any) => p.name === 'status').valueCode, 'completed');
});

t.test('the node running a job dies: after its lease the other node resumes from the last page and completes it', async (t) => {
  const job = await createJob(a.ctx, 'Patient', ['Patient']);
  // a node that claimed the job, saved one page, then died: it never renews again
  const claimed = (await a.ctx.store.jobs.claim(job.id, 'node-that-dies', LEASE_MS))!;
  const firstPage = await a.ctx.store.search({ types: ['Patient'], where: [], sort: [{ param: '_id', descending: false }], count: REINDEX_PAGE, total: 'none' });
  const afterOnePage = { ...job, position: { type: 0, cursor: firstPage.nextCursor }, progress: [{ ...job.progress[0]!, processed: REINDEX_PAGE, updated: REINDEX_PAGE }] };
  t.equal(await a.ctx.store.jobs.renew({ id: job.id, owner: 'node-that-dies', fence: claimed.fence }, LEASE_MS, afterOnePage), true);
  const running = await b.app.inject({ method: 'GET', url: `/fhir/$reindex?job=${job.id}` });
  t.equal(running.statusCode, 202, 'in progress while the lease lasts (R4 async pattern)');
  t.match(running.headers['x-progress'], /of \d+ resources/);

  const stopB = resumeReindexJobs(b.ctx, () => {}, { pollMs: 20, leaseMs: LEASE_MS });
  t.teardown(stopB);
  await pause(LEASE_MS / 2);
  t.match(await b.ctx.store.jobs.get(job.id), { owner: 'node-that-dies', fence: 1 }, 'not taken while the lease lasts');
  const done = await completed(job.id);
  t.equal(done.progress[0]!.processed, PATIENTS, 'resumed after the saved page, not from the start');
  t.match(await b.ctx.store.jobs.get(job.id), { state: 'completed', fence: 2 }, 'taken over once');
});

t.test('a node stopping releases its job, which the other node resumes at once', async (t) => {
  const job = await createJob(a.ctx, 'Patient', ['Patient']);
  const stopA = resumeReindexJobs(a.ctx, () => {}, { pollMs: 20, leaseMs: 60_000 });
  for (let attempt = 0; attempt < 500 && (await a.ctx.store.jobs.get(job.id))?.owner === undefined; attempt++) await pause(5);
  await stopA();
  const released = await a.ctx.store.jobs.get(job.id);
  t.match(released, { state: 'running', leased: false }, 'released, not left to a 60 s lease');
  const status = JSON.parse((await b.app.inject({ method: 'GET', url: `/fhir/$reindex?job=${job.id}` })).body);
  t.equal(status.parameter.find((p: any) => p.name === 'status').valueCode, 'stopped', 'reported as stopped while no node runs it');
  const stopB = resumeReindexJobs(b.ctx, () => {}, { pollMs: 20, leaseMs: 60_000 });
  t.teardown(stopB);
  t.equal((await completed(job.id, 5_000)).progress[0]!.processed >= PATIENTS, true, 'completed by the other node well within the lease');
});

t.test('a POST $reindex runs on the node that received it, even while the other node polls for jobs', async (t) => {
  const claimedByA: string[] = [];
  const stopA = resumeReindexJobs(a.ctx, (message) => claimedByA.push(message), { pollMs: 5, leaseMs: LEASE_MS });
  t.teardown(stopA);
  for (let n = 0; n < 3; n++) {
    const response = await b.app.inject({ method: 'POST', url: '/fhir/Patient/$reindex' });
    t.equal(response.statusCode, 200, 'synchronous run (R4 operations.html: POST)');
    const report = JSON.parse(response.body);
    const jobId = report.parameter.find((p: any) => p.name === 'job').valueId;
    t.equal(report.parameter.find((p: any) => p.name === 'processed').valueInteger, PATIENTS);
    t.notOk(claimedByA.some((message) => message.includes(jobId)), 'the polling node never claimed it');
    t.match(await b.ctx.store.jobs.get(jobId), { state: 'completed', fence: 1 });
  }
});
