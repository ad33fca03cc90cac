/**
 * Composition root: config -> definitions -> search parameters -> validator -> store -> app -> seed -> listen.
 * Exits 1 with a clear message when the configuration is invalid or the store cannot be opened.
 */
import pino from 'pino';
import { buildApp } from './app.js';
import { seedDemoHospital } from './cli/seed.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { loadDefinitions } from './fhir/definitions.js';
import { createValidator } from './fhir/validation.js';
import type { ServerContext } from './interactions/types.js';
import { resumeReindexJobs } from './interactions/operations/reindex-job.js';
import { attachCustomSearchParameters, customParametersOf } from './search/custom-parameters-store.js';
import { createSearchParameterRegistry } from './search/registry.js';
import { createStore } from './storage/create-store.js';
import type { FhirStore } from './storage/port.js';

function endpointUrl(config: Config): string {
  if (config.publicBaseUrl) return config.publicBaseUrl;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}${config.basePath}`;
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const log = pino({ level: config.logLevel });
  const definitions = await loadDefinitions();
  const searchParameters = createSearchParameterRegistry(definitions, { baseUrls: [endpointUrl(config)] });
  const validator = createValidator(definitions);
  let store: FhirStore;
  try {
    store = await createStore(config);
  } catch (error) {
    log.fatal({ err: error }, `Could not open the store "${config.store}"`);
    process.stderr.write(`Could not open the store "${config.store}": ${(error as Error).message}\n`);
    process.exit(1);
  }
  // custom SearchParameter resources: installed now, and on every committed write of one (no restart)
  store = await attachCustomSearchParameters(store, searchParameters, { dataDir: config.dataDir });
  const customProblems = customParametersOf(store)?.problems ?? [];
  for (const problem of customProblems) log.warn(`stored SearchParameter not installed: ${problem}`);
  const ctx: ServerContext = { config, store, definitions, searchParameters, validator, now: () => new Date() };
  const app = buildApp(ctx, { logger: log });
  // $reindex jobs a previous run left unfinished continue in the background
  const stopReindexJobs = resumeReindexJobs(ctx, (message) => log.info(message));

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info(`${signal} received, closing`);
    try {
      await app.close();
      await stopReindexJobs();
      await store.close();
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  if (config.seed) await seedDemoHospital(ctx, log);
  await app.listen({
    host: config.host,
    port: config.port,
    listenTextResolver: (address) => `FHIR R4 server listening at ${config.publicBaseUrl ?? `${address}${config.basePath}`}`,
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`Server failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
