/**
 * A ServerContext without HTTP, for command-line jobs (import, export) and tests: the same
 * definitions, search parameters, validator and store the server composes in main.ts.
 */
import type { Config } from '../config.js';
import { loadDefinitions } from '../fhir/definitions.js';
import { createValidator } from '../fhir/validation.js';
import type { ServerContext } from '../interactions/types.js';
import { attachCustomSearchParameters } from '../search/custom-parameters-store.js';
import { createSearchParameterRegistry } from '../search/registry.js';
import { createStore } from '../storage/create-store.js';

export function publicBaseUrl(config: Config): string {
  if (config.publicBaseUrl) return config.publicBaseUrl;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}${config.basePath}`;
}

export async function createServerContext(config: Config): Promise<ServerContext> {
  const definitions = await loadDefinitions();
  const searchParameters = createSearchParameterRegistry(definitions, { baseUrls: [publicBaseUrl(config)] });
  const validator = createValidator(definitions);
  // stored custom SearchParameters index what the CLI writes too (search/custom-parameters-store.ts)
  const store = await attachCustomSearchParameters(await createStore(config), searchParameters, { dataDir: config.dataDir });
  return { config, store, definitions, searchParameters, validator, now: () => new Date() };
}
