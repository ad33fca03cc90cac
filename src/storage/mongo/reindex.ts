/**
 * $reindex on MongoDB: the current-state document is rebuilt from its own fields with new index arrays and
 * sort keys (buildResourceDocument, the layout every write uses); no history document is written and the
 * version, lastUpdated, content and creation order (seq) stay. The replacement is conditional on the
 * version the entries were computed from, so a concurrent update is never overwritten with older entries.
 */
import type { ClientSession, Collection } from 'mongodb';
import type { ReindexWrite } from '../port.js';
import { buildResourceDocument, resourceKey, type ResourceDocument } from './document.js';

/** The current-state document of `current` carrying the index of `write`. */
export function reindexedDocument(current: ResourceDocument, write: ReindexWrite): ResourceDocument {
  return buildResourceDocument({
    resourceType: current.type, id: current.id, versionId: current.version, lastUpdated: current.lastUpdatedIso,
    method: current.method, resource: current.resource ?? undefined, index: write.index, expectedPreviousVersion: current.version,
  }, current.seq);
}

/** The two collection calls reindexing needs (a Collection, or a test double). */
export type ReindexCollection = Pick<Collection<ResourceDocument>, 'findOne' | 'replaceOne'>;

export async function reindexResource(resources: ReindexCollection, session: ClientSession | undefined, write: ReindexWrite): Promise<boolean> {
  const key = resourceKey(write.resourceType, write.id);
  const current = await resources.findOne({ _id: key }, { session });
  if (!current || current.deleted || !current.resource || current.version !== write.versionId) return false;
  const replaced = await resources.replaceOne({ _id: key, version: write.versionId }, reindexedDocument(current as ResourceDocument, write), { session });
  return replaced.matchedCount === 1;
}
