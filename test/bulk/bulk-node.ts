/**
 * Test support (not a test): one server node in a process of its own, so a test can kill it (SIGKILL: no
 * shutdown, no release, its lease simply stops being renewed). It opens the store at argv[3] over the data
 * directory argv[2], starts its bulk job runner as node argv[4] with a slow export pace and the lease in
 * argv[5] (ms), kicks off a system $export of Patient and prints "JOB <id>", then runs until killed.
 */
import { loadConfig, type Config } from '../../src/config.js';
import { bulkExport } from '../../src/interactions/operations/export.js';
import { startBulkJobRunner } from '../../src/jobs/bulk-job-runner.js';
import { createServerContext } from '../../src/jobs/server-context.js';

const [dataDir, store, nodeId, leaseMs] = process.argv.slice(2);
const config: Config = { ...loadConfig({}), dataDir: dataDir!, store: store!, seed: false };
const ctx = await createServerContext(config);
startBulkJobRunner(ctx, { pageSize: 1, pageDelayMs: 100, checkpointMs: 0, leaseMs: Number(leaseMs), pollMs: 50, nodeId });
const result = await bulkExport(ctx, {
  baseUrl: 'http://localhost:80/fhir', method: 'GET', query: { _type: ['Patient'] }, headers: {}, prefer: { respondAsync: true },
});
process.stdout.write(`JOB ${String(result.headers['content-location']).split('/').pop()}\n`);
setInterval(() => undefined, 60_000);
