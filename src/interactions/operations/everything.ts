/**
 * Patient/[id]/$everything (R4 patient-operation-everything.html) and Encounter/[id]/$everything
 * (R4 encounter-operation-everything.html): the focal resource and every resource in its compartment,
 * as one paged searchset. `_count` sets the page size, `_since` keeps resources updated since an instant,
 * `_type` limits the types. Pages follow `next` links (opaque cursors), so nothing is ever cut silently.
 */
import { FhirError, notFound } from '../../fhir/errors.js';
import type { Resource } from '../../fhir/types.js';
import { searchEntry, searchsetBundle } from '../../response/bundle.js';
import { CURSOR_PARAMETER, decodeCursor, pagingLinks, recordToPairs } from '../../response/paging.js';
import type { Condition } from '../../search/ir.js';
import { compartmentCondition, compartmentResourceTypes } from '../../search/compartments.js';
import type { InteractionRequest, InteractionResult, ServerContext } from '../types.js';
import { assertValidId } from '../write-version.js';

const SUPPORTED = new Set(['Patient', 'Encounter']);
const KNOWN_PARAMETERS = new Set(['_count', '_since', '_type', CURSOR_PARAMETER, '_format', '_pretty', '_total']);

function lastValue(query: Record<string, string[]>, name: string): string | undefined {
  const values = query[name];
  return values?.[values.length - 1];
}

function pageSize(ctx: ServerContext, raw: string | undefined): number {
  if (raw === undefined) return ctx.config.defaultCount;
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1) throw new FhirError('invalid-count', `_count must be a positive integer, got "${raw}"`);
  return Math.min(count, ctx.config.maxCount);
}

function sinceCondition(raw: string | undefined): Condition | undefined {
  if (raw === undefined) return undefined;
  const since = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(since)) {
    throw new FhirError('invalid-parameter', `_since must be an instant such as 2024-01-31T00:00:00Z, got "${raw}"`);
  }
  return { kind: 'lastUpdated', prefix: 'ge', low: since, high: since };
}

/** The member types asked for (_type), each with its own compartment membership condition. */
export function compartmentMembership(ctx: ServerContext, compartmentType: string, id: string, requestedTypes?: string[]): { types: string[]; condition: Condition } {
  const members = compartmentResourceTypes(ctx.definitions, compartmentType);
  const types = requestedTypes ?? [...new Set([compartmentType, ...members])];
  for (const type of types) {
    if (!ctx.definitions.resourceTypes.has(type)) throw new FhirError('invalid-parameter', `_type names an unknown resource type "${type}"`);
  }
  const conditions: Condition[] = [];
  for (const type of types) {
    if (type !== compartmentType && !members.includes(type)) continue;
    const membership = type === compartmentType
      ? { kind: 'id', ids: [id] } as Condition
      : compartmentCondition(ctx.definitions, ctx.searchParameters, compartmentType, id, type);
    conditions.push({ kind: 'and', conditions: [{ kind: 'type', types: [type] }, membership] });
  }
  return { types, condition: conditions.length === 1 ? conditions[0] : { kind: 'or', conditions } };
}

export async function everything(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const compartmentType = req.resourceType!;
  const id = req.id!;
  if (!SUPPORTED.has(compartmentType)) throw new FhirError('not-supported', `$everything is available for Patient and Encounter, not ${compartmentType}`);
  assertValidId(id);
  for (const name of Object.keys(req.query)) {
    if (!KNOWN_PARAMETERS.has(name) && req.prefer.handling !== 'lenient') {
      throw new FhirError('invalid-parameter', `$everything does not take the parameter "${name}" (it takes _count, _since and _type)`);
    }
  }
  const focal = await ctx.store.read(compartmentType, id);
  if (!focal || focal.deleted) throw notFound(compartmentType, id);

  const requestedTypes = req.query._type?.flatMap((value) => value.split(',')).map((type) => type.trim()).filter(Boolean);
  const { types, condition } = compartmentMembership(ctx, compartmentType, id, requestedTypes);
  const since = sinceCondition(lastValue(req.query, '_since'));
  const cursor = decodeCursor(req.query[CURSOR_PARAMETER]);
  const count = pageSize(ctx, lastValue(req.query, '_count'));
  const page = await ctx.store.search({
    types,
    where: [condition, ...(since ? [since] : []), ...(req.accessConditions ?? [])],
    sort: [],
    count,
    cursor,
    total: lastValue(req.query, '_total') === 'accurate' || cursor === undefined ? 'accurate' : 'none',
  });
  const endpoint = `${req.baseUrl}/${compartmentType}/${id}/$everything`;
  const pairs = recordToPairs(req.query, new Set([CURSOR_PARAMETER]));
  const bundle = searchsetBundle({
    total: page.total,
    links: pagingLinks(endpoint, pairs, page, cursor),
    entries: page.items.map((version) => searchEntry(req.baseUrl, version.resource as Resource, 'match')),
    now: ctx.now(),
  });
  return { status: 200, headers: {}, body: bundle as unknown as Resource };
}
