// Two server nodes over one database and one shared data directory (docs/scale-out.md "Background jobs"):
// Bulk Data jobs (Bulk Data Access IG 2.0, export.html) are claimed by exactly one node; any node answers the
// "Bulk Data Status Request" (202 + X-Progress while in progress, 200 + manifest when complete) and the
// "Bulk Data Delete Request" (202, then 404) for a job another node runs; and when the node running a job dies,
// another node takes it over once the lease lapses and completes it, each resource exactly once.
// Runs on SQLite (one file) and, when FHIR_TEST_POSTGRES_URL is set, on PostgreSQL (a fresh schema, dropped after).
import t from 'tap';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Config } from '../../src/config.js';
import type { BulkRunnerOptions } from '../../src/jobs/bulk-job.js';
import { createStore } from '../../src/storage/create-store.js';
import type { FhirStore } from '../../src/storage/port.js';
import {
  ASYNC_HEADERS, firstIssue, ndjsonLines, pathOf, putResources, startBulkServer, tempDir, waitForCompletion, type BulkServer,
} from './bulk-server.js';

const PATIENTS = 40;
const patients = Array.from({ length: PATIENTS }, (_, n) => ({ resourceType: 'Patient', id: `pt-${String(n).padStart(2, '0')}` }));
const LEASE_MS = 600;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Engine { name: string; store(dataDir: string): Promise<{ store: string; drop(): Promise<void> }> }

const engines: Engine[] = [{ name: 'SQLite', store: async () => ({ store: 'sqlite', drop: async () => undefined }) }];
const postgresUrl = process.env.FHIR_TEST_POSTGRES_URL;
if (postgresUrl) {
  engines.push({
    name: 'PostgreSQL',
    store: async () => {
      const schema = `two_nodes_${process.pid}_${Date.now().toString(36)}`;
      const parsed = new URL(postgresUrl);
      parsed.searchParams.set('schema', schema);
      return {
        store: parsed.toString(),
        drop: async () => {
          const client = new pg.Client({ connectionString: postgresUrl });
          await client.connect();
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await client.end();
        },
      };
    },
  });
} else {
  t.comment('FHIR_TEST_POSTGRES_URL is not set: the two-node tests ran on SQLite only, NOT on PostgreSQL');
}

async function kickOff(server: BulkServer, url: string): Promise<string> {
  const response = await server.app.inject({ method: 'GET', url, headers: ASYNC_HEADERS });
  if (response.statusCode !== 202) throw new Error(`kick-off ${url}: ${response.statusCode} ${response.body}`);
  return response.headers['content-location'] as string;
}

async function exportedIds(server: BulkServer, statusUrl: string): Promise<string[]> {
  const manifest = JSON.parse((await waitForCompletion(server.app, statusUrl)).body);
  const ids: string[] = [];
  for (const output of manifest.output) ids.push(...ndjsonLines((await server.app.inject({ method: 'GET', url: pathOf(output.url) })).body).map((r) => r.id));
  return ids.sort();
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await pause(20);
  }
}

