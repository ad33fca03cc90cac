/**
 * search at type and system level (R4 http.html#search, search.html), GET or POST _search (the form body
 * is already merged into req.query by http/). Compartment search reuses runSearch with extra conditions.
 */
import { toOperationOutcome } from '../fhir/operation-outcome.js';
import { FhirError, type Issue } from '../fhir/errors.js';
import { containedEntries } from '../response/contained.js';
import { containedQuery } from '../search/contained.js';
import type { BundleEntry, R4, Resource } from '../fhir/types.js';
import { parseSearch } from '../search/parse.js';
import type { Condition, SearchQuery } from '../search/ir.js';
import { explainIssues } from '../search/explain.js';
import { outcomeEntry, storedSearchEntry, searchEntry, searchsetBundle } from '../response/bundle.js';
import { MAX_INCLUDE_ITERATIONS, resolveIncludes } from '../response/includes.js';
import { decodeCursor, pagingLinks } from '../response/paging.js';
import { selectElements, summarize, type SummaryMode } from '../response/summary.js';
import type { StoredVersion } from '../storage/port.js';
import { accessibleVersions } from './access.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';

/** Parameters about the HTTP exchange, not the search (http/ reads them). */
const TRANSPORT_PARAMETERS = new Set(['_format', '_pretty', '_cursor']);

export interface SearchScope {
  /** null for a system-level search */
  resourceType: string | null;
  /** endpoint the paging links point at, relative to the base, e.g. "Patient/1/Observation" */
  path: string;
  /** conditions the scope adds (compartment membership) */
  conditions: Condition[];
}

function searchParameters(query: Record<string, string[]>): Record<string, string[]> {
  const params: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(query)) if (!TRANSPORT_PARAMETERS.has(name)) params[name] = values;
  return params;
}

function ignoredOutcomeIssues(ignored: string[]): Issue[] {
  return ignored.map((name) => ({
    severity: 'warning',
    code: 'not-supported',
    diagnostics: `Parameter "${name}" is not known or not valid here and was ignored (Prefer: handling=lenient)`,
    expression: [name],
    errorCode: 'unknown-search-parameter',
  }));
}

/** What a Bundle says when the page size asked for (`_count`) exceeded FHIR_MAX_COUNT and was clamped to it. */
export function countClampedIssue(limit: { requested: number; max: number }): Issue {
  return {
    severity: 'information', code: 'informational', errorCode: 'invalid-count',
    diagnostics: `_count=${limit.requested} exceeds the server maximum; pages hold at most ${limit.max} resources`,
    expression: ['_count'],
  };
}

/**
 * What a Bundle says when a page's included resources reached config.maxIncludes and more would have been added;
 * `source` names what included them.
 */
export function includesCappedIssue(maxIncludes: number, source = '_include/_revinclude'): Issue {
  return {
    severity: 'warning', code: 'too-costly', errorCode: 'too-costly',
    diagnostics: `${source} stopped at the server limit of ${maxIncludes} included resources on this page; more resources match. Use a smaller _count to get them all.`,
  };
}

/** ValueSet resources stored on this server, for :in / :not-in (R4 search.html#token) */
function storedValueSetResolver(ctx: ServerContext): (url: string) => Promise<R4.ValueSet | undefined> {
  return async (url) => {
    const page = await ctx.store.search({
      types: ['ValueSet'],
      where: [{ kind: 'param', param: 'url', index: 'uri', values: [{ kind: 'uri', op: 'eq', value: url }] }],
      sort: [], count: 1, total: 'none',
    });
    return page.items[0]?.resource as unknown as R4.ValueSet | undefined;
  };
}

