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
import { prepareChunk, type PrepareOptions, type PreparedLine, type PrepareTools } from './import-prepare.js';
import { inBatches, parseNdjsonLine, readNdjsonFileText, type NdjsonLine, type NdjsonText } from './ndjson-reader.js';

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
  /** POSTs made conditional on their identifier (makeIdempotent) that found a stored resource, which was kept as it was */
  onMatchedByIdentifier?(count: number): void;
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

/**
 * Makes a Bundle's creates idempotent (see the module comment); the Bundle is changed in place. Returns the indexes
 * of the entries made conditional on their identifier, whose outcome tells whether they matched a stored resource.
 */
export function makeIdempotent(bundle: { entry?: RawEntry[] }): number[] {
  const conditionalOnIdentifier: number[] = [];
  for (const [index, entry] of (bundle.entry ?? []).entries()) {
    const request = entry.request;
    const resource = entry.resource;
    if (!request || !resource || String(request.method).toUpperCase() !== 'POST' || request.ifNoneExist) continue;
    const criteria = identifierCriteria(resource);
    if (criteria) {
      request.ifNoneExist = criteria;
      conditionalOnIdentifier.push(index);
      continue;
    }
    const uuid = entry.fullUrl ? UUID_URN.exec(entry.fullUrl)?.[1] : undefined;
    if (uuid && isValidId(uuid)) {
      request.method = 'PUT';
      request.url = `${resource.resourceType}/${uuid}`;
      resource.id = uuid;
    }
  }
  return conditionalOnIdentifier;
}

/** how many of the entries made conditional on their identifier matched a stored resource (200, not 201) */
function reportMatchedByIdentifier(response: Resource | undefined, conditionalOnIdentifier: readonly number[], counters: ImportCounters): void {
  const entries = (response?.entry ?? []) as { response?: { status?: string } }[];
  const matched = conditionalOnIdentifier.filter((index) => entries[index]?.response?.status?.startsWith('200')).length;
  if (matched > 0) counters.onMatchedByIdentifier?.(matched);
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
  if (document.resourceType === 'Bundle' && (document.type === 'transaction' || document.type === 'batch')) {
    // the file asks for its own processing: a transaction stays all or nothing
    await importBundle(ctx, baseUrl, file, document as unknown as ImportBundle, counters);
  } else {
    // a collection (searchset, document...) or one resource: written as one transaction; if that fails, as a batch,
    // so its good resources are kept and each bad one is reported, as an NDJSON chunk is (importChunk)
    const resources = document.resourceType === 'Bundle'
      ? ((document.entry ?? []) as RawEntry[]).map((entry) => entry.resource).filter((r): r is Resource => Boolean(r))
      : [document];
    const bundleOf = (type: 'transaction' | 'batch'): ImportBundle => ({ resourceType: 'Bundle', type, entry: resources.map(writeEntry) });
    if (await importBundle(ctx, baseUrl, file, bundleOf('transaction'), counters, false) === 'refused') {
      await importBundle(ctx, baseUrl, file, bundleOf('batch'), counters);
    }
  }
  counters.onBytes(Buffer.byteLength(text));
}

interface ImportBundle { resourceType: string; type: string; entry?: RawEntry[] }

/**
 * One Bundle through the batch/transaction interaction, its entries' failures reported. 'refused', with nothing
 * reported, when the interaction refused the whole Bundle and `reportRefusal` is false (the caller tries another way);
 * any other failure is reported.
 */
async function importBundle(
  ctx: ServerContext, baseUrl: string, file: string, bundle: ImportBundle, counters: ImportCounters, reportRefusal = true,
): Promise<'done' | 'refused'> {
  const conditionalOnIdentifier = makeIdempotent(bundle);
  try {
    const result = await batchOrTransaction(ctx, interactionRequest(baseUrl, bundle));
    const ok = reportEntryFailures(file, result.body, counters, (index) => `Bundle.entry[${index}]`);
    counters.onResources(ok);
    reportMatchedByIdentifier(result.body, conditionalOnIdentifier, counters);
  } catch (error) {
    if (!reportRefusal && error instanceof FhirError) return 'refused';
    counters.onIssue(issueFromError(file, 'Bundle', error));
  }
  return 'done';
}

