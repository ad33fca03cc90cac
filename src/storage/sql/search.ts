/** SearchQuery -> SQL: current, non-deleted rows matching every condition, sorted and keyset-paged. */
import type { Resource } from '../../fhir/types.js';
import type { SearchQuery } from '../../search/ir.js';
import type { SearchPage, StoredVersion } from '../port.js';
import { ConditionCompiler, type BlockOptions } from './conditions.js';
import type { SqlDialect } from './dialect.js';
import { fetchPage, Params, type KeyValue, type OrderColumn } from './paging.js';
import { rowToVersion, VERSION_COLUMNS } from './rows.js';
import type { Row, SqlSession } from './session.js';
import { RESOURCE_TABLE, sortKeyName } from './tables.js';

function whereClauses(query: SearchQuery, params: Params, dialect: SqlDialect, options?: BlockOptions): string[] {
  return new ConditionCompiler(params, dialect).block('r', query.types, query.where, options);
}

export async function countMatches(session: SqlSession, dialect: SqlDialect, query: SearchQuery): Promise<number> {
  const params = new Params();
  const where = whereClauses(query, params, dialect, { count: true });
  const [row] = await session.all(`SELECT COUNT(*) AS n FROM ${RESOURCE_TABLE} r WHERE ${where.join(' AND ')}`, params.values);
  return Number(row!.n);
}

export async function runSearch(session: SqlSession, dialect: SqlDialect, query: SearchQuery): Promise<SearchPage> {
  if (query.count === 0) return { items: [], total: await countMatches(session, dialect, query) };

  const params = new Params();
  const columns: OrderColumn[] = [];
  const selected: string[] = [];
  query.sort.forEach((key, n) => {
    if (key.param === '_id') {
      columns.push({ expr: 'r.id', descending: key.descending, nullable: false, read: (row) => row.id as string });
    } else if (key.param === '_lastUpdated') {
      columns.push({ expr: 'r.last_updated', descending: key.descending, nullable: false, read: (row) => Number(row.last_updated) });
    } else {
      // the key is inlined (sortKeyName keeps it literal-safe): paging repeats the expression, and positional placeholders cannot be reused
      const name = sortKeyName(key.param);
      const asc = dialect.sortKey('r.sort_keys', name);
      const expr = key.descending ? `COALESCE(${dialect.sortKey('r.sort_keys', '-' + name)}, ${asc})` : asc;
      selected.push(`${expr} AS sort${n}`);
      columns.push({ expr, descending: key.descending, nullable: true, read: (row) => (row[`sort${n}`] ?? null) as KeyValue });
    }
  });
  columns.push({ expr: 'r.rkey', descending: false, nullable: false, read: (row) => Number(row.rkey) });

  const versionColumns = VERSION_COLUMNS.split(', ').map((column) => `r.${column}`);
  const page = await fetchPage(session, dialect, {
    select: `SELECT ${['r.rkey', ...versionColumns, ...selected].join(', ')} FROM ${RESOURCE_TABLE} r`,
    where: whereClauses(query, params, dialect),
    params,
    columns,
    count: query.count,
    shape: 'search:' + query.sort.map((key) => (key.descending ? '-' : '') + key.param).join(','),
    cursor: query.cursor,
  });
  const result: SearchPage = { items: page.rows.map((row) => pageVersion(dialect, row)) };
  if (query.total !== 'none') {
    // a first page holding every match is its own total: no COUNT statement (a round trip on PostgreSQL)
    result.total = query.cursor === undefined && !page.nextCursor ? page.rows.length : await countMatches(session, dialect, query);
  }
  if (page.nextCursor) result.nextCursor = page.nextCursor;
  if (page.previousCursor) result.previousCursor = page.previousCursor;
  return result;
}

/**
 * A matched row as a version whose resource is parsed only when read: a response that sends the stored text
 * (version.json) never parses it. PostgreSQL hands JSONB over parsed, in its own key order, so it has no such text.
 */
function pageVersion(dialect: SqlDialect, row: Row): StoredVersion {
  const content = row.content;
  if (dialect.name !== 'sqlite' || typeof content !== 'string' || Number(row.deleted) === 1) return rowToVersion(dialect, row);
  const version: StoredVersion = {
    resourceType: row.type as string,
    id: row.id as string,
    versionId: Number(row.version),
    lastUpdated: new Date(Number(row.last_updated)).toISOString(),
    deleted: false,
    method: row.method as StoredVersion['method'],
    json: content,
  };
  let parsed: Resource | undefined;
  Object.defineProperty(version, 'resource', {
    enumerable: true,
    configurable: true,
    get: () => (parsed ??= dialect.decodeContent(content)),
    set(resource: Resource | undefined) {
      // a caller replacing the resource: the stored text no longer describes it
      Object.defineProperty(version, 'resource', { value: resource, enumerable: true, configurable: true, writable: true });
      delete version.json;
    },
  });
  return version;
}