export async function runSearch(ctx: ServerContext, req: InteractionRequest, scope: SearchScope): Promise<InteractionResult> {
  const started = performance.now();
  const parsed = await parseSearch(scope.resourceType, searchParameters(req.query), ctx.searchParameters, {
    lenient: req.prefer.handling === 'lenient',
    defaultCount: ctx.config.defaultCount,
    maxCount: ctx.config.maxCount,
    defs: ctx.definitions,
    baseUrls: [req.baseUrl],
    resolveValueSet: storedValueSetResolver(ctx),
  });
  const summary: SummaryMode | undefined = parsed.summary;
  const countOnly = summary === 'count';
  const cursor = decodeCursor(req.query._cursor);
  const access = req.accessConditions ?? [];
  const contained = parsed.contained === 'true' || parsed.contained === 'both'
    ? containedQuery(scope.resourceType, parsed.contained, parsed.query.where) : undefined;
  if (contained && scope.conditions.length > 0) throw new FhirError('invalid-search-parameter', '_contained is not supported in compartment searches', { expression: ['_contained'] });
  const query: SearchQuery = {
    ...parsed.query,
    ...(contained ? { types: contained.types } : {}),
    where: [...(contained ? contained.where : parsed.query.where), ...scope.conditions, ...access],
    count: countOnly ? 0 : parsed.query.count,
    total: countOnly ? 'accurate' : parsed.query.total,
    cursor,
  };
  const parsedAt = performance.now();
  const page = await ctx.store.search(query);
  const searchedAt = performance.now();
  const found = page.items.filter((version) => !version.deleted);
  const issues: Issue[] = ignoredOutcomeIssues(parsed.ignored);
  if (parsed.countLimited) issues.push(countClampedIssue(parsed.countLimited));
  const entries: BundleEntry[] = [];
  const present = (resource: Resource) => summarize(ctx.definitions, resource, summary);
  // a match shown whole goes out as the text the store holds (response/raw-json.ts)
  const whole = (summary === undefined || summary === 'false') && !parsed.elements?.length;
  for (const version of found) {
    // _containedType=contained: a container found through its contained resources gives those instead
    if (contained && parsed.containedType === 'contained' && version.resourceType !== scope.resourceType) {
      entries.push(...await containedEntries(ctx.store, req.baseUrl, [version.resource!], scope.resourceType!, contained.inside));
    } else if (whole && version.json !== undefined) {
      entries.push(storedSearchEntry(req.baseUrl, version as StoredVersion & { json: string }, 'match'));
    } else entries.push(searchEntry(req.baseUrl, selectElements(ctx.definitions, present(version.resource!), parsed.elements), 'match'));
  }
  let includedCount = 0;
  let includesMs = 0;
  if (!countOnly && (parsed.includes.length > 0 || parsed.revIncludes.length > 0)) {
    const includeStart = performance.now();
    const matches = found.map((version) => version.resource!);
    // included resources are held to the client's access rules as matches are (access.ts)
    const included = await resolveIncludes(ctx.store, ctx.searchParameters, matches,
      parsed.includes, parsed.revIncludes, ctx.config.maxIncludes,
      access.length > 0 ? { keep: (versions) => accessibleVersions(ctx.store, access, versions) } : {});
    includedCount = included.versions.length;
    includesMs = performance.now() - includeStart;
    // _elements shapes matches only; an included version unshaped by _summary goes out as its stored text too
    const unsummarized = summary === undefined || summary === 'false';
    for (const version of included.versions) {
      if (unsummarized && version.json !== undefined) entries.push(storedSearchEntry(req.baseUrl, version as StoredVersion & { json: string }, 'include'));
      else entries.push(searchEntry(req.baseUrl, present(version.resource!), 'include'));
    }
    if (included.truncated) issues.push(includesCappedIssue(ctx.config.maxIncludes));
    if (included.iterationsExhausted) {
      issues.push({
        severity: 'warning', code: 'too-costly', errorCode: 'too-costly',
        diagnostics: `:iterate stopped after ${MAX_INCLUDE_ITERATIONS} rounds of _include/_revinclude; resources further along the references were not included.`,
      });
    }
  }
  if (parsed.explain) {
    const done = performance.now();
    issues.push(...explainIssues({
      engine: ctx.store.engine,
      query,
      origins: [
        ...parsed.query.where.map(() => 'request' as const), ...scope.conditions.map(() => 'compartment' as const), ...access.map(() => 'access' as const),
      ],
      timings: { parseMs: parsedAt - started, searchMs: searchedAt - parsedAt, includesMs, totalMs: done - started },
      includes: includedCount,
    }));
  }
  if (issues.length > 0) entries.push(outcomeEntry(toOperationOutcome(issues)));
  const endpoint = scope.path ? `${req.baseUrl}/${scope.path}` : req.baseUrl;
  const links = pagingLinks(endpoint, parsed.selfParams, page, cursor);
  const bundle = searchsetBundle({ total: page.total, links, entries, now: ctx.now() });
  return { status: 200, headers: {}, body: bundle as unknown as Resource };
}

export async function search(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const resourceType = req.resourceType ?? null;
  return runSearch(ctx, req, { resourceType, path: resourceType ?? '', conditions: [] });
}
