/**
 * $import kick-off (`POST [base]/$import`, asynchronous like $export: Bulk Data Access IG 2.0 async
 * pattern). The body names NDJSON inputs, either as a Parameters resource
 *   { parameter: [{ name: "input", part: [{ name: "type", valueCode }, { name: "url", valueUri }] }, ...] }
 * or as a ping-and-pull manifest { "inputFormat": "application/fhir+ndjson", "input": [{ "type", "url" }] }.
 * Inputs are `file://` URLs inside the import directory (bulkImportDirectory: no outbound HTTP is ever
 * made); each is checked here (scheme, directory, existence, type), so a bad request is a 400 at once.
 */
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FhirError } from '../../fhir/errors.js';
import type { Resource } from '../../fhir/types.js';
import { bulkImportDirectory, newJobId, type ImportInput, type ImportJob } from '../../jobs/bulk-job.js';
import { startBulkJobRunner } from '../../jobs/bulk-job-runner.js';
import type { InteractionRequest, InteractionResult, ServerContext } from '../types.js';
import { accepted, invalidParameter, NDJSON_FORMATS, parametersEntries, requestUrl, requireRespondAsync } from './bulk-parameters.js';

interface RequestedInput { type?: unknown; url?: unknown }

const MANIFEST_FIELDS = new Set(['inputFormat', 'inputSource', 'input', 'storageDetail']);

function checkFormat(format: unknown): void {
  if (format !== undefined && (typeof format !== 'string' || !NDJSON_FORMATS.has(format.trim()))) {
    throw invalidParameter('inputFormat', `inputFormat "${String(format)}" is not supported; use application/fhir+ndjson`);
  }
}

function partValue(part: Record<string, unknown>): unknown {
  const key = Object.keys(part).find((name) => name.startsWith('value'));
  return key ? part[key] : undefined;
}

/** Parameters form: `input` parameters with `type` and `url` parts; `inputFormat` and `inputSource` allowed. */
function inputsFromParameters(req: InteractionRequest): RequestedInput[] {
  const inputs: RequestedInput[] = [];
  for (const entry of parametersEntries(req.body)) {
    if (entry.name === 'inputFormat') checkFormat(partValue(entry));
    else if (entry.name === 'input') {
      const parts = (Array.isArray(entry.part) ? entry.part : []) as Record<string, unknown>[];
      const input: RequestedInput = {};
      for (const part of parts) if (part?.name === 'type' || part?.name === 'url') input[part.name] = partValue(part);
      inputs.push(input);
    } else if (entry.name !== 'inputSource' && entry.name !== 'storageDetail' && req.prefer.handling !== 'lenient') {
      throw invalidParameter(entry.name!, `$import does not take the parameter "${entry.name}" (it takes input, inputFormat, inputSource)`);
    }
  }
  return inputs;
}

/** Manifest form: `{ inputFormat, inputSource, input: [{ type, url }] }`. */
function inputsFromManifest(req: InteractionRequest, manifest: Record<string, unknown>): RequestedInput[] {
  for (const field of Object.keys(manifest)) {
    if (!MANIFEST_FIELDS.has(field) && req.prefer.handling !== 'lenient') throw invalidParameter(field, `$import does not understand the field "${field}"`);
  }
  checkFormat(manifest.inputFormat);
  if (!Array.isArray(manifest.input)) throw invalidParameter('input', '$import needs "input": [{ "type": ..., "url": "file:///..." }]');
  return manifest.input as RequestedInput[];
}

/** A `file://` URL to a readable file inside the import directory (symbolic links resolved first). */
function localInput(ctx: ServerContext, requested: RequestedInput, index: number): ImportInput {
  const { type, url } = requested;
  if (typeof type !== 'string' || !ctx.definitions.resourceTypes.has(type)) {
    throw invalidParameter('input.type', `input ${index + 1}: type must be a resource type, got "${String(type)}"`);
  }
  if (typeof url !== 'string' || !url.startsWith('file://')) {
    throw invalidParameter('input.url', `input ${index + 1}: url must be a file:// URL inside the import directory (this server fetches nothing over the network), got "${String(url)}"`);
  }
  const root = bulkImportDirectory(ctx.config);
  let resolved: string;
  try {
    resolved = realpathSync(fileURLToPath(url));
  } catch {
    throw invalidParameter('input.url', `input ${index + 1}: ${url} does not name a readable file`);
  }
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    throw invalidParameter('input.url', `input ${index + 1}: the import directory ${root} does not exist on this server`);
  }
  if (!resolved.startsWith(realRoot + path.sep) || !statSync(resolved).isFile()) {
    throw invalidParameter('input.url', `input ${index + 1}: ${url} is not a file inside the import directory ${root}`);
  }
  return { type, url, path: resolved };
}

export async function bulkImport(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  requireRespondAsync(req, '$import');
  const body = req.body as Record<string, unknown> | undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FhirError('invalid-resource', '$import needs a body: a Parameters resource or a manifest with "input"');
  }
  const requested = (body as Resource).resourceType === 'Parameters' ? inputsFromParameters(req) : inputsFromManifest(req, body);
  if (requested.length === 0) throw invalidParameter('input', '$import needs at least one input');
  const inputs = requested.map((input, index) => localInput(ctx, input, index));

  const now = ctx.now().toISOString();
  const job: ImportJob = {
    id: newJobId(), kind: 'import', state: 'queued', createdAt: now, transactionTime: now,
    request: requestUrl(req, '$import'), baseUrl: req.baseUrl, output: [], error: [], inputs,
    progress: {
      inputs: inputs.map(() => ({ linesDone: 0, resources: 0, errors: 0, done: false })),
      errorBytes: 0,
      totalBytes: inputs.reduce((sum, input) => sum + statSync(input.path).size, 0),
      bytesDone: 0,
    },
  };
  await startBulkJobRunner(ctx).submit(job);
  return accepted(req.baseUrl, job.id, '$import');
}
