/**
 * Test support (not a test): the full app (buildApp, which registers the operation routes) on a SQLite
 * file in a data directory. A server can be closed and a new one built on the same data directory
 * (restart tests); runOptions start the bulk job runner with test tuning before the routes start it.
 */
import type { Resource } from '../../src/fhir/types.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { batchOrTransaction } from '../../src/interactions/bundle-dispatch.js';
import type { ServerContext } from '../../src/interactions/types.js';
import type { BulkRunnerOptions } from '../../src/jobs/bulk-job.js';
import { startBulkJobRunner } from '../../src/jobs/bulk-job-runner.js';
import { createServerContext } from '../../src/jobs/server-context.js';
import type { JobRecord } from '../../src/storage/job-port.js';
import { createStore } from '../../src/storage/create-store.js';

export const BASE = 'http://localhost:80/fhir';

export interface BulkServer {
  app: FastifyInstance;
  ctx: ServerContext;
  dataDir: string;
  /** closes the app and the store; the data directory stays */
  close(): Promise<void>;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function startBulkServer(dataDir: string, runOptions?: Partial<BulkRunnerOptions>, overrides: Partial<Config> = {}): Promise<BulkServer> {
  const config: Config = { ...loadConfig({}), dataDir, store: 'sqlite', seed: false, ...overrides };
  const ctx = await createServerContext(config);
  if (runOptions) startBulkJobRunner(ctx, runOptions);
  const app = buildApp(ctx, { logger: false });
  await app.ready();
  return {
    app, ctx, dataDir,
    async close() {
      await app.close();
      await ctx.store.close();
    },
  };
}

/** The job record as the database holds it while no server runs (restart tests look at the saved position). */
export async function savedJob(dataDir: string, jobId: string): Promise<JobRecord & { payload: Record<string, any> }> {
  const store = await createStore({ store: 'sqlite', dataDir });
  try {
    const record = await store.jobs.get(jobId);
    if (!record) throw new Error(`no job record ${jobId}`);
    return record as JobRecord & { payload: Record<string, any> };
  } finally {
    await store.close();
  }
}

/** Loads resources with PUT (ids kept) through one transaction. */
export async function putResources(ctx: ServerContext, resources: Record<string, unknown>[]): Promise<void> {
  await batchOrTransaction(ctx, {
    baseUrl: BASE, method: 'POST', query: {}, headers: {}, prefer: { return: 'minimal' },
    body: { resourceType: 'Bundle', type: 'transaction', entry: resources.map((resource) => ({ request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` }, resource })) },
  });
}

export const ASYNC_HEADERS = { accept: 'application/fhir+json', prefer: 'respond-async' };

/** The path of an absolute URL the server handed out (inject takes paths). */
export function pathOf(url: string): string {
  return new URL(url).pathname + new URL(url).search;
}

export async function waitForCompletion(app: FastifyInstance, statusUrl: string, timeoutMs = 60_000): Promise<LightMyRequestResponse> {
  const started = Date.now();
  for (;;) {
    const response = await app.inject({ method: 'GET', url: pathOf(statusUrl) });
    if (response.statusCode !== 202) return response;
    if (Date.now() - started > timeoutMs) throw new Error(`job at ${statusUrl} still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function ndjsonLines(text: string): Record<string, any>[] {
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line));
}

export function firstIssue(body: string): { code?: string; errorCode?: string; diagnostics?: string } {
  const issue = JSON.parse(body)?.issue?.[0] ?? {};
  return { code: issue.code, errorCode: issue.details?.coding?.[0]?.code, diagnostics: issue.diagnostics };
}

/** the resource as any server would store it: without the server-assigned meta.versionId and meta.lastUpdated */
export function withoutServerMeta(resource: Resource): Resource {
  const copy = structuredClone(resource);
  if (copy.meta) {
    delete copy.meta.versionId;
    delete copy.meta.lastUpdated;
    if (Object.keys(copy.meta).length === 0) delete copy.meta;
  }
  return copy;
}