function writeEntry(resource: Resource): RawEntry {
  if (typeof resource.id === 'string' && isValidId(resource.id)) {
    return { resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } };
  }
  return { resource, request: { method: 'POST', url: resource.resourceType } };
}

export interface NdjsonImportOptions {
  /** lines per transaction (1000) */
  batchSize?: number;
  /** $import: the type the input declares; a line of another type is an error line */
  declaredType?: string;
}

export function preparerTools(ctx: ServerContext): PrepareTools {
  return { validator: ctx.validator, extract: (resource) => ctx.searchParameters.extract(resource), resourceTypes: ctx.definitions.resourceTypes };
}

/**
 * NDJSON lines in transactions of `batchSize`. A chunk whose lines are all plain PUTs (import-prepare.ts "ready")
 * is written directly, in one transaction; any other chunk, or one whose direct write meets a conflict, goes
 * through the transaction interaction, and if that fails it is replayed as a batch so each line gets its own
 * outcome (the good lines are kept, the bad ones reported with their line number).
 */
export async function importNdjsonLines(
  ctx: ServerContext, baseUrl: string, source: string, lines: AsyncIterable<NdjsonText>, counters: ImportCounters, options: NdjsonImportOptions = {},
): Promise<void> {
  await importChunks(ctx, baseUrl, chunksOf([{ source, lines }], options.batchSize), counters, options);
}

/** Several NDJSON files as one stream of chunks (files of a few hundred lines share chunks' cost as one). */
export async function importNdjsonFiles(ctx: ServerContext, baseUrl: string, files: readonly string[], counters: ImportCounters, options: NdjsonImportOptions = {}): Promise<void> {
  await importChunks(ctx, baseUrl, ndjsonFileChunks(files, options.batchSize), counters, options);
}

/** the files' lines in chunks of `batchSize`, each file opened when reached */
export function ndjsonFileChunks(files: readonly string[], batchSize?: number): AsyncGenerator<SourceChunk> {
  const sources = (function* () {
    for (const file of files) yield { source: file, lines: readNdjsonFileText(file) };
  })();
  return chunksOf(sources, batchSize);
}

export interface SourceChunk { source: string; lines: NdjsonText[] }

async function* chunksOf(sources: Iterable<{ source: string; lines: AsyncIterable<NdjsonText> }>, batchSize = 1000): AsyncGenerator<SourceChunk> {
  for (const { source, lines } of sources) {
    for await (const chunk of inBatches(lines, batchSize)) yield { source, lines: chunk };
  }
}

/** may hold a SearchParameter: a line naming the type, or with an escape that could spell it */
export const mayHoldSearchParameter = (chunk: SourceChunk) => chunk.lines.some((line) => line.text.includes('SearchParameter') || line.text.includes('\\u'));

/**
 * The chunks prepared and written in order on this thread, with the server's validator and registry. Chunks are
 * prepared while earlier ones are being written: on PostgreSQL and MongoDB the write is the database's work in
 * another process, which this thread used to sit idle for (46 % of a 102,000-resource import). The writes stay one
 * after another, in order, each with the time it was prepared at, and each starts as soon as the one before it ends.
 * Preparation runs ahead of the write in flight (WRITES_AHEAD): when a chunk was prepared only while the one before
 * it was written, a chunk ready before that write ended left this thread idle for the rest of it (on PostgreSQL, a
 * third of an import's time). A chunk that may hold a SearchParameter is written before the next is prepared, since it
 * changes how later chunks are indexed.
 */
