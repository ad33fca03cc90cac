/**
 * Patient/[id]/$everything (R4 patient-operation-everything.html) and Encounter/[id]/$everything
 * (R4 encounter-operation-everything.html), by GET or by POST with the parameters in a Parameters body
 * (operations.html: affectsState=false): the focal resource and every resource in its compartment (for an
 * Encounter also its subject Patient) as the matches of one paged searchset, and on each page, as
 * search.mode=include, the resources that page's matches refer to (everything-includes.ts: what `_include=*:*`
 * would add, minus what is a match anyway; a resource referenced from several pages is included on each).
 * `_count` sets the page size (clamped to FHIR_MAX_COUNT, and the Bundle says so), `_since` keeps resources
 * (matches and includes) updated since an instant, `_type` limits the types of both, and for a Patient
 * `start`/`end` keep matches by care date (careDateCondition). Bundle.total counts the matches only. Pages follow
 * `next` links (opaque cursors), so nothing is ever cut silently; the includes of a page are capped at
 * FHIR_MAX_INCLUDES, and the page says so. The type level ([base]/Patient/$everything, every patient's record) is
 * refused with a 400.
 */
import { FhirError, type Issue } from '../../fhir/errors.js';
import { toOperationOutcome } from '../../fhir/operation-outcome.js';
import type { BundleEntry, Resource } from '../../fhir/types.js';
import { outcomeEntry, searchEntry, searchsetBundle } from '../../response/bundle.js';
import { CURSOR_PARAMETER, decodeCursor, pagingLinks, recordToPairs } from '../../response/paging.js';
import type { Condition } from '../../search/ir.js';
import { compartmentCondition, compartmentResourceTypes } from '../../search/compartments.js';
import { parseFilter, type FilterContext } from '../../search/parse-param.js';
import type { StoredVersion } from '../../storage/port.js';
import { readCurrent } from '../read.js';
import { countClampedIssue } from '../search.js';
import type { InteractionRequest, InteractionResult, ServerContext } from '../types.js';
import { checkKnownParameters, invalidParameter, kickOffParameters, listValues, readSince, singleValue } from './bulk-parameters.js';
import { everythingIncludes } from './everything-includes.js';

/** The IN parameters of each OperationDefinition (Patient-everything, Encounter-everything), plus paging's own. */
const PARAMETERS: Record<string, ReadonlySet<string>> = {
  Patient: new Set(['start', 'end', '_since', '_type', '_count', CURSOR_PARAMETER, '_total']),
  Encounter: new Set(['_since', '_type', '_count', CURSOR_PARAMETER, '_total']),
};

/**
 * The care date of `start`/`end`: R4's common SearchParameter clinical-date (code `date`), which R4 itself defines as
 * the clinical date of the 17 types it covers (Observation.effective, Encounter.period, Procedure.performed, ...).
 * Other compartment types have no clinical date in R4 and are returned whatever their dates.
 */
const CLINICAL_DATE_URL = 'http://hl7.org/fhir/SearchParameter/clinical-date';
const FHIR_DATE = /^\d{4}(-\d{2}(-\d{2})?)?$/;

interface CareDateRange { start?: string; end?: string }

function pageSize(ctx: ServerContext, raw: string | undefined): { count: number; clamped?: { requested: number; max: number } } {
  if (raw === undefined) return { count: ctx.config.defaultCount };
  const requested = Number(raw);
  if (!Number.isInteger(requested) || requested < 1) throw new FhirError('invalid-count', `_count must be a positive integer, got "${raw}"`, { expression: ['_count'] });
  if (requested <= ctx.config.maxCount) return { count: requested };
  return { count: ctx.config.maxCount, clamped: { requested, max: ctx.config.maxCount } };
}

function updatedSince(instant: string): Condition {
  const since = Date.parse(instant);
  return { kind: 'lastUpdated', prefix: 'ge', low: since, high: since };
}

function readDate(params: Record<string, string[]>, name: 'start' | 'end'): string | undefined {
  const value = singleValue(params, name);
  if (value !== undefined && (!FHIR_DATE.test(value) || Number.isNaN(Date.parse(value)))) {
    throw invalidParameter(name, `${name} must be a date such as 2015, 2015-06 or 2015-06-30, got "${value}"`);
  }
  return value;
}

/**
 * Resources of `type` whose care lies in [start, end]: those whose clinical date neither ends before `start`
 * (search.html#prefix `eb`) nor begins after `end` (`sa`). A period that overlaps the range is kept, and so is a
 * resource with no clinical date, which the page does not put out of scope. Every element clinical-date names is
 * 0..1, so "no date outside the range" is "its date overlaps the range". Undefined when `type` has no clinical date.
 */
async function careDateCondition(ctx: ServerContext, req: InteractionRequest, type: string, range: CareDateRange): Promise<Condition | undefined> {
  const clinicalDate = ctx.searchParameters.byUrl(CLINICAL_DATE_URL);
  if (!clinicalDate?.base.includes(type) || ctx.searchParameters.get(type, clinicalDate.code)?.url !== CLINICAL_DATE_URL) return undefined;
  const filters: FilterContext = { registry: ctx.searchParameters, defs: ctx.definitions, now: ctx.now().getTime(), baseUrls: [req.baseUrl] };
  const outside: Condition[] = [];
  if (range.start !== undefined) outside.push(await parseFilter([type], clinicalDate.code, `eb${range.start}`, filters));
  if (range.end !== undefined) outside.push(await parseFilter([type], clinicalDate.code, `sa${range.end}`, filters));
  return { kind: 'not', condition: outside.length === 1 ? outside[0]! : { kind: 'or', conditions: outside } };
}

