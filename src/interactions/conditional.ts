/**
 * Conditional interactions (R4 http.html#ccreate, #cond-update, #cdelete): `Type?query` -> the ids of
 * matching current resources. Always strict: an unknown parameter must not widen the match to everything.
 */
import { FhirError } from '../fhir/errors.js';
import { newId } from '../fhir/ids.js';
import { parseSearch } from '../search/parse.js';
import type { FhirStore, StoredVersion } from '../storage/port.js';
import type { InteractionRequest, ServerContext } from './types.js';
import { assertValidId } from './write-version.js';

/** Parameters that change the shape of results, not which resources match. */
const RESULT_PARAMETERS = new Set(['_format', '_pretty', '_summary', '_elements', '_count', '_sort', '_total', '_include', '_revinclude', '_cursor']);

/** "identifier=a|b&name=x" or "Patient?identifier=a|b" -> decoded parameters. */
export function criteriaFromString(criteria: string): Record<string, string[]> {
  const questionMark = criteria.indexOf('?');
  const queryPart = questionMark >= 0 ? criteria.slice(questionMark + 1) : criteria;
  const params: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(queryPart)) (params[name] ??= []).push(value);
  return params;
}

/**
 * If-None-Exist (and Bundle.entry.request.ifNoneExist) holds the search parameters of the created type
 * (http.html#ccreate: "identifier=system|value"); a `Type?` before them may only name that type. Another type, or
 * another server's URL, was dropped silently and the parameters searched on the created type.
 */
export function assertIfNoneExistOf(resourceType: string, criteria: string, expression: string): void {
  const questionMark = criteria.indexOf('?');
  if (questionMark < 0) return;
  const prefix = criteria.slice(0, questionMark).replace(/^\//, '');
  if (prefix !== resourceType && prefix !== '') {
    throw new FhirError('invalid-parameter', `${expression} "${criteria}" must hold search parameters of ${resourceType} (e.g. identifier=system|value), not a search of "${prefix}"`, { expression: [expression] });
  }
}

export function matchCriteria(query: Record<string, string[]>): Record<string, string[]> {
  const criteria: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(query)) if (!RESULT_PARAMETERS.has(name)) criteria[name] = values;
  return criteria;
}

/**
 * Current resources of `resourceType` matching the criteria, at most `limit` (2 is enough to tell
 * none / one / many apart).
 */
export async function findConditionalMatches(
  ctx: ServerContext,
  req: Pick<InteractionRequest, 'accessConditions'>,
  resourceType: string,
  query: Record<string, string[]>,
  options: { limit?: number; store?: FhirStore } = {},
): Promise<StoredVersion[]> {
  const criteria = matchCriteria(query);
  if (Object.keys(criteria).length === 0) {
    throw new FhirError('invalid-parameter', `A conditional ${resourceType} interaction needs search criteria; none were given`);
  }
  const limit = options.limit ?? 2;
  const parsed = await parseSearch(resourceType, criteria, ctx.searchParameters, {
    lenient: false, defaultCount: limit, maxCount: Math.max(limit, ctx.config.maxCount), defs: ctx.definitions,
  });
  const store = options.store ?? ctx.store;
  const page = await store.search({
    ...parsed.query,
    where: [...parsed.query.where, ...(req.accessConditions ?? [])],
    count: limit,
    sort: [],
    cursor: undefined,
    total: 'none',
  });
  return page.items;
}

/** What a conditional reference `Type?query` resolves to; each caller words the failures for its own request. */
export type ConditionalReferenceMatch =
  | { kind: 'one'; reference: string }
  | { kind: 'none' }
  | { kind: 'several' }
  | { kind: 'unknown-type' }
  | { kind: 'invalid-search'; message: string };

export async function matchConditionalReference(
  ctx: ServerContext, req: Pick<InteractionRequest, 'accessConditions'>, reference: string, store?: FhirStore,
): Promise<ConditionalReferenceMatch> {
  const resourceType = reference.slice(0, reference.indexOf('?'));
  if (!ctx.definitions.resourceTypes.has(resourceType)) return { kind: 'unknown-type' };
  let matches;
  try {
    matches = await findConditionalMatches(ctx, req, resourceType, criteriaFromString(reference), store ? { store } : {});
  } catch (error) {
    if (error instanceof FhirError) return { kind: 'invalid-search', message: error.message };
    throw error;
  }
  if (matches.length === 0) return { kind: 'none' };
  if (matches.length > 1) return { kind: 'several' };
  return { kind: 'one', reference: `${resourceType}/${matches[0]!.id}` };
}

/**
 * Why a conditional reference did not resolve, worded for a resource written on its own (create, update, patch) and
 * for a batch entry, which R4 processes as if it were sent alone (http.html#transaction): none, an unknown type or an
 * invalid search: 400; several: 412, as a conditional update answers them. `expression` names the elements holding
 * the reference (OperationOutcome.issue.expression); `prefix` opens the diagnostics (a batch entry's "Bundle.entry[n]: ").
 */
export function unresolvedConditionalReference(
  reference: string, match: Exclude<ConditionalReferenceMatch, { kind: 'one' }>, expression: string[], prefix = '',
): FhirError {
  const at = `${prefix}The conditional reference ${reference}`;
  switch (match.kind) {
    case 'unknown-type':
      return new FhirError('invalid-resource', `${at} names an unknown resource type`, { issueCode: 'value', expression });
    case 'invalid-search':
      return new FhirError('invalid-resource', `${at} is not a valid search: ${match.message}`, { issueCode: 'value', expression });
    case 'none':
      return new FhirError('invalid-resource', `${at} matches no resource; nothing was written`, { issueCode: 'not-found', expression });
    case 'several':
      return new FhirError('multiple-matches', `${at} matches more than one resource; nothing was written`, { expression });
  }
}

/** `Observation` and `subject` -> `Observation.subject`: an element below a resource, as referencesToSettle names it. */
export function elementExpression(resourceExpression: string, element: string): string {
  return element === '' ? resourceExpression : `${resourceExpression}.${element}`;
}

/**
 * The id a conditional update writes when its criteria match nothing (http.html#cond-update): the body's id (update as
 * create) or a new one. A body id naming a live resource is a 409, as R5 words the case: that resource did not meet the
 * criteria, and R4's "update as create" cannot mean overwriting it.
 */
export async function unmatchedConditionalUpdateId(store: FhirStore, resourceType: string, bodyId: string | undefined): Promise<string> {
  if (bodyId === undefined) return newId();
  assertValidId(bodyId);
  const existing = await store.read(resourceType, bodyId);
  if (existing && !existing.deleted) {
    throw new FhirError('conflict', `No ${resourceType} matches the conditional update criteria, and ${resourceType}/${bodyId} exists without`
      + ' matching them: it is not overwritten (update as create applies to an id not in use)', { expression: [`${resourceType}.id`] });
  }
  return bodyId;
}
