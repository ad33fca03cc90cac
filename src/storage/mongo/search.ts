/**
 * Search execution over any source of current-state documents: the MongoDB collection in the store,
 * mingo over in-memory documents in the cross-check. Both run this same code, so the cross-check covers
 * compilation, sub-queries, sorting and cursor paging, not only the filters.
 */
import type { Document } from 'mongodb';
import type { SearchQuery } from '../../search/ir.js';
import type { SearchPage } from '../port.js';
import { andFilters, baseFilter, compileWhere, type SubQueryRunner } from './compile.js';
import { toStoredVersion, VERSION_PROJECTION, type ResourceDocument } from './document.js';
import { decodeCursor, finishPage, keysetFilter, sortColumns, sortSpec } from './paging.js';

export interface FindOptions {
  projection?: Document;
  sort?: Record<string, 1 | -1>;
  limit?: number;
}

export interface DocumentSource extends SubQueryRunner {
  findSorted(filter: Document, options: FindOptions): Promise<Document[]>;
  count(filter: Document): Promise<number>;
}

/** The full filter of a query without paging: current resources of its types matching every condition. */
export async function searchFilter(query: SearchQuery, source: SubQueryRunner): Promise<Document> {
  return andFilters([baseFilter(query.types), await compileWhere(query.where, source)]);
}

export async function executeSearch(query: SearchQuery, source: DocumentSource): Promise<SearchPage> {
  const columns = sortColumns(query.sort);
  const cursor = query.cursor ? decodeCursor(columns, query.cursor) : undefined;
  const filter = await searchFilter(query, source);
  const total = query.total !== 'none' || query.count <= 0 ? await source.count(filter) : undefined;
  if (query.count <= 0) return { items: [], total };

  const backwards = cursor?.direction === 'previous';
  const pageFilter = cursor ? andFilters([filter, keysetFilter(columns, cursor.values, backwards)]) : filter;
  const rows = await source.findSorted(pageFilter, {
    projection: { ...VERSION_PROJECTION, srt: 1, seq: 1, lastUpdated: 1 },
    sort: sortSpec(columns, backwards),
    limit: query.count + 1,
  });
  const { rows: pageRows, nextCursor, previousCursor } = finishPage(rows, query.count, columns, cursor);
  const page: SearchPage = { items: pageRows.map((row) => toStoredVersion(row as ResourceDocument)) };
  if (total !== undefined) page.total = total;
  if (nextCursor) page.nextCursor = nextCursor;
  if (previousCursor) page.previousCursor = previousCursor;
  return page;
}
