/**
 * The resources an $everything page's matches refer to (R4 patient-operation-everything.html: "all resources that
 * it has that are in the patient compartment for the identified patient(s), and any resource referenced from those";
 * encounter-operation-everything.html says the same of the Encounter compartment): what `_include=*:*` would add
 * to that page (every reference search parameter of each match, one level, not iterated), as search.mode=include,
 * capped per page at config.maxIncludes with the OperationOutcome issue search gives (includesCappedIssue).
 *
 * Left out is what the result holds as a match anyway, on its own page: the focal resource, an Encounter's subject
 * Patient, and members of the compartment, told from the referenced resource itself (the compartment definition's
 * parameters for its type, extracted in memory) the way everythingCondition selects matches: a member whose care
 * date falls outside start/end is out as a match and as an include, and another patient's Observation (or, for a
 * Patient, a Patient that links to this one) is included. `_type` limits the included types too and `_since` applies
 * to them too (lastUpdated >= _since); start/end do not (a Practitioner has no care date). Access conditions apply
 * to them as to read: one query per page keeps those the client may see. A resource referenced from several pages
 * is included on each of them.
 */
import type { Issue } from '../../fhir/errors.js';
import type { BundleEntry, Resource } from '../../fhir/types.js';
import { searchEntry, storedSearchEntry } from '../../response/bundle.js';
import { resolveIncludes, type IncludeFilter, type IncludeRequest } from '../../response/includes.js';
import { compartmentParameters } from '../../search/compartments.js';
import type { StoredVersion } from '../../storage/port.js';
import { accessibleVersions } from '../access.js';
import { includesCappedIssue } from '../search.js';
import type { InteractionRequest, ServerContext } from '../types.js';

export interface EverythingScope {
  compartmentType: string;
  focalId: string;
  /** the Patient an Encounter is about, returned as a match (Encounter $everything) */
  relatedPatientId?: string;
  /** the types `_type` lists; every type when undefined */
  types?: ReadonlySet<string>;
  /** `_since`, an instant */
  since?: string;
}

/** `_include=*:*`: every reference search parameter of every match */
const EVERY_REFERENCE: IncludeRequest[] = [{ sourceType: '*', param: '*', iterate: false }];

/**
 * Whether a resource that is neither the focal resource nor the related Patient is a match of the $everything
 * result (whatever start/end say): as everythingCondition, only the focal resource of the compartment's own type,
 * only the related Patient of an Encounter, and members of the compartment by its parameters for their type.
 */
function isMember(ctx: ServerContext, scope: EverythingScope, resource: Resource): boolean {
  if (resource.resourceType === scope.compartmentType) return false;
  if (resource.resourceType === 'Patient' && scope.relatedPatientId !== undefined) return false;
  return compartmentParameters(ctx.definitions, scope.compartmentType, resource.resourceType).some((param) =>
    ctx.searchParameters.extractReferences(resource, param)
      .some((reference) => reference.targetType === scope.compartmentType && reference.targetId === scope.focalId));
}

function includeFilter(ctx: ServerContext, req: InteractionRequest, scope: EverythingScope): IncludeFilter {
  const since = scope.since === undefined ? undefined : Date.parse(scope.since);
  const access = req.accessConditions ?? [];
  return {
    target: (type, id) => (scope.types === undefined || scope.types.has(type))
      && !(type === scope.compartmentType && id === scope.focalId)
      && !(type === 'Patient' && id === scope.relatedPatientId),
    async keep(versions) {
      const kept = versions.filter((version) => (since === undefined || Date.parse(version.lastUpdated) >= since)
        && !isMember(ctx, scope, version.resource!));
      return accessibleVersions(ctx.store, access, kept);
    },
  };
}

/** The include entries of one $everything page, and the issue saying the cap was reached, if it was. */
export async function everythingIncludes(
  ctx: ServerContext, req: InteractionRequest, scope: EverythingScope, matches: StoredVersion[],
): Promise<{ entries: BundleEntry[]; issues: Issue[] }> {
  if (matches.length === 0) return { entries: [], issues: [] };
  const included = await resolveIncludes(ctx.store, ctx.searchParameters, matches.map((version) => version.resource!),
    EVERY_REFERENCE, [], ctx.config.maxIncludes, includeFilter(ctx, req, scope));
  const entries = included.versions.map((version) => version.json !== undefined
    ? storedSearchEntry(req.baseUrl, version as StoredVersion & { json: string }, 'include')
    : searchEntry(req.baseUrl, version.resource!, 'include'));
  const issues = included.truncated ? [includesCappedIssue(ctx.config.maxIncludes, "Including what $everything's matches refer to")] : [];
  return { entries, issues };
}
