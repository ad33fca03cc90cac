/** SearchQuery -> SQL: current, non-deleted rows matching every condition, sorted and keyset-paged. */
import type { SearchQuery } from '../../search/ir.js';
import type { SearchPage } from '../port.js';
import { ConditionCompiler, selectivityVaries, type BlockOptions } from './conditions.js';
import { knownCount, memoizedCount } from './count-memo.js';
import { walksTypeRows, type KnownCount, type TypeRowCounts } from './dense-walk.js';
import type { SqlDialect } from './dialect.js';
import { fetchPage, InliningParams, Params, type KeyValue, type OrderColumn } from './paging.js';
import { chooseDriver } from './selectivity.js';
import { SNAPSHOT_COLUMN, type SnapshotCounts } from './snapshot-counts.js';
import { textVersion, textVersionColumns } from './rows.js';
import type { Row, SqlSession } from './session.js';
import { RESOURCE_TABLE, sortKeyName } from './tables.js';
import { allOf } from './boolean-terms.js';

/**
 * Where the statement's values go: bound to `params`, or, when the lookup that drives it is one whose plan depends
 * on its value (conditions.ts selectivityVaries) and the dialect has literals, every value written into the text.
 * A statement without parameters is planned once, knowing all of them, and its plan kept (PostgreSQL); with the
 * drive's values alone in the text, the plan cache still chose between plans for the other, bound values and took
 * one that ran a date-range search (Patient?birthdate=gt, 19 of 1,041) at 7 ms instead of 1.
 */
function statementValues(query: SearchQuery, params: Params, dialect: SqlDialect): Params {
  if (!dialect.literal) return params;
  const driver = query.where[chooseDriver(query.where)];
  const inline = driver
    ? driver.kind === 'param' && driver.values.every(selectivityVaries)
    // nothing drives (birthdate=ne..., :missing): the type's rows are walked and each probed; bound, the probe's
    // range gave PostgreSQL no estimate, so every execution was planned again (~0.6 ms of a ~1.2 ms search)
    : query.where.some((condition) => condition.kind === 'param' && condition.values.every(selectivityVaries));
  return inline ? new InliningParams(params, dialect.literal) : params;
}

function whereClauses(query: SearchQuery, params: Params, dialect: SqlDialect, options?: BlockOptions): string[] {
  return new ConditionCompiler(params, dialect).block('r', query.types, query.where, options);
}

export interface SearchOptions {
  /** the session sees only committed state and never writes (count-memo.ts) */
  memoizeCounts?: boolean;
  /** PostgreSQL outside any transaction: counts remembered with their snapshots */
  snapshotCounts?: SnapshotCounts;
  /** outside any transaction: the types' row counts a first page is planned by (dense-walk.ts) */
  typeRows?: TypeRowCounts;
}

/** `withSnapshot`: the statement also returns its snapshot (snapshot-counts.ts) */
function countStatement(query: SearchQuery, dialect: SqlDialect, withSnapshot = false): { sql: string; params: unknown[] } {
  const params = new Params();
  const where = whereClauses(query, statementValues(query, params, dialect), dialect, { count: true });
  const counted = withSnapshot ? `COUNT(*) AS n, ${SNAPSHOT_COLUMN}` : 'COUNT(*) AS n';
  return { sql: `SELECT ${counted} FROM ${RESOURCE_TABLE} r WHERE ${allOf(where)}`, params: params.values };
}

/** `statement`: the query's count statement when the caller compiled it already */
export async function countMatches(
  session: SqlSession, dialect: SqlDialect, query: SearchQuery, options: SearchOptions = {}, statement = countStatement(query, dialect),
): Promise<number> {
  const { sql, params } = statement;
  const count = async () => Number((await session.all(sql, params))[0]!.n);
  return options.memoizeCounts ? memoizedCount(session, sql, params, count) : count();
}

/**
 * `_summary=count` on PostgreSQL outside any transaction: the current snapshot first (one short statement), and the
 * count remembered in that snapshot when there is one. A dashboard polling `Observation?_summary=count` over 101,060
 * Observations counted them on every request (17-53 ms); unchanged data is answered in a round trip.
 */
async function countInSnapshot(session: SqlSession, dialect: SqlDialect, query: SearchQuery, snapshots: SnapshotCounts): Promise<number> {
  const [row] = await session.all(`SELECT ${SNAPSHOT_COLUMN}`, []);
  return snapshots.countIn(session, countStatement(query, dialect), () => countStatement(query, dialect, true).sql, row?.count_snapshot);
}

