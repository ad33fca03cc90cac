/** read (R4 http.html#read) with conditional read If-None-Match / If-Modified-Since (http.html#cread). */
import { FhirError, notFound } from '../fhir/errors.js';
import type { Resource } from '../fhir/types.js';
import { parseSummaryMode, selectElements, summarize } from '../response/summary.js';
import type { FhirStore, StoredVersion } from '../storage/port.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';
import { assertValidId, resultWithStoredText, versionHeaders } from './write-version.js';

/** Access rules (SMART) as search conditions: a resource outside them reads as unknown. */
export async function assertReadable(store: FhirStore, req: InteractionRequest, version: StoredVersion): Promise<void> {
  if (!req.accessConditions || req.accessConditions.length === 0) return;
  const page = await store.search({
    types: [version.resourceType],
    where: [{ kind: 'id', ids: [version.id] }, ...req.accessConditions],
    sort: [], count: 1, total: 'none',
  });
  if (page.items.length === 0) throw notFound(version.resourceType, version.id);
}

export function etagMatches(header: string, versionId: number): boolean {
  return header.split(',').some((tag) => {
    const value = tag.trim();
    return value === '*' || value.replace(/^W\//, '').replace(/"/g, '') === String(versionId);
  });
}

function notModifiedSince(header: string, lastUpdated: string): boolean {
  const since = Date.parse(header);
  if (Number.isNaN(since)) return false;
  // HTTP dates have second precision
  return Math.floor(Date.parse(lastUpdated) / 1000) * 1000 <= since;
}

/**
 * 200 with the version's resource as _summary and _elements shape it (they also apply to read and vread, R4
 * search.html#summary, #elements). Unshaped, the store's JSON text is sent as it is, and `body` parses it only when
 * read: whoever reads `body` (a batch entry, say) gives up the text, so a change made to it is never undone.
 */
export function storedResult(ctx: ServerContext, req: InteractionRequest, headers: Record<string, string>, version: StoredVersion): InteractionResult {
  if (req.query._summary !== undefined || req.query._elements !== undefined) {
    return { status: 200, headers, body: presentResource(ctx, req, version.resource) };
  }
  return resultWithStoredText(200, headers, version);
}

export function presentResource(ctx: ServerContext, req: InteractionRequest, resource: Resource | undefined): Resource | undefined {
  if (!resource) return resource;
  const summary = parseSummaryMode(req.query._summary);
  const elements = req.query._elements?.flatMap((value) => value.split(',')).map((element) => element.trim()).filter(Boolean);
  return selectElements(ctx.definitions, summarize(ctx.definitions, resource, summary), elements);
}

/** The current version as read finds it: 404 when unknown or outside the access rules, 410 (http.html#read) when deleted. */
export async function readCurrent(ctx: ServerContext, req: InteractionRequest, resourceType: string, id: string): Promise<StoredVersion> {
  assertValidId(id);
  const current = await ctx.store.read(resourceType, id);
  if (!current) throw notFound(resourceType, id);
  if (current.deleted) {
    throw new FhirError('gone', `${resourceType}/${id} was deleted (version ${current.versionId})`, { headers: versionHeaders(current) });
  }
  await assertReadable(ctx.store, req, current);
  return current;
}

export async function read(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const current = await readCurrent(ctx, req, req.resourceType!, req.id!);
  const headers = versionHeaders(current);
  const ifNoneMatch = req.headers['if-none-match'];
  const ifModifiedSince = req.headers['if-modified-since'];
  if (ifNoneMatch !== undefined ? etagMatches(ifNoneMatch, current.versionId) : ifModifiedSince !== undefined && notModifiedSince(ifModifiedSince, current.lastUpdated)) {
    return { status: 304, headers };
  }
  return storedResult(ctx, req, headers, current);
}
