/**
 * Executing one batch/transaction entry once its identity is known (R4 http.html#transaction):
 * the same write steps as the single-resource interactions (write-version.ts), against whatever store
 * the caller passes (the transaction's, for atomicity). Results are Bundle.entry.response shapes.
 */
import { FhirError, notFound } from '../fhir/errors.js';
import type { Resource } from '../fhir/types.js';
import type { StoredVersion } from '../storage/port.js';
import type { ParsedEntry } from './bundle-entries.js';
import { entryExpression } from './bundle-entries.js';
import { checkIfMatch, checkIfNoneMatch } from './update.js';
import { asUnprocessable, patchedResource } from './patch.js';
import { read } from './read.js';
import { vread } from './vread.js';
import { search } from './search.js';
import { history } from './history.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';
import { assertValidId, versionedLocation, writeDeleteVersion, writeResourceVersion } from './write-version.js';

export interface EntryResult {
  status: number;
  location?: string;
  etag?: string;
  lastModified?: string;
  resource?: Resource;
  outcome?: Resource;
}

export const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized',
  403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 410: 'Gone', 412: 'Precondition Failed',
  413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 500: 'Internal Server Error', 501: 'Not Implemented',
};

/** What the server decided an entry targets, before anything is written. */
export interface EntryTarget {
  id: string;
  /**
   * the current version when known before the entry runs: read to decide (conditional create/update/patch), or read
   * together with the other targets of a transaction; null when read and there is none. Undefined: not read yet.
   */
  current?: StoredVersion | null;
  /** a conditional create (ifNoneExist) that matched: nothing is written */
  matchedExisting?: boolean;
}

export function versionResult(baseUrl: string, version: StoredVersion, status: number, withResource: boolean): EntryResult {
  return {
    status,
    location: versionedLocation(baseUrl, version),
    etag: `W/"${version.versionId}"`,
    lastModified: version.lastUpdated,
    resource: withResource ? version.resource : undefined,
  };
}

/** Rethrows any failure as one that names the entry (Bundle.entry[i]) so the client can find it. */
export async function atEntry<T>(entry: ParsedEntry, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof FhirError)) throw error;
    if (error.issues.some((issue) => issue.expression?.some((e) => e.startsWith('Bundle.entry[')))) throw error;
    const prefix = `Bundle.entry[${entry.index}] (${entry.method} ${entry.url})`;
    throw new FhirError(error.code, `${prefix}: ${error.message}`, {
      status: error.status,
      headers: error.headers,
      issues: error.issues.map((issue) => ({
        ...issue,
        diagnostics: `${prefix}: ${issue.diagnostics}`,
        expression: [entryExpression(entry.index), ...(issue.expression ?? []).map((e) => `${entryExpression(entry.index, 'resource')}.${e.replace(/^[A-Z][A-Za-z]+\./, '')}`)],
      })),
    });
  }
}

/** The target's current version (a delete marker counts): the one known already, else read now. */
async function currentVersionOf(ctx: ServerContext, entry: ParsedEntry, target: EntryTarget): Promise<StoredVersion | undefined> {
  if (target.current !== undefined) return target.current ?? undefined;
  return ctx.store.read(entry.resourceType!, target.id);
}

/** request.ifMatch and request.ifNoneMatch of a write entry, as the same headers on the request sent alone */
function checkEntryPreconditions(entry: ParsedEntry, current: StoredVersion | undefined, id = current?.id ?? entry.id): void {
  checkIfMatch(entry.ifMatch, current, `${entry.resourceType}/${id}`);
  checkIfNoneMatch(entry.ifNoneMatch, current, `${entry.resourceType}/${id}`);
}

export async function executeDelete(ctx: ServerContext, baseUrl: string, entry: ParsedEntry, target: EntryTarget | undefined): Promise<EntryResult> {
  if (!target) return { status: 204 };
  const current = await currentVersionOf(ctx, entry, target);
  checkEntryPreconditions(entry, current);
  if (!current || current.deleted) return { status: 204 };
  const version = await writeDeleteVersion(ctx, ctx.store, current);
  return { status: 204, etag: `W/"${version.versionId}"`, lastModified: version.lastUpdated };
}

export async function executeCreate(ctx: ServerContext, baseUrl: string, entry: ParsedEntry, target: EntryTarget, withResource: boolean): Promise<EntryResult> {
  if (target.matchedExisting) {
    // matched before this Bundle, or created by an earlier entry with the same ifNoneExist
    const existing = await currentVersionOf(ctx, entry, target);
    if (!existing) throw notFound(entry.resourceType!, target.id);
    return versionResult(baseUrl, existing, 200, withResource);
  }
  const resource = entry.resource!;
  delete resource.id;
  const version = await writeResourceVersion(ctx, ctx.store, { resource, id: target.id, method: 'POST', previous: undefined });
  return versionResult(baseUrl, version, 201, withResource);
}

export async function executeUpdate(ctx: ServerContext, baseUrl: string, entry: ParsedEntry, target: EntryTarget, withResource: boolean): Promise<EntryResult> {
  assertValidId(target.id);
  const current = await currentVersionOf(ctx, entry, target);
  checkEntryPreconditions(entry, current, target.id);
  const exists = current !== undefined && !current.deleted;
  const version = await writeResourceVersion(ctx, ctx.store, { resource: entry.resource!, id: target.id, method: 'PUT', previous: current });
  return versionResult(baseUrl, version, exists ? 200 : 201, withResource);
}

