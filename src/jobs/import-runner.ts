/**
 * Loading files into the store through the batch/transaction interactions (the same write path as
 * HTTP: validation, meta, index entries). Used by the import CLI and by $import.
 *
 * Re-runs create no duplicates:
 *  - a POST without ifNoneExist whose resource has an identifier becomes conditional on it
 *    (`ifNoneExist: identifier=system|value`), so a second run, or another file describing the same
 *    organization or practitioner, finds the existing resource instead of creating another;
 *  - a POST without identifier whose fullUrl is urn:uuid:<uuid> becomes PUT Type/<uuid>: the resource keeps
 *    the identity the file gave it and a second run updates it;
 *  - NDJSON lines with an id are PUT Type/id; lines without one are POSTed, conditional on their identifier.
 */
import { readdirSync, statSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FhirError } from '../fhir/errors.js';
import { isValidId } from '../fhir/ids.js';
import type { Resource } from '../fhir/types.js';
import { batchOrTransaction } from '../interactions/bundle-dispatch.js';
import type { InteractionRequest, ServerContext } from '../interactions/types.js';
import { inBatches, readNdjsonFile, type NdjsonLine } from './ndjson-reader.js';

export interface ImportIssue {
  source: string;
  /** "Bundle.entry[3]" or "line 17" */
  location: string;
  status: number;
  diagnostics: string;
  expression?: string[];
}

export interface ImportCounters {
  /** bytes of the current file read so far, for progress */
  onBytes(bytes: number): void;
  onResources(count: number): void;
  onIssue(issue: ImportIssue): void;
  /** after each NDJSON batch is written, with the number of its last line ($import checkpoints here) */
  onChunkDone?(lastLine: number): Promise<void>;
}

const UUID_URN = /^urn:uuid:([0-9a-fA-F-]{36})$/;

/** Synthea convention: hospitalInformation* and practitionerInformation* hold what patient bundles reference. */
function loadRank(file: string): number {
  const name = path.basename(file);
  if (name.startsWith('hospitalInformation')) return 0;
  if (name.startsWith('practitionerInformation')) return 1;
  return 2;
}

/** Every .json / .ndjson file under the given files and folders, shared resources first. */
export function listImportFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (target: string) => {
    const stat = statSync(target);
    if (stat.isDirectory()) {
      for (const name of readdirSync(target).sort()) walk(path.join(target, name));
    } else if (/\.(json|ndjson)$/i.test(target)) files.push(target);
  };
  for (const target of paths) walk(path.resolve(target));
  return files.sort((a, b) => loadRank(a) - loadRank(b) || a.localeCompare(b));
}

function identifierCriteria(resource: Resource): string | undefined {
  const identifiers = resource.identifier;
  const first = Array.isArray(identifiers) ? identifiers.find((i) => i?.system && i?.value) : undefined;
  return first ? `identifier=${encodeURIComponent(first.system)}|${encodeURIComponent(first.value)}` : undefined;
}

interface RawEntry { fullUrl?: string; resource?: Resource; request?: { method?: string; url?: string; ifNoneExist?: string } }

/** Makes a Bundle's creates idempotent (see the module comment); the Bundle is changed in place. */
export function makeIdempotent(bundle: { entry?: RawEntry[] }): void {
  for (const entry of bundle.entry ?? []) {
    const request = entry.request;
    const resource = entry.resource;
    if (!request || !resource || String(request.method).toUpperCase() !== 'POST' || request.ifNoneExist) continue;
    const criteria = identifierCriteria(resource);
    if (criteria) {
      request.ifNoneExist = criteria;
      continue;
    }
    const uuid = entry.fullUrl ? UUID_URN.exec(entry.fullUrl)?.[1] : undefined;
    if (uuid && isValidId(uuid)) {
      request.method = 'PUT';
      request.url = `${resource.resourceType}/${uuid}`;
      resource.id = uuid;
    }
  }
}

function interactionRequest(baseUrl: string, body: unknown): InteractionRequest {
  return { baseUrl, method: 'POST', query: {}, headers: {}, body, prefer: { return: 'minimal' } };
}

function reportEntryFailures(source: string, response: Resource | undefined, counters: ImportCounters, locate: (index: number) => string): number {
  let ok = 0;
  const entries = (response?.entry ?? []) as { response?: { status?: string; outcome?: { issue?: { diagnostics?: string; expression?: string[] }[] } } }[];
  entries.forEach((entry, index) => {
    const status = Number.parseInt(entry.response?.status ?? '0', 10);
    if (status >= 200 && status < 300) {
      ok++;
      return;
    }
    const issue = entry.response?.outcome?.issue?.[0];
    counters.onIssue({ source, location: locate(index), status, diagnostics: issue?.diagnostics ?? `status ${entry.response?.status}`, expression: issue?.expression });
  });
  return ok;
}

