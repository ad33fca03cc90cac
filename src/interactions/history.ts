/** history at instance, type and system level (R4 http.html#history) with _since, _at, _count and paging. */
import { FhirError } from '../fhir/errors.js';
import type { Resource } from '../fhir/types.js';
import { historyBundle } from '../response/bundle.js';
import { decodeCursor, pagingLinks, recordToPairs } from '../response/paging.js';
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
  const bundle = historyBundle({ total: page.total, links, versions: page.items, baseUrl: req.baseUrl, now: ctx.now() });
  return { status: 200, headers: {}, body: bundle as unknown as Resource };
}