/** A PATCH entry carries a Binary holding a JSON Patch, or a FHIRPath Patch Parameters (R4 http.html#transaction). */
function patchBody(entry: ParsedEntry): { body: unknown; contentType: string } {
  const resource = entry.resource!;
  if (resource.resourceType === 'Parameters') return { body: resource, contentType: 'application/fhir+json' };
  if (resource.resourceType === 'Binary' && typeof resource.data === 'string') {
    try {
      return { body: JSON.parse(Buffer.from(resource.data, 'base64').toString('utf8')), contentType: String(resource.contentType ?? 'application/json-patch+json') };
    } catch {
      throw new FhirError('invalid-parameter', 'The Binary of a PATCH entry must hold a base64 JSON Patch document', { expression: ['Binary.data'] });
    }
  }
  throw new FhirError('invalid-parameter', 'A PATCH entry resource must be a Parameters (FHIRPath Patch) or a Binary holding a JSON Patch');
}

/**
 * A PATCH entry once its patch is applied: `resource` is the patched resource it writes (no longer the patch
 * document), `patched` the version it patches. From here on it is settled like a POST or PUT entry (its conditional
 * and fullUrl references resolved by transaction.ts and batch.ts, http.html#trules, bundle.html#references), then
 * written by executePatch.
 */
export interface PatchedEntry extends ParsedEntry {
  method: 'PATCH';
  resource: Resource;
  patched: StoredVersion;
}

/** The target's current version (which must exist), checked against ifMatch/ifNoneMatch, with the entry's patch applied. */
export async function applyEntryPatch(ctx: ServerContext, entry: ParsedEntry, target: EntryTarget): Promise<PatchedEntry> {
  const current = await currentVersionOf(ctx, entry, target);
  if (!current) throw notFound(entry.resourceType!, target.id);
  if (current.deleted) throw new FhirError('gone', `${entry.resourceType}/${target.id} was deleted; it cannot be patched`);
  checkEntryPreconditions(entry, current);
  const { body, contentType } = patchBody(entry);
  return { ...entry, method: 'PATCH', resource: patchedResource(current.resource!, body, contentType), patched: current };
}

export function isPatchedEntry(entry: ParsedEntry): entry is PatchedEntry {
  return entry.method === 'PATCH' && 'patched' in entry;
}

export async function executePatch(ctx: ServerContext, baseUrl: string, entry: ParsedEntry, target: EntryTarget, withResource: boolean): Promise<EntryResult> {
  // a PATCH entry is written once its patch is applied and its references settled
  if (!isPatchedEntry(entry)) throw new Error(`Bundle.entry[${entry.index}]: executePatch takes the entry applyEntryPatch returns`);
  const version = await writeResourceVersion(ctx, ctx.store, { resource: entry.resource, id: target.id, method: 'PATCH', previous: entry.patched })
    .catch((error: unknown) => { throw asUnprocessable(error); });
  return versionResult(baseUrl, version, 200, withResource);
}

/** GET/HEAD entries run the ordinary read, vread, search and history interactions. */
export async function executeGet(ctx: ServerContext, parent: InteractionRequest, entry: ParsedEntry): Promise<EntryResult> {
  const headers: Record<string, string | undefined> = { ...parent.headers };
  delete headers['if-match'];
  headers['if-none-match'] = entry.ifNoneMatch;
  headers['if-modified-since'] = entry.ifModifiedSince;
  const request: InteractionRequest = {
    ...parent, method: 'GET', resourceType: entry.resourceType, id: entry.id, versionId: entry.versionId,
    query: entry.query, headers, body: undefined, prefer: { ...parent.prefer, return: 'representation' },
  };
  let result: InteractionResult;
  if (entry.operation) throw new FhirError('not-supported', `Operations (${entry.operation}) are not supported inside a Bundle`);
  else if (entry.versionId) result = await vread(ctx, request);
  else if (entry.id && entry.url.includes('/_history')) result = await history(ctx, request);
  else if (entry.id) result = await read(ctx, request);
  else if (entry.url.includes('_history')) result = await history(ctx, request);
  else result = await search(ctx, request);
  return {
    status: result.status,
    etag: result.headers.etag,
    lastModified: await lastModifiedOf(ctx, entry, result),
    location: result.headers.location,
    // HEAD is GET without the body (RFC 7231 section 4.3.2)
    resource: entry.method === 'HEAD' ? undefined : result.body,
  };
}

/**
 * The instant of the version read (bundle.html: Bundle.entry.response.lastModified), with the milliseconds that the
 * HTTP date header drops: from the body's meta.lastUpdated, or for a 304, which has no body, from the current version.
 */
async function lastModifiedOf(ctx: ServerContext, entry: ParsedEntry, result: InteractionResult): Promise<string | undefined> {
  const body = result.body;
  const isResource = body !== undefined && body.resourceType !== 'Bundle' && body.resourceType !== 'OperationOutcome';
  if (isResource && body.meta?.lastUpdated) return body.meta.lastUpdated;
  if (result.status === 304) return (await ctx.store.read(entry.resourceType!, entry.id!))?.lastUpdated;
  const header = result.headers['last-modified'];
  return header ? new Date(header).toISOString() : undefined;
}