export async function runSearch(session: SqlSession, dialect: SqlDialect, query: SearchQuery, options: SearchOptions = {}): Promise<SearchPage> {
  if (query.count === 0) {
    const total = options.snapshotCounts ? await countInSnapshot(session, dialect, query, options.snapshotCounts) : await countMatches(session, dialect, query, options);
    return { items: [], total };
  }

  const params = new Params();
  const values = statementValues(query, params, dialect);
  const columns: OrderColumn[] = [];
  const selected: string[] = [];
  query.sort.forEach((key, n) => {
    if (key.param === '_id') {
      columns.push({ expr: 'r.id', alias: 'id', descending: key.descending, nullable: false, read: (row) => row.id as string });
    } else if (key.param === '_lastUpdated') {
      columns.push({ expr: 'r.last_updated', alias: 'last_updated', descending: key.descending, nullable: false, read: (row) => Number(row.last_updated) });
    } else {
      // the key is inlined (sortKeyName keeps it literal-safe): paging repeats the expression, and positional placeholders cannot be reused
      const name = sortKeyName(key.param);
      const asc = dialect.sortKey('r.sort_keys', name);
      const expr = key.descending ? `COALESCE(${dialect.sortKey('r.sort_keys', '-' + name)}, ${asc})` : asc;
      selected.push(`${expr} AS sort${n}`);
      columns.push({ expr, alias: `sort${n}`, descending: key.descending, nullable: true, read: (row) => (row[`sort${n}`] ?? null) as KeyValue });
    }
  });
  columns.push({ expr: 'r.rkey', alias: 'rkey', descending: false, nullable: false, read: (row) => Number(row.rkey) });

  const postgres = dialect.name === 'postgres';
  // PostgreSQL reads the version columns with the content, after the top-N sort, so the keys counted and sorted stay
  // narrow (Observation?category=laboratory, 1,410 matches: statement ~4.8 -> ~2.1 ms); SQLite has no late join
  const keyColumns = postgres
    ? columns.filter((column) => column.alias === 'id' || column.alias === 'last_updated').map((column) => column.expr)
    : [textVersionColumns(dialect, 'r')];
  // PostgreSQL: the first page counts its matches in the same statement (one round trip, one pass over them), unless
  // a count remembered with the statement's snapshot holds (which spares later pages their count statement too)
  const snapshots = postgres && query.total !== 'none' ? options.snapshotCounts : undefined;
  // compiled once, for the walk's choice and the total (PostgreSQL: also the key of its remembered count)
  let compiledCount: { sql: string; params: unknown[] } | undefined;
  const countOfQuery = () => compiledCount ??= countStatement(query, dialect);
  const counted = snapshots && countOfQuery();
  const countAlong = postgres && query.total !== 'none' && query.cursor === undefined
    && (!counted || snapshots!.countAlong(counted.sql, counted.params));
  if (countAlong) selected.push('COUNT(*) OVER () AS match_count');
  const lateColumns = snapshots ? `${textVersionColumns(dialect, 'c')}, ${SNAPSHOT_COLUMN}` : textVersionColumns(dialect, 'c');
  // a walk of the type's rows needs no count along: it is chosen from counts known before the statement
  const known: KnownCount | undefined = options.memoizeCounts ? (sql, params) => knownCount(session, sql, params)
    : snapshots && !countAlong ? async (sql, params) => snapshots.lastCount(sql, params)
      : undefined;
  const walk = known !== undefined && options.typeRows !== undefined
    && await walksTypeRows(session, options.typeRows, known, query, countOfQuery);
  // a first page in key order that counts its matches probes every candidate: from typed reference rows, the
  // candidates need no resource row (conditions.ts typedReferenceDrive)
  const typedDrive = countAlong && !walk && query.sort.length === 0
    ? new ConditionCompiler(values, dialect).typedReferenceDrive('r', query.types, query.where) : undefined;
  const page = await fetchPage(session, dialect, {
    select: `SELECT ${['r.rkey', ...keyColumns, ...selected].join(', ')} FROM ${typedDrive?.from ?? `${RESOURCE_TABLE} r`}`,
    where: typedDrive?.where ?? whereClauses(query, values, dialect, {
      walk,
      keyOrderedPage: query.sort.length === 0 && !countAlong,
    }),
    params: values,
    columns,
    count: query.count,
    ...(postgres ? { late: { select: lateColumns, join: `JOIN ${RESOURCE_TABLE} c ON c.rkey = k.rkey` } } : {}),
    shape: 'search:' + query.sort.map((key) => (key.descending ? '-' : '') + key.param).join(','),
    cursor: query.cursor,
  });
  const result: SearchPage = { items: page.rows.map((row) => textVersion(dialect, row)) };
  if (query.total !== 'none') {
    // a first page holding every match is its own total: no COUNT statement (a round trip on PostgreSQL)
    if (query.cursor === undefined && !page.nextCursor) result.total = page.rows.length;
    else if (countAlong) {
      result.total = Number(page.rows[0]!.match_count);
      if (counted) snapshots!.remember(counted.sql, counted.params, page.rows[0]!.count_snapshot, result.total);
    } else if (counted) {
      result.total = await snapshots!.countIn(session, counted, () => countStatement(query, dialect, true).sql, page.rows[0]?.count_snapshot);
    } else result.total = await countMatches(session, dialect, query, options, countOfQuery());
  }
  if (page.nextCursor) result.nextCursor = page.nextCursor;
  if (page.previousCursor) result.previousCursor = page.previousCursor;
  return result;
}

