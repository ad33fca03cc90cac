/**
 * A worker thread of the import command's preparation pool (import-pool.ts): builds the same definitions,
 * validator and search parameter registry as the server (pristine parameters only: the pool is used only
 * when the store holds no custom SearchParameter) and prepares the chunks it is sent (import-prepare.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadDefinitions } from '../fhir/definitions.js';
import { createValidator } from '../fhir/validation.js';
import { createSearchParameterRegistry } from '../search/registry.js';
import { prepareChunkToSend, type PrepareOptions, type PrepareTools } from './import-prepare.js';
import type { NdjsonText } from './ndjson-reader.js';

export interface WorkerRequest { id: number; lines: NdjsonText[]; options: PrepareOptions }

const { baseUrls } = workerData as { baseUrls: string[] };
const definitions = await loadDefinitions();
const registry = createSearchParameterRegistry(definitions, { baseUrls });
const tools: PrepareTools = {
  validator: createValidator(definitions), extract: (resource) => registry.extract(resource), resourceTypes: definitions.resourceTypes,
};

parentPort!.on('message', (request: WorkerRequest) => {
  try {
    parentPort!.postMessage({ id: request.id, prepared: prepareChunkToSend(tools, request.lines, request.options) });
  } catch (error) {
    parentPort!.postMessage({ id: request.id, error: (error as Error)?.stack ?? String(error) });
  }
});
parentPort!.postMessage({ ready: true });