export async function importChunks(ctx: ServerContext, baseUrl: string, chunks: AsyncIterable<SourceChunk>, counters: ImportCounters, options: NdjsonImportOptions): Promise<void> {
  const tools = preparerTools(ctx);
  let writes: Promise<void> = Promise.resolve();
  /** the chunks handed to the write chain whose write has not ended, oldest first */
  const inFlight: { ended: boolean; end: Promise<void> }[] = [];
  let failed = false;
  let registryMayChange = false;
  try {
    for await (const chunk of chunks) {
      if (registryMayChange) await writes;
      for (;;) {
        while (inFlight[0]?.ended) inFlight.shift();
        if (inFlight.length <= WRITES_AHEAD) break;
        await inFlight[0]!.end;
      }
      const prepared = await prepareBeside(inFlight.length > 0, tools, chunk.lines, { lastUpdated: ctx.now().toISOString(), declaredType: options.declaredType });
      if (failed) break;
      // a failed write stops the chain: no later chunk is written after a gap
      writes = writes.then(() => writeChunk(ctx, baseUrl, chunk, prepared, counters));
      const entry = { ended: false, end: Promise.resolve() };
      entry.end = writes.then(() => undefined, () => { failed = true; }).finally(() => { entry.ended = true; });
      inFlight.push(entry);
      registryMayChange = mayHoldSearchParameter(chunk);
    }
  } catch (error) {
    // reading failed: the chunks handed to the chain are written before the failure is reported, never after
    await writes.catch(() => undefined);
    throw error;
  }
  await writes;
}

/** at most this many chunks in the write chain (one being written, the others prepared and waiting) when another is prepared */
const WRITES_AHEAD = 2;

/** lines per slice of preparation while a write is in flight (~4 ms of work on Synthea resources) */
const PREPARE_SLICE = 50;

/**
 * The chunk's lines prepared; beside a write in flight, in slices with the event loop's turn between them, so each
 * answer the write gets from the database is acted on within a slice rather than after the whole chunk.
 */
async function prepareBeside(writing: boolean, tools: PrepareTools, lines: readonly NdjsonText[], options: PrepareOptions): Promise<PreparedLine[]> {
  if (!writing) return prepareChunk(tools, lines, options);
  const prepared: PreparedLine[] = [];
  for (let start = 0; start < lines.length; start += PREPARE_SLICE) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    prepared.push(...prepareChunk(tools, lines.slice(start, start + PREPARE_SLICE), options));
  }
  return prepared;
}

async function writeChunk(ctx: ServerContext, baseUrl: string, { source, lines }: SourceChunk, prepared: PreparedLine[], counters: ImportCounters): Promise<void> {
  await importPrepared(ctx, baseUrl, source, lines, prepared, counters);
  counters.onBytes(lines.reduce((sum, line) => sum + line.bytes, 0));
  await counters.onChunkDone?.(lines[lines.length - 1]!.line);
}

/** Writes one prepared chunk; true when it went through the interactions and held a SearchParameter. */
export async function importPrepared(
  ctx: ServerContext, baseUrl: string, source: string, chunk: NdjsonText[], prepared: PreparedLine[], counters: ImportCounters,
): Promise<boolean> {
  const ready: ReadyLine[] = [];
  let others = 0;
  prepared.forEach((line, n) => {
    if (line.kind === 'error') counters.onIssue({ source, location: `line ${chunk[n]!.line}`, status: 400, diagnostics: line.error });
    else if (line.kind === 'ready') ready.push(line);
    else others++;
  });
  if (ready.length + others === 0) return false;
  if (others === 0 && ready.length <= ctx.config.maxBundleEntries && distinctTargets(ready) && await writeReady(ctx, ready)) {
    counters.onResources(ready.length);
    return false;
  }
  // the interactions search (conditional references, creates conditional on identifiers): not without lookups
  await ctx.store.buildIndexLookups();
  const valid: NdjsonLine[] = [];
  prepared.forEach((line, n) => {
    if (line.kind === 'error') return;
    const { line: number, bytes, text } = chunk[n]!;
    valid.push({ line: number, bytes, resource: parseNdjsonLine(text, number).resource! });
  });
  await importChunk(ctx, baseUrl, source, valid, counters);
  return valid.some((line) => line.resource?.resourceType === 'SearchParameter');
}