for (const engine of engines) {
  t.test(`${engine.name}: two nodes in one process`, async (t) => {
    const dataDir = tempDir('fhir-two-nodes-');
    const { store, drop } = await engine.store(dataDir);
    const overrides: Partial<Config> = { store };
    const timing = (nodeId: string): Partial<BulkRunnerOptions> => ({ pageSize: 1, pageDelayMs: 10, checkpointMs: 0, leaseMs: LEASE_MS, pollMs: 30, nodeId });
    const a = await startBulkServer(dataDir, timing('node-a'), overrides);
    const b = await startBulkServer(dataDir, timing('node-b'), overrides);
    t.teardown(async () => {
      await a.close();
      await b.close();
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    await putResources(a.ctx, patients.slice(0, 8));

    t.test('each job is run by exactly one node; the other node answers its status', async (t) => {
      const statusUrls: string[] = [];
      for (let n = 0; n < 4; n++) statusUrls.push(await kickOff(n % 2 ? b : a, '/fhir/$export?_type=Patient'));
      for (const [n, statusUrl] of statusUrls.entries()) {
        const other = n % 2 ? a : b;
        t.same(await exportedIds(other, statusUrl), patients.slice(0, 8).map((p) => p.id), `job ${n + 1}: complete, each resource once, read through the node that did not take the kick-off`);
        const record = await a.ctx.store.jobs.get(path.basename(statusUrl));
        t.match(record, { state: 'completed', fence: 1 }, `job ${n + 1}: claimed once`);
      }
    });

    t.test('DELETE on one node stops the job the other node runs (IG 2.0 "Bulk Data Delete Request")', async (t) => {
      await putResources(a.ctx, patients);
      const statusUrl = await kickOff(a, '/fhir/$export?_type=Patient');
      const jobId = path.basename(statusUrl);
      const runner = await until('a node to claim the job', async () => (await a.ctx.store.jobs.get(jobId))?.owner);
      const [owner, other] = runner === 'node-a' ? [a, b] : [b, a];
      await until('progress', async () => {
        const poll = await other.app.inject({ method: 'GET', url: pathOf(statusUrl) });
        return /\(([1-9]\d*) of/.test(String(poll.headers['x-progress'])) ? true : undefined;
      });
      const cancel = await other.app.inject({ method: 'DELETE', url: pathOf(statusUrl) });
      t.equal(cancel.statusCode, 202, 'cancelled through the node that does not run it');
      t.equal((await a.ctx.store.jobs.get(jobId))?.state, 'cancelled');
      await pause(200);
      t.notOk(fs.existsSync(path.join(dataDir, 'bulk', jobId)), 'the files are gone and the owner did not write them again');
      for (const node of [owner, other]) {
        const poll = await node.app.inject({ method: 'GET', url: pathOf(statusUrl) });
        t.equal(poll.statusCode, 404, 'polling is 404 on either node');
        t.equal(firstIssue(poll.body).errorCode, 'not-found');
      }
      const next = await kickOff(owner, '/fhir/$export?_type=Patient&_since=2000-01-01T00:00:00Z');
      t.equal((await waitForCompletion(owner.app, next)).statusCode, 200, 'the owner stopped the cancelled job and runs the next one');
    });
  });

  t.test(`${engine.name}: the node running a job dies; another node takes it over after the lease and completes it`, async (t) => {
    const dataDir = tempDir('fhir-node-dies-');
    const { store, drop } = await engine.store(dataDir);
    t.teardown(async () => {
      await drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    const seeding = await startBulkServer(dataDir, undefined, { store });
    await putResources(seeding.ctx, patients);
    await seeding.close();

    const script = fileURLToPath(new URL('./bulk-node.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, dataDir, store, 'node-a', String(LEASE_MS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    t.teardown(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    let output = '';
    child.stdout.on('data', (chunk) => { output += String(chunk); });
    const jobId = await until('the child node to kick off', async () => /JOB ([0-9a-f-]{36})/.exec(output)?.[1], 120_000);

    const observer: FhirStore = await createStore({ store, dataDir });
    t.teardown(() => observer.close());
    await until('node-a to claim its job', async () => ((await observer.jobs.get(jobId))?.owner === 'node-a' ? true : undefined));
    const b = await startBulkServer(dataDir, { pageSize: 5, checkpointMs: 0, leaseMs: LEASE_MS, pollMs: 30, nodeId: 'node-b' }, { store });
    t.teardown(() => b.close());
    const statusUrl = `http://localhost:80/fhir/$bulk-status/${jobId}`;
    await until('node-a to export a few resources', async () => {
      const poll = await b.app.inject({ method: 'GET', url: pathOf(statusUrl) });
      t.equal(poll.statusCode, 202);
      return Number(/\((\d+) of/.exec(String(poll.headers['x-progress']))?.[1] ?? 0) >= 3 ? true : undefined;
    });
    await pause(3 * LEASE_MS);
    t.match(await observer.jobs.get(jobId), { owner: 'node-a', fence: 1, leased: true }, 'node-b, polling all along, never took a job whose owner renews its lease');

    child.kill('SIGKILL');
    await exited;
    const before = (await observer.jobs.get(jobId))!.payload as { progress: { positions: { Patient: { count: number } } } };
    t.ok(before.progress.positions.Patient.count < PATIENTS, `node-a died part-way (${before.progress.positions.Patient.count} of ${PATIENTS})`);
    fs.appendFileSync(path.join(dataDir, 'bulk', jobId, 'Patient.ndjson'), '{"resourceType":"Patient","id":"half-written-by-the-dead-node"}\n');

    t.same(await exportedIds(b, statusUrl), patients.map((p) => p.id), 'completed by node-b, each resource exactly once');
    t.match(await observer.jobs.get(jobId), { state: 'completed', fence: 2 }, 'claimed a second time, by node-b');
  });
}
