/**
 * `_include` and `_revinclude` (R4 search.html#include) with `:iterate` and `*`. Included resources are
 * marked search.mode=include; the number added per page is capped at config.maxIncludes and the response
 * says so when the cap is hit, never silently. `:iterate` repeats until nothing new is found (a fixed point)
 * or MAX_INCLUDE_ITERATIONS rounds have run, which is reported too. A versioned reference
 * (Type/id/_history/n) includes that version (R4 search.html#include: "the version specified").
 * An optional IncludeFilter lets a caller leave resources out before the cap counts them ($everything: what is a
 * match anyway; search: what the client's access rules do not let it see).
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
  /** included versions, in the order found; a store's text versions stay unparsed (raw-json.ts) */
  versions: StoredVersion[];
  /** true when maxIncludes was reached and more would have been added */
  truncated: boolean;
  /** true when :iterate stopped after MAX_INCLUDE_ITERATIONS rounds while the last round still found resources */
  iterationsExhausted?: boolean;
}

/**
 * Which resources `_include` and `_revinclude` may add. What it leaves out is not included and does not count
 * towards maxIncludes.
 */
export interface IncludeFilter {
  /** asked before a referenced resource (`_include`) is read: false leaves it out unread */
  target?(resourceType: string, id: string): boolean;
  /** the read versions (none deleted) to keep, of `_include` and `_revinclude` alike */
  keep?(versions: StoredVersion[]): Promise<StoredVersion[]>;
}

/** rounds of `:iterate` after the first one; each round follows the resources the previous one added */
export const MAX_INCLUDE_ITERATIONS = 10;

interface Target { resourceType: string; id: string; version?: string }

const keyOf = (resource: { resourceType: string; id?: string }) => `${resource.resourceType}/${resource.id}`;
/** a version with content, told without parsing a stored text */
const present = (version: StoredVersion) => !version.deleted && (version.json !== undefined || version.resource !== undefined);
const versionKey = (target: Target) => `${keyOf(target)}/_history/${target.version}`;

function referencedTargets(registry: SearchParameterRegistry, resource: Resource, spec: IncludeRequest): Target[] {
  if (spec.sourceType !== '*' && spec.sourceType !== resource.resourceType) return [];
  const targets: Target[] = [];
  // only the resource's own reference parameters: not composite components, not contained resources
  for (const entry of registry.extractReferences(resource, spec.param)) {
    if (!entry.targetType || !entry.targetId) continue;
    if (spec.targetType && entry.targetType !== spec.targetType) continue;
    const version = entry.version !== null && /^[1-9][0-9]*$/.test(entry.version) ? entry.version : undefined;
    targets.push(version ? { resourceType: entry.targetType, id: entry.targetId, version } : { resourceType: entry.targetType, id: entry.targetId });
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
  filter: IncludeFilter = {},
): Promise<IncludeResult> {
  const seen = new Set(matches.map(keyOf));
  const included: StoredVersion[] = [];
  let truncated = false;

  const addVersion = (version: StoredVersion, key: string): StoredVersion[] => {
    if (!present(version) || seen.has(key)) return [];
    if (included.length >= maxIncludes) {
      truncated = true;
      return [];
    }
    seen.add(key);
    included.push(version);
    return [version];
  };

  const add = (versions: StoredVersion[]): StoredVersion[] => {
    const added: StoredVersion[] = [];
    for (const version of versions) {
      if (!present(version) || seen.has(keyOf(version))) continue;
      if (included.length >= maxIncludes) {
        truncated = true;
        break;
      }
      seen.add(keyOf(version));
      included.push(version);
      added.push(version);
    }
    return added;
  };

  /** the versions filter.keep keeps; the ones it drops are seen, so no later round reads them again */
  const kept = async (versions: StoredVersion[], keyFor: (version: StoredVersion) => string = keyOf): Promise<StoredVersion[]> => {
    const candidates = versions.filter(present);
    if (!filter.keep || candidates.length === 0) return candidates;
    const keep = new Set(await filter.keep(candidates));
    for (const version of candidates) if (!keep.has(version)) seen.add(keyFor(version));
    return candidates.filter((version) => keep.has(version));
  };

  const round = async (sources: Resource[], forward: IncludeRequest[], reverse: IncludeRequest[]): Promise<StoredVersion[]> => {
    const added: StoredVersion[] = [];
    const wanted = new Map<string, Target>();
    const versioned = new Map<string, Target>();
    for (const resource of sources) {
      for (const spec of forward) {
        for (const target of referencedTargets(registry, resource, spec)) {
          if (filter.target && !filter.target(target.resourceType, target.id)) continue;
          if (target.version) versioned.set(versionKey(target), target);
          else wanted.set(keyOf(target), target);
        }
      }
    }
    const missing = [...wanted.values()].filter((target) => !seen.has(keyOf(target)));
    if (missing.length > 0) added.push(...add(await kept(await store.readMany(missing))));
    for (const target of versioned.values()) {
      if (truncated) break;
      if (seen.has(versionKey(target))) continue;
      const read = await store.vread(target.resourceType, target.id, Number(target.version));
      const [version] = read ? await kept([read], () => versionKey(target)) : [];
      if (!version) continue;
      // the current version is the resource itself: included (or matched) under its plain key
      const current = await store.read(target.resourceType, target.id);
      if (current?.versionId === version.versionId) added.push(...add([version]));
      else added.push(...addVersion(version, versionKey(target)));
    }
    for (const spec of reverse) {
      if (truncated) break;
      const targets = sources
        .filter((resource) => !spec.targetType || resource.resourceType === spec.targetType)
        .map((resource) => ({ resourceType: resource.resourceType, id: resource.id! }));
      if (targets.length === 0) continue;
      const sourceTypes = spec.sourceType === '*' ? null : [spec.sourceType];
      const params = spec.param === '*' ? null : [spec.param];
      const limit = maxIncludes - included.length + 1;
      const referring = await store.findReferencing(sourceTypes, params, targets, limit);
      added.push(...add(await kept(referring)));
      // the filter may have left out some of a full batch: more may refer, so the cap is reported rather than missed
      if (filter.keep && referring.length >= limit) truncated = true;
    }
    return added;
  };

  const resourcesOf = (versions: StoredVersion[]) => versions.map((version) => version.resource!);
  let newlyAdded = await round(matches, includes, revIncludes);
  const iterateForward = includes.filter((spec) => spec.iterate);
  const iterateReverse = revIncludes.filter((spec) => spec.iterate);
  let rounds = 1;
  while (newlyAdded.length > 0 && !truncated && (iterateForward.length > 0 || iterateReverse.length > 0)) {
    if (rounds === MAX_INCLUDE_ITERATIONS) {
      // one more round decides whether the bound cut anything off; what it finds is not returned
      const before = truncated;
      const more = await round(resourcesOf(newlyAdded), iterateForward, iterateReverse);
      if (more.length === 0) break;
      included.length -= more.length;
      return { versions: included, truncated: before, iterationsExhausted: true };
    }
    newlyAdded = await round(resourcesOf(newlyAdded), iterateForward, iterateReverse);
    rounds++;
  }
  return { versions: included, truncated };
}