type ReadyLine = Extract<PreparedLine, { kind: 'ready' }>;

/** a transaction may change a resource once: a chunk naming one twice takes the interaction path (and its outcome) */
function distinctTargets(lines: readonly ReadyLine[]): boolean {
  const keys = new Set(lines.map((line) => `${line.resourceType}/${line.id}`));
  return keys.size === lines.length;
}

/** thrown inside writeReady's transaction to roll it back and leave the chunk to the interactions */
class NotDirect extends Error {}

/**
 * The ready lines as PUTs in one transaction: what writeResourceVersion does for each (their resources are already
 * validated, stamped and indexed), with the current versions read once for the chunk. False, with nothing written,
 * when the interactions should decide instead: a version conflict (a resource written meanwhile by another node) or a
 * current version no older than the chunk's time.
 */
async function writeReady(ctx: ServerContext, lines: readonly ReadyLine[]): Promise<boolean> {
  try {
    await ctx.store.withTransaction(async (store) => {
      // delete markers too: a PUT over a deleted resource continues its version numbers
      const current = await store.readMany(lines.map((line) => ({ resourceType: line.resourceType, id: line.id })), { includeDeleted: true });
      const versions = new Map(current.map((version) => [`${version.resourceType}/${version.id}`, version]));
      for (const line of lines) {
        const previous = versions.get(`${line.resourceType}/${line.id}`);
        const resource = line.resource;
        const meta = resource.meta!;
        const lastUpdated = meta.lastUpdated as string;
        if (previous && previous.lastUpdated >= lastUpdated) throw new NotDirect();
        const versionId = (previous?.versionId ?? 0) + 1;
        // the text holds versionId "1": right for a new resource, else serialised again by the store
        const json = versionId === 1 ? line.json : undefined;
        meta.versionId = String(versionId);
        await store.write({
          resourceType: line.resourceType, id: line.id, versionId, lastUpdated, method: 'PUT', resource, json, index: line.index,
          expectedPreviousVersion: previous?.versionId ?? 0,
        });
      }
    });
    return true;
  } catch (error) {
    if (error instanceof NotDirect || error instanceof FhirError) return false;
    throw error;
  }
}

async function importChunk(ctx: ServerContext, baseUrl: string, source: string, lines: NdjsonLine[], counters: ImportCounters): Promise<void> {
  const entries = () => lines.map((line) => writeEntry(line.resource!));
  const transactionBundle = { resourceType: 'Bundle', type: 'transaction', entry: entries() };
  const conditionalOnIdentifier = makeIdempotent(transactionBundle);
  try {
    const result = await batchOrTransaction(ctx, interactionRequest(baseUrl, transactionBundle));
    counters.onResources(lines.length);
    reportMatchedByIdentifier(result.body, conditionalOnIdentifier, counters);
    return;
  } catch (error) {
    if (!(error instanceof FhirError)) throw error;
  }
  const batchBundle = { resourceType: 'Bundle', type: 'batch', entry: entries() };
  const batchConditionalOnIdentifier = makeIdempotent(batchBundle);
  try {
    const result = await batchOrTransaction(ctx, interactionRequest(baseUrl, batchBundle));
    counters.onResources(reportEntryFailures(source, result.body, counters, (index) => `line ${lines[index].line}`));
    reportMatchedByIdentifier(result.body, batchConditionalOnIdentifier, counters);
  } catch (error) {
    counters.onIssue(issueFromError(source, `lines ${lines[0].line}-${lines[lines.length - 1].line}`, error));
  }
}
