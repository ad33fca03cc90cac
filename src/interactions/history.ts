/** history at instance, type and system level (R4 http.html#history) with _since, _at, _count and paging. */
import { FhirError } from '../fhir/errors.js';
import type { Resource } from '../fhir/types.js';
import { historyBundle, versionKey } from '../response/bundle.js';
import { decodeCursor, pagingLinks, recordToPairs } from '../response/paging.js';
import type { FhirStore, StoredVersion } from '../storage/port.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';
import { assertValidId } from './write-version.js';

const HISTORY_PARAMETERS = new Set(['_since', '_at', '_count', '_cursor', '_format', '_pretty', '_total', '_list']);

function lastValue(query: Record<string, string[]>, name: string): string | undefined {
  const values = query[name];
  return values?.[values.length - 1];
}

function instantParameter(query: Record<string, string[]>, name: string): number | undefined {
  const value = lastValue(query, name);
  if (value === undefined) return undefined;
  const instant = /^\d{4}(-\d{2}(-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?)?)?$/.test(value) ? Date.parse(value.length === 4 ? `${value}-01-01` : value.length === 7 ? `${value}-01` : value) : NaN;
  if (Number.isNaN(instant)) throw new FhirError('invalid-parameter', `${name} "${value}" is not a FHIR instant such as 2024-01-31T12:00:00Z`, { expression: [name] });
  return instant;
}

export function countParameter(query: Record<string, string[]>, defaultCount: number, maxCount: number): number {
  const value = lastValue(query, '_count');
  if (value === undefined) return defaultCount;
  if (!/^\d+$/.test(value)) throw new FhirError('invalid-count', `_count "${value}" is not a non-negative integer`, { expression: ['_count'] });
  return Math.min(Number(value), maxCount);
}

/**
 * Versions on the page written over a delete: their write answered 201 Created (R4 http.html#update), which
 * the entry's response.status must say. The version before is looked for on the page, else read.
 */
async function recreatedVersions(store: FhirStore, versions: StoredVersion[]): Promise<Set<string>> {
  const onPage = new Map(versions.map((version) => [versionKey(version), version]));
  const recreated = new Set<string>();
  for (const version of versions) {
    if (version.deleted || version.method === 'POST' || version.versionId === 1) continue;
    const before = { resourceType: version.resourceType, id: version.id, versionId: version.versionId - 1 };
    const previous = onPage.get(versionKey(before)) ?? await store.vread(before.resourceType, before.id, before.versionId);
    if (previous?.deleted) recreated.add(versionKey(version));
  }
  return recreated;
}

export async function history(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  if (!(req.prefer.handling === 'lenient')) {
    const unknown = Object.keys(req.query).find((name) => !HISTORY_PARAMETERS.has(name));
    if (unknown) throw new FhirError('unknown-search-parameter', `History does not support the parameter "${unknown}" (supported: _since, _at, _count)`, { expression: [unknown] });
  }
  if (req.id !== undefined) assertValidId(req.id);
  const since = instantParameter(req.query, '_since');
  const at = instantParameter(req.query, '_at');
  const count = countParameter(req.query, ctx.config.defaultCount, ctx.config.maxCount);
  const cursor = decodeCursor(req.query._cursor);
  const wantsTotal = lastValue(req.query, '_total') === 'accurate';
  if (req.id !== undefined) {
    const current = await ctx.store.read(req.resourceType!, req.id);
    if (!current) throw new FhirError('not-found', `Resource ${req.resourceType}/${req.id} is not known`);
  }
  const page = await ctx.store.history({
    resourceType: req.resourceType, id: req.id, since, at, count, cursor, total: wantsTotal,
  });
  const path = [req.resourceType, req.id, '_history'].filter(Boolean).join('/');
  const links = pagingLinks(`${req.baseUrl}/${path}`, recordToPairs(req.query, new Set(['_cursor'])), page, cursor);
  const recreated = await recreatedVersions(ctx.store, page.items);
  const bundle = historyBundle({ total: page.total, links, versions: page.items, baseUrl: req.baseUrl, now: ctx.now(), recreated });
  return { status: 200, headers: {}, body: bundle as unknown as Resource };
}
