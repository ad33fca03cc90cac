/** Test support (not a test): an in-process server on a fresh SQLite file in a temp dir. */
import fs from 'node:fs';
import type { TestEngine } from '../storage/postgres-schema.js';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { loadDefinitions } from '../../src/fhir/definitions.js';
import { createValidator, type ResourceValidator } from '../../src/fhir/validation.js';
import type { ServerContext } from '../../src/interactions/types.js';
import { createSearchParameterRegistry, type SearchParameterRegistry } from '../../src/search/registry.js';
import { createStore } from '../../src/storage/create-store.js';
import { attachCustomSearchParameters } from '../../src/search/custom-parameters-store.js';

export const TEST_BASE = 'http://localhost:80/fhir';

let shared: Promise<{ definitions: ServerContext['definitions']; registry: SearchParameterRegistry; validator: ResourceValidator }> | undefined;

function sharedDefinitions() {
  shared ??= loadDefinitions().then((definitions) => ({
    definitions,
    registry: createSearchParameterRegistry(definitions, { baseUrls: [TEST_BASE] }),
    validator: createValidator(definitions),
  }));
  return shared;
}

export interface TestServer {
  app: FastifyInstance;
  ctx: ServerContext;
  /** PUT a fixture resource at its own id; throws with the OperationOutcome when the server refuses it */
  put(resource: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/**
 * `freshRegistry`: a search-parameter registry of this server's own. The shared one is faster to set up,
 * but custom SearchParameters written to one server would reach every other server of the test file.
 */
export async function createTestServer(overrides: Partial<Config> = {}, now?: () => Date, options: { freshRegistry?: boolean } = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-http-test-'));
  const config: Config = { ...loadConfig({}), dataDir, store: 'sqlite', seed: false, ...overrides };
  const shared = await sharedDefinitions();
  const { definitions, validator } = shared;
  const registry = options.freshRegistry ? createSearchParameterRegistry(definitions, { baseUrls: [TEST_BASE] }) : shared.registry;
  const store = await attachCustomSearchParameters(await createStore(config), registry, { dataDir: config.dataDir });
  const ctx: ServerContext = { config, store, definitions, searchParameters: registry, validator, now: now ?? (() => new Date()) };
  const app = buildApp(ctx, { logger: false });
  await app.ready();
  return {
    app,
    ctx,
    async put(resource) {
      const response = await app.inject({ method: 'PUT', url: `/fhir/${resource.resourceType}/${resource.id}`, headers: { 'content-type': FHIR_JSON }, payload: resource });
      if (response.statusCode >= 300) throw new Error(response.body);
    },
    async close() {
      await app.close();
      await store.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const FHIR_JSON = 'application/fhir+json';

export function json(body: string): any {
  return JSON.parse(body);
}

/** The stable error code of the first issue (issue.details.coding[0].code) and its issue code. */
export function firstIssue(body: string): { code?: string; errorCode?: string; diagnostics?: string } {
  const outcome = JSON.parse(body);
  const issue = outcome?.issue?.[0] ?? {};
  return { code: issue.code, errorCode: issue.details?.coding?.[0]?.code, diagnostics: issue.diagnostics };
}

/** A test server on `engine`'s store (testEngines), closed and its PostgreSQL schema dropped at `t`'s teardown. */
export async function createTestServerOn(
  t: { teardown(fn: () => unknown): void }, engine: TestEngine, overrides: Partial<Config> = {}, now?: () => Date,
): Promise<TestServer> {
  const store = engine.store?.();
  const server = await createTestServer(store ? { ...overrides, store: store.url } : overrides, now);
  t.teardown(async () => {
    await server.close();
    await store?.drop();
  });
  return server;
}