function issueFromError(source: string, location: string, error: unknown): ImportIssue {
  if (error instanceof FhirError) {
    return { source, location, status: error.status, diagnostics: error.issues[0]?.diagnostics ?? error.message, expression: error.issues[0]?.expression };
  }
  return { source, location, status: 500, diagnostics: (error as Error)?.message ?? String(error) };
}

/** A .json file: a transaction or batch Bundle, another Bundle (its resources are PUT), or one resource. */
export async function importJsonFile(ctx: ServerContext, baseUrl: string, file: string, counters: ImportCounters): Promise<void> {
  const text = readFileSync(file, 'utf8');
  let document: Resource;
  try {
    document = JSON.parse(text) as Resource;
  } catch (error) {
    counters.onIssue({ source: file, location: 'file', status: 400, diagnostics: `not valid JSON: ${(error as Error).message}` });
    counters.onBytes(Buffer.byteLength(text));
    return;
  }
  let bundle: { resourceType: string; type: string; entry?: RawEntry[] };
  if (document.resourceType === 'Bundle' && (document.type === 'transaction' || document.type === 'batch')) {
    bundle = document as unknown as typeof bundle;
  } else {
    const resources = document.resourceType === 'Bundle'
      ? ((document.entry ?? []) as RawEntry[]).map((entry) => entry.resource).filter((r): r is Resource => Boolean(r))
      : [document];
    bundle = { resourceType: 'Bundle', type: 'transaction', entry: resources.map(writeEntry) };
  }
  makeIdempotent(bundle);
  try {
    const result = await batchOrTransaction(ctx, interactionRequest(baseUrl, bundle));
    const ok = reportEntryFailures(file, result.body, counters, (index) => `Bundle.entry[${index}]`);
    counters.onResources(ok);
  } catch (error) {
    counters.onIssue(issueFromError(file, 'Bundle', error));
  }
  counters.onBytes(Buffer.byteLength(text));
}

function writeEntry(resource: Resource): RawEntry {
  if (typeof resource.id === 'string' && isValidId(resource.id)) {
    return { resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } };
  }
  return { resource, request: { method: 'POST', url: resource.resourceType } };
}

/**
 * NDJSON lines in transactions of `batchSize`; a transaction that fails is replayed as a batch so each
 * line gets its own outcome (the good lines are kept, the bad ones reported with their line number).
 */
export async function importNdjsonLines(
  ctx: ServerContext, baseUrl: string, source: string, lines: AsyncIterable<NdjsonLine>, counters: ImportCounters, batchSize = 1000,
): Promise<void> {
  for await (const chunk of inBatches(lines, batchSize)) {
    const valid = chunk.filter((line) => line.resource !== undefined);
    for (const line of chunk) {
      if (line.error !== undefined) counters.onIssue({ source, location: `line ${line.line}`, status: 400, diagnostics: line.error });
    }
    if (valid.length > 0) await importChunk(ctx, baseUrl, source, valid, counters);
    counters.onBytes(chunk.reduce((sum, line) => sum + line.bytes, 0));
    await counters.onChunkDone?.(chunk[chunk.length - 1].line);
  }
}

async function importChunk(ctx: ServerContext, baseUrl: string, source: string, lines: NdjsonLine[], counters: ImportCounters): Promise<void> {
  const entries = () => lines.map((line) => writeEntry(line.resource!));
  const transactionBundle = { resourceType: 'Bundle', type: 'transaction', entry: entries() };
  makeIdempotent(transactionBundle);
  try {
    await batchOrTransaction(ctx, interactionRequest(baseUrl, transactionBundle));
    counters.onResources(lines.length);
    return;
  } catch (error) {
    if (!(error instanceof FhirError)) throw error;
  }
  const batchBundle = { resourceType: 'Bundle', type: 'batch', entry: entries() };
  makeIdempotent(batchBundle);
  try {
    const result = await batchOrTransaction(ctx, interactionRequest(baseUrl, batchBundle));
    counters.onResources(reportEntryFailures(source, result.body, counters, (index) => `line ${lines[index].line}`));
  } catch (error) {
    counters.onIssue(issueFromError(source, `lines ${lines[0].line}-${lines[lines.length - 1].line}`, error));
  }
}

export async function importNdjsonFile(ctx: ServerContext, baseUrl: string, file: string, counters: ImportCounters, batchSize?: number): Promise<void> {
  await importNdjsonLines(ctx, baseUrl, file, readNdjsonFile(file), counters, batchSize);
}
