/**
 * A DocumentSource over in-memory documents evaluated by mingo, an independent implementation of
 * MongoDB's query language: the cross-check runs the store's own search code (src/storage/mongo/search.ts)
 * against it, so the emitted filters, sorts and limits are what mingo evaluates.
 */
import { find } from 'mingo';
import type { Document } from 'mongodb';
import type { Resource } from '../../src/fhir/types.js';
import type { IndexEntries } from '../../src/search/index-entries.js';
import { buildResourceDocument, type ResourceDocument } from '../../src/storage/mongo/document.js';
import type { DocumentSource, FindOptions } from '../../src/storage/mongo/search.js';

export const FIXTURE_INSTANT = '2024-01-01T00:00:00.000Z';

/**
 * Documents for fixtures written in order as version 1, keeping meta.versionId / meta.lastUpdated when
 * the fixture states them (creation order is the sequence, as in the store).
 */
export function documentsFor(fixtures: { resource: Resource; index: IndexEntries }[]): ResourceDocument[] {
  return fixtures.map(({ resource, index }, position) => buildResourceDocument({
    resourceType: resource.resourceType,
    id: resource.id!,
    versionId: Number(resource.meta?.versionId ?? 1),
    lastUpdated: resource.meta?.lastUpdated ?? FIXTURE_INSTANT,
    method: 'PUT',
    resource,
    index,
    expectedPreviousVersion: 0,
  }, position + 1));
}

export function mingoSource(documents: Document[]): DocumentSource & { filters: Document[] } {
  const filters: Document[] = [];
  return {
    filters,
    async find(filter, projection) {
      filters.push(filter);
      return find(documents, filter, projection).all() as Document[];
    },
    async findSorted(filter: Document, options: FindOptions) {
      filters.push(filter);
      let cursor = find(documents, filter, options.projection);
      if (options.sort) cursor = cursor.sort(options.sort);
      if (options.limit !== undefined) cursor = cursor.limit(options.limit);
      return cursor.all() as Document[];
    },
    async count(filter) {
      filters.push(filter);
      return find(documents, filter).all().length;
    },
  };
}
