/**
 * Keyset paging shared by search and history. A page is anchored on the sort values of its first or last row
 * (always ending with the surrogate key), so pages stay stable while rows are inserted or updated elsewhere.
 * Missing (NULL) sort values come last in the forward order.
 */
import { FhirError } from '../../fhir/errors.js';
import type { SqlDialect } from './dialect.js';
import type { Row, SqlSession } from './session.js';
import { allOf } from './boolean-terms.js';

export type KeyValue = string | number | null;

export interface OrderColumn {
  expr: string;
  descending: boolean;
  nullable: boolean;
  /** value of this column in a fetched row */
  read(row: Row): KeyValue;
  /** the column's name in the select list (needed with PagedQuery.late) */
  alias?: string;
}

export interface CursorState {
  direction: 'next' | 'previous';
  values: KeyValue[];
  /** the anchor row itself belongs to the page (used after an empty page) */
  inclusive: boolean;
}

/** Collects bound values; SQL is written with `?` and converted by the dialect. */
export class Params {
  constructor(readonly values: unknown[] = []) {}

  bind(value: unknown): string {
    this.values.push(value);
    return '?';
  }
  list(values: readonly unknown[]): string {
    return values.map((value) => this.bind(value)).join(', ');
  }
}

/** Writes values into the text as the dialect's literals where it has one for them, binding the others to `bound`. */
export class InliningParams extends Params {
  constructor(bound: Params, private readonly literal: (value: unknown) => string | undefined) {
    super(bound.values);
  }

  override bind(value: unknown): string {
    return this.literal(value) ?? super.bind(value);
  }
}

export function encodeCursor(shape: string, state: CursorState): string {
  const payload = { s: shape, d: state.direction === 'next' ? 'n' : 'p', v: state.values, i: state.inclusive ? 1 : 0 };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeCursor(shape: string, width: number, cursor: string): CursorState {
  let payload: { s?: unknown; d?: unknown; v?: unknown; i?: unknown };
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new FhirError('invalid-cursor', 'The paging cursor is not one this server issued');
  }
  const valuesOk = Array.isArray(payload.v) && payload.v.length === width
    && payload.v.every((value) => value === null || typeof value === 'string' || typeof value === 'number');
  if (payload.s !== shape || !valuesOk || (payload.d !== 'n' && payload.d !== 'p')) {
    throw new FhirError('invalid-cursor', 'The paging cursor does not belong to this query (sort order changed?)');
  }
  return { direction: payload.d === 'n' ? 'next' : 'previous', values: payload.v as KeyValue[], inclusive: payload.i === 1 };
}

export function orderByClause(columns: OrderColumn[], reversed: boolean): string {
  return columns.map((column) => {
    const descending = column.descending !== reversed;
    const nulls = column.nullable ? (reversed ? ' NULLS FIRST' : ' NULLS LAST') : '';
    return `${column.expr} ${descending ? 'DESC' : 'ASC'}${nulls}`;
  }).join(', ');
}

/** Rows strictly after (or before) the anchor in the forward order; inclusive adds the anchor itself. */
export function keysetCondition(params: Params, columns: OrderColumn[], anchor: KeyValue[], side: 'after' | 'before', inclusive: boolean): string {
  // every term binds its own values, in text order, because positional placeholders cannot be reused
  const equal = (n: number) => {
    const value = anchor[n] ?? null;
    return value === null ? `${columns[n]!.expr} IS NULL` : `${columns[n]!.expr} = ${params.bind(value)}`;
  };
  const alternatives: string[] = [];
  columns.forEach((column, n) => {
    const value = anchor[n] ?? null;
    const reachable = side === 'after' ? value !== null : true;
    if (!reachable) return;
    const terms = columns.slice(0, n).map((_, m) => equal(m));
    terms.push(side === 'after' ? afterColumn(params, column, value!) : beforeColumn(params, column, value));
    alternatives.push(terms.join(' AND '));
  });
  if (inclusive) alternatives.push(columns.map((_, n) => equal(n)).join(' AND '));
  return alternatives.length ? `(${alternatives.map((term) => `(${term})`).join(' OR ')})` : '1 = 0';
}

function afterColumn(params: Params, column: OrderColumn, value: string | number): string {
  const comparison = `${column.expr} ${column.descending ? '<' : '>'} ${params.bind(value)}`;
  return column.nullable ? `(${column.expr} IS NULL OR ${comparison})` : comparison;
}

function beforeColumn(params: Params, column: OrderColumn, value: KeyValue): string {
  if (value === null) return `${column.expr} IS NOT NULL`;
  return `${column.expr} ${column.descending ? '>' : '<'} ${params.bind(value)}`;
}

export interface PagedQuery {
  /** `SELECT ... FROM ...` */
  select: string;
  /** conditions already rendered against `params` */
  where: string[];
  params: Params;
  columns: OrderColumn[];
  count: number;
  /**
   * Columns computed only for the rows of the page: the page's keys are selected first (as `k`, every order
   * column under its alias) and `join` brings the row these columns read. PostgreSQL evaluates a select list
   * below the sort, for every match, when the page is cut by a top-N sort.
   */
  late?: { select: string; join: string };
  /** identifies the order so cursors from another query are refused */
  shape: string;
  cursor?: string;
}

export interface FetchedPage {
  rows: Row[];
  nextCursor?: string;
  previousCursor?: string;
}

function pageLimit(count: number): number {
  if (!Number.isSafeInteger(count) || count < 0) throw new Error(`page size must be a non-negative integer, got ${count}`);
  return count + 1;
}

export async function fetchPage(session: SqlSession, dialect: SqlDialect, query: PagedQuery): Promise<FetchedPage> {
  const state = query.cursor === undefined ? undefined : decodeCursor(query.shape, query.columns.length, query.cursor);
  const backwards = state?.direction === 'previous';
  const where = [...query.where];
  if (state) where.push(keysetCondition(query.params, query.columns, state.values, backwards ? 'before' : 'after', state.inclusive));
  // the limit is a literal: SQLite peeks at a bound LIMIT while planning, so every run with it bound re-prepared the
  // statement (~20 us for a search page, more for chains); on PostgreSQL it makes one prepared statement per page size
  const keys = `${query.select}${where.length ? ` WHERE ${allOf(where)}` : ''}`
    + ` ORDER BY ${orderByClause(query.columns, backwards)} LIMIT ${pageLimit(query.count)}`;
  const late = query.late;
  const sql = late
    ? `SELECT k.*, ${late.select} FROM (${keys}) k ${late.join}`
      + ` ORDER BY ${orderByClause(query.columns.map((column) => ({ ...column, expr: `k.${column.alias!}` })), backwards)}`
    : keys;
  const fetched = await session.all(sql, query.params.values);
  const more = fetched.length > query.count;
  const rows = fetched.slice(0, query.count);
  if (backwards) rows.reverse();
  const anchorOf = (row: Row) => query.columns.map((column) => column.read(row));
  const cursor = (direction: CursorState['direction'], values: KeyValue[], inclusive = false) =>
    encodeCursor(query.shape, { direction, values, inclusive });
  const first = rows[0];
  const last = rows[rows.length - 1];
  const page: FetchedPage = { rows };
  if (backwards) {
    if (more && first) page.previousCursor = cursor('previous', anchorOf(first));
    page.nextCursor = last ? cursor('next', anchorOf(last)) : cursor('next', state!.values, !state!.inclusive);
  } else {
    if (more && last) page.nextCursor = cursor('next', anchorOf(last));
    if (state) page.previousCursor = first ? cursor('previous', anchorOf(first)) : cursor('previous', state.values, !state.inclusive);
  }
  return page;
}
