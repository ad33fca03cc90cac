/** History at instance, type and system level (R4 http.html#history), newest first, keyset-paged. */
import type { HistoryQuery, Page, StoredVersion } from '../port.js';
import type { SqlDialect } from './dialect.js';
import { fetchPage, Params, type OrderColumn } from './paging.js';
import { historyVersionColumns, rowToVersion } from './rows.js';
import type { SqlSession } from './session.js';
import { HISTORY_TABLE, RESOURCE_TABLE } from './tables.js';

const HISTORY_ORDER: OrderColumn[] = [
  { expr: 'h.last_updated', descending: true, nullable: false, read: (row) => Number(row.last_updated) },
  { expr: 'h.hkey', descending: true, nullable: false, read: (row) => Number(row.hkey) },
];

export async function readHistory(
  session: SqlSession,
  dialect: SqlDialect,
  query: HistoryQuery & { total?: boolean },
): Promise<Page<StoredVersion>> {
  const params = new Params();
  const where: string[] = [];
  if (query.resourceType !== undefined && query.id !== undefined) {
    // instance history: the versions of one current-state row, by its (rkey, version) key
    where.push(`h.rkey = (SELECT rkey FROM ${RESOURCE_TABLE} WHERE type = ${params.bind(query.resourceType)} AND id = ${params.bind(query.id)})`);
  } else {
    if (query.resourceType !== undefined) where.push(`h.type = ${params.bind(query.resourceType)}`);
    if (query.id !== undefined) where.push(`h.id = ${params.bind(query.id)}`);
  }
  if (query.since !== undefined) where.push(`h.last_updated >= ${params.bind(query.since)}`);
  if (query.at !== undefined) {
    // the version current at `at`: the newest one of its resource not later than `at`
    where.push(`h.last_updated <= ${params.bind(query.at)}`);
    where.push(`NOT EXISTS (SELECT 1 FROM ${HISTORY_TABLE} later WHERE later.rkey = h.rkey`
      + ` AND later.version > h.version AND later.last_updated <= ${params.bind(query.at)})`);
  }
  let total: number | undefined;
  if (query.total) {
    const [row] = await session.all(
      `SELECT COUNT(*) AS n FROM ${HISTORY_TABLE} h${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
      params.values,
    );
    total = Number(row!.n);
  }
  const page = await fetchPage(session, dialect, {
    select: `SELECT h.hkey, ${historyVersionColumns(dialect)} FROM ${HISTORY_TABLE} h`,
    where,
    params,
    columns: HISTORY_ORDER,
    count: query.count,
    shape: 'history',
    cursor: query.cursor,
  });
  const result: Page<StoredVersion> = { items: page.rows.map((row) => rowToVersion(dialect, row)) };
  if (total !== undefined) result.total = total;
  if (page.nextCursor) result.nextCursor = page.nextCursor;
  if (page.previousCursor) result.previousCursor = page.previousCursor;
  return result;
}