/** The Patient an Encounter is about, as its indexed `subject` reference names it (none when the subject is a Group). */
function encounterPatientId(ctx: ServerContext, encounter: StoredVersion): string | undefined {
  return ctx.searchParameters.extractReferences(encounter.resource as Resource, 'subject')
    .find((reference) => reference.targetType === 'Patient' && reference.targetId)?.targetId ?? undefined;
}

/** One branch of the search per type asked for (_type): the focal resource, compartment members, related resources. */
async function everythingCondition(
  ctx: ServerContext, req: InteractionRequest, focal: StoredVersion, relatedPatientId: string | undefined, types: string[], range: CareDateRange,
): Promise<Condition> {
  const compartmentType = focal.resourceType;
  const members = compartmentResourceTypes(ctx.definitions, compartmentType);
  const branches: Condition[] = [];
  for (const type of types) {
    const conditions: Condition[] = [{ kind: 'type', types: [type] }];
    if (type === compartmentType) conditions.push({ kind: 'id', ids: [focal.id] });
    else if (type === 'Patient' && relatedPatientId) conditions.push({ kind: 'id', ids: [relatedPatientId] });
    else if (members.includes(type)) {
      conditions.push(compartmentCondition(ctx.definitions, ctx.searchParameters, compartmentType, focal.id, type));
      const careDate = range.start !== undefined || range.end !== undefined ? await careDateCondition(ctx, req, type, range) : undefined;
      if (careDate) conditions.push(careDate);
    } else continue;
    branches.push({ kind: 'and', conditions });
  }
  return branches.length === 1 ? branches[0]! : { kind: 'or', conditions: branches };
}

function requestedTypes(ctx: ServerContext, params: Record<string, string[]>, compartmentType: string): string[] {
  const requested = listValues(params, '_type');
  if (requested === undefined) {
    const related = compartmentType === 'Encounter' ? ['Patient'] : [];
    return [...new Set([compartmentType, ...related, ...compartmentResourceTypes(ctx.definitions, compartmentType)])];
  }
  const unknown = requested.filter((type) => !ctx.definitions.resourceTypes.has(type));
  if (unknown.length) throw invalidParameter('_type', `_type names unknown resource type(s): ${unknown.join(', ')}`);
  return requested;
}

export async function everything(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const compartmentType = req.resourceType!;
  const known = PARAMETERS[compartmentType];
  if (!known) throw new FhirError('not-supported', `$everything is available for Patient and Encounter, not ${compartmentType}`);
  if (req.id === undefined) {
    throw new FhirError('invalid-parameter',
      `${compartmentType}/$everything at the type level (every ${compartmentType.toLowerCase()}'s record) is not supported by this server; ` +
        `ask for one record at ${compartmentType}/[id]/$everything, or use ${compartmentType === 'Patient' ? 'Patient/$export' : '$export'} for many`,
      { issueCode: 'not-supported' });
  }
  const params = kickOffParameters(req);
  const warnings = checkKnownParameters(req, params, known, '$everything');
  const since = readSince(params);
  const range: CareDateRange = { start: readDate(params, 'start'), end: readDate(params, 'end') };
  const { count, clamped } = pageSize(ctx, singleValue(params, '_count'));
  const types = requestedTypes(ctx, params, compartmentType);
  const focal = await readCurrent(ctx, req, compartmentType, req.id);
  const relatedPatientId = compartmentType === 'Encounter' ? encounterPatientId(ctx, focal) : undefined;

  const cursor = decodeCursor(params[CURSOR_PARAMETER]);
  const page = await ctx.store.search({
    types,
    where: [
      await everythingCondition(ctx, req, focal, relatedPatientId, types, range),
      ...(since ? [updatedSince(since)] : []),
      ...(req.accessConditions ?? []),
    ],
    sort: [],
    count,
    cursor,
    total: singleValue(params, '_total') === 'accurate' || cursor === undefined ? 'accurate' : 'none',
  });
  const entries: BundleEntry[] = page.items.map((version) => searchEntry(req.baseUrl, version.resource as Resource, 'match'));
  const included = await everythingIncludes(ctx, req, {
    compartmentType, focalId: focal.id, relatedPatientId, since,
    ...(listValues(params, '_type') ? { types: new Set(types) } : {}),
  }, page.items);
  entries.push(...included.entries);
  const issues: Issue[] = warnings.map((diagnostics) => ({ severity: 'warning', code: 'not-supported', diagnostics, errorCode: 'invalid-parameter' }));
  if (clamped) issues.push(countClampedIssue(clamped));
  issues.push(...included.issues);
  if (issues.length > 0) entries.push(outcomeEntry(toOperationOutcome(issues)));
  const endpoint = `${req.baseUrl}/${compartmentType}/${req.id}/$everything`;
  // the links carry the page size applied, as search's do, and the parameters of a POST body
  const applied = { ...params, ...(params._count ? { _count: [String(count)] } : {}) };
  const bundle = searchsetBundle({
    total: page.total,
    links: pagingLinks(endpoint, recordToPairs(applied, new Set([CURSOR_PARAMETER])), page, cursor),
    entries,
    now: ctx.now(),
  });
  return { status: 200, headers: {}, body: bundle as unknown as Resource };
}
