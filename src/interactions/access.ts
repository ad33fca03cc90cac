/**
 * Access rules (SMART scopes, as search conditions on InteractionRequest.accessConditions) applied to resources found
 * some other way than by a search that carried them: included and referenced resources. Outside the rules, a resource
 * is left out, as read answers it as unknown (read.ts assertReadable).
 */
import type { Condition } from '../search/ir.js';
import type { FhirStore, StoredVersion } from '../storage/port.js';

const keyOf = (version: { resourceType: string; id: string }) => `${version.resourceType}/${version.id}`;

/** The versions the access conditions let the client see, asked in one search. */
export async function accessibleVersions(store: FhirStore, access: readonly Condition[], versions: StoredVersion[]): Promise<StoredVersion[]> {
  if (versions.length === 0 || access.length === 0) return versions;
  const idsByType = new Map<string, Set<string>>();
  for (const version of versions) {
    const ids = idsByType.get(version.resourceType) ?? new Set<string>();
    ids.add(version.id);
    idsByType.set(version.resourceType, ids);
  }
  const byType: Condition[] = [...idsByType].map(([type, ids]) => ({
    kind: 'and', conditions: [{ kind: 'type', types: [type] }, { kind: 'id', ids: [...ids] }],
  }));
  const page = await store.search({
    types: [...idsByType.keys()],
    where: [byType.length === 1 ? byType[0]! : { kind: 'or', conditions: byType }, ...access],
    sort: [], count: versions.length, total: 'none',
  });
  const allowed = new Set(page.items.map(keyOf));
  return versions.filter((version) => allowed.has(keyOf(version)));
}
