/**
 * `_containedType=contained` (R4 search.html#contained): the matched contained resources themselves instead of
 * their containers. Each is an entry whose fullUrl is the container's URL with the contained id as fragment
 * (`Observation/1#med`), since a contained resource has no URL of its own.
 */
import type { BundleEntry, R4, Resource } from '../fhir/types.js';
import type { Condition } from '../search/ir.js';
import { narrowToContained } from '../search/contained.js';
import type { FhirStore } from '../storage/port.js';
import { fullUrl } from './bundle.js';

function containedOfType(container: Resource, type: string): Resource[] {
  const contained = (container as { contained?: unknown }).contained;
  if (!Array.isArray(contained)) return [];
  return contained.filter((item): item is Resource => typeof item === 'object' && item !== null && (item as Resource).resourceType === type);
}

/** the contained `type` resources of each container that satisfy `inside` (a sibling that does not is left out) */
export async function containedEntries(
  store: FhirStore, baseUrl: string, containers: Resource[], type: string, inside: Condition,
): Promise<BundleEntry[]> {
  const entries: BundleEntry[] = [];
  for (const container of containers) {
    const candidates = containedOfType(container, type);
    for (const candidate of candidates) {
      if (candidates.length > 1) {
        const page = await store.search({
          types: [container.resourceType],
          where: [{ kind: 'id', ids: [container.id!] }, narrowToContained(inside, type, String(candidate.id))],
          sort: [], count: 1, total: 'none',
        });
        if (page.items.length === 0) continue;
      }
      entries.push({
        fullUrl: `${fullUrl(baseUrl, container)}#${candidate.id ?? ''}`,
        resource: candidate as unknown as R4.FhirResource,
        search: { mode: 'match' },
      });
    }
  }
  return entries;
}
