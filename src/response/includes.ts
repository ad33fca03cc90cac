/**
 * `_include` and `_revinclude` (R4 search.html#include) with `:iterate` and `*`. Included resources are
 * marked search.mode=include; the number added per page is capped at config.maxIncludes and the response
 * says so when the cap is hit, never silently.
 */
import type { Resource } from '../fhir/types.js';
import type { SearchParameterRegistry } from '../search/registry.js';
import type { FhirStore, StoredVersion } from '../storage/port.js';

export interface IncludeRequest {
  /** source resource type, or '*' */
  sourceType: string;
  /** reference parameter code, or '*' for every reference parameter */
  param: string;
  targetType?: string;
  iterate: boolean;
}

export interface IncludeResult {
  resources: Resource[];
  /** true when maxIncludes was reached and more would have been added */
  truncated: boolean;
}

const keyOf = (resource: { resourceType: string; id?: string }) => `${resource.resourceType}/${resource.id}`;

function referencedTargets(registry: SearchParameterRegistry, resource: Resource, spec: IncludeRequest): { resourceType: string; id: string }[] {
  if (spec.sourceType !== '*' && spec.sourceType !== resource.resourceType) return [];
  const targets: { resourceType: string; id: string }[] = [];
  for (const entry of registry.extract(resource).reference) {
    if (spec.param !== '*' && entry.param !== spec.param) continue;
    if (!entry.targetType || !entry.targetId) continue;
    if (spec.targetType && entry.targetType !== spec.targetType) continue;
    targets.push({ resourceType: entry.targetType, id: entry.targetId });
  }
  return targets;
}

export async function resolveIncludes(
  store: FhirStore,
  registry: SearchParameterRegistry,
  matches: Resource[],
  includes: IncludeRequest[],
  revIncludes: IncludeRequest[],
  maxIncludes: number,
): Promise<IncludeResult> {
  const seen = new Set(matches.map(keyOf));
  const included: Resource[] = [];
  let truncated = false;

  const add = (versions: StoredVersion[]): Resource[] => {
    const added: Resource[] = [];
    for (const version of versions) {
      if (version.deleted || !version.resource || seen.has(keyOf(version))) continue;
      if (included.length >= maxIncludes) {
        truncated = true;
        break;
      }
      seen.add(keyOf(version));
      included.push(version.resource);
      added.push(version.resource);
    }
    return added;
  };

  const round = async (sources: Resource[], forward: IncludeRequest[], reverse: IncludeRequest[]): Promise<Resource[]> => {
    const added: Resource[] = [];
    const wanted = new Map<string, { resourceType: string; id: string }>();
    for (const resource of sources) {
      for (const spec of forward) for (const target of referencedTargets(registry, resource, spec)) wanted.set(keyOf(target), target);
    }
    const missing = [...wanted.values()].filter((target) => !seen.has(keyOf(target)));
    if (missing.length > 0) added.push(...add(await store.readMany(missing)));
    for (const spec of reverse) {
      if (truncated) break;
      const targets = sources
        .filter((resource) => !spec.targetType || resource.resourceType === spec.targetType)
        .map((resource) => ({ resourceType: resource.resourceType, id: resource.id! }));
      if (targets.length === 0) continue;
      const sourceTypes = spec.sourceType === '*' ? null : [spec.sourceType];
      const params = spec.param === '*' ? null : [spec.param];
      added.push(...add(await store.findReferencing(sourceTypes, params, targets, maxIncludes - included.length + 1)));
    }
    return added;
  };

  let newlyAdded = await round(matches, includes, revIncludes);
  const iterateForward = includes.filter((spec) => spec.iterate);
  const iterateReverse = revIncludes.filter((spec) => spec.iterate);
  while (newlyAdded.length > 0 && !truncated && (iterateForward.length > 0 || iterateReverse.length > 0)) {
    newlyAdded = await round(newlyAdded, iterateForward, iterateReverse);
  }
  return { resources: included, truncated };
}
