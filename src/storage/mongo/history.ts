/**
 * History (R4 http.html#history) over the append-only history collection, newest first, keyset-paged.
 * Written as one aggregation pipeline so mingo can evaluate exactly what MongoDB runs.
 */
import type { Document } from 'mongodb';
import type { HistoryQuery, Page, StoredVersion } from '../port.js';
import { toStoredVersion, VERSION_PROJECTION, type HistoryDocument } from './document.js';
import { decodeCursor, finishPage, keysetFilter, sortSpec, type SortColumn } from './paging.js';

export interface HistorySource {
  aggregate(pipeline: Document[]): Promise<Document[]>;
}

/** newest first; `seq` orders versions written within the same millisecond, `_id` makes the order total */
export const HISTORY_COLUMNS: SortColumn[] = [
  { field: 'lastUpdated', descending: true },
  { field: 'seq', descending: true },
  { field: '_id', descending: true },
];

/** Stages selecting the versions a history query covers, before paging. */
export function historySelection(query: HistoryQuery): Document[] {
  const match: Document = {};
  if (query.resourceType !== undefined) match.type = query.resourceType;
  if (query.id !== undefined) match.id = query.id;
  const lastUpdated: Document = {};
  if (query.since !== undefined) lastUpdated.$gte = query.since;
  if (query.at !== undefined) lastUpdated.$lte = query.at;
  if (Object.keys(lastUpdated).length > 0) match.lastUpdated = lastUpdated;
  const stages: Document[] = [{ $match: match }];
  if (query.at !== undefined) {
    // the version current at `at`: the highest version of each resource not later than `at`
    stages.push(
      { $sort: { type: 1, id: 1, version: -1 } },
      { $group: { _id: { type: '$type', id: '$id' }, current: { $first: '$$ROOT' } } },
      { $replaceRoot: { newRoot: '$current' } },
    );
  }
  return stages;
}

export async function readHistory(query: HistoryQuery & { total?: boolean }, source: HistorySource): Promise<Page<StoredVersion>> {
  const cursor = query.cursor ? decodeCursor(HISTORY_COLUMNS, query.cursor) : undefined;
  const selection = historySelection(query);
  let total: number | undefined;
  if (query.total) {
    const [counted] = await source.aggregate([...selection, { $count: 'n' }]);
    total = (counted?.n as number | undefined) ?? 0;
  }
  if (query.count <= 0) return total === undefined ? { items: [] } : { items: [], total };
  const backwards = cursor?.direction === 'previous';
  const fetched = await source.aggregate([
    ...selection,
    ...(cursor ? [{ $match: keysetFilter(HISTORY_COLUMNS, cursor.values, backwards) }] : []),
    { $sort: sortSpec(HISTORY_COLUMNS, backwards) },
    { $limit: query.count + 1 },
    { $project: { ...VERSION_PROJECTION, lastUpdated: 1, seq: 1 } },
  ]);
  const { rows, nextCursor, previousCursor } = finishPage(fetched, query.count, HISTORY_COLUMNS, cursor);
  const page: Page<StoredVersion> = { items: rows.map((row) => toStoredVersion(row as HistoryDocument)) };
  if (total !== undefined) page.total = total;
  if (nextCursor) page.nextCursor = nextCursor;
  if (previousCursor) page.previousCursor = previousCursor;
  return page;
}
