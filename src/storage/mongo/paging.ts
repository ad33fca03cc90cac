/**
 * _sort and keyset paging over precomputed sort keys (document.ts `srt`), never over MongoDB's own
 * array-sort rules. A cursor carries the sort values and _id of a page boundary row; the next page is
 * every row strictly after it in sort order, the previous page every row strictly before it.
 *
 * Ordering: a parameter sorts on its presence flag first (resources without a value come last in both
 * directions), then on its asc or desc key; creation order (`seq`, then `_id`) breaks every tie, as the
 * SQL engines' row key does, so the order is total.
 * Missing fields are the least values in MongoDB's ordering (mingo agrees), which the keyset filter
 * below relies on.
 */
import type { Document } from 'mongodb';
import { FhirError } from '../../fhir/errors.js';
import type { SortKey } from '../../search/ir.js';
import { sortFieldName } from './document.js';

export interface SortColumn { field: string; descending: boolean }

export function sortColumns(keys: SortKey[]): SortColumn[] {
  const columns: SortColumn[] = [];
  const seen = new Set<string>();
  const add = (column: SortColumn) => {
    if (seen.has(column.field)) return;
    seen.add(column.field);
    columns.push(column);
  };
  for (const key of keys) {
    if (key.param === '_id') add({ field: 'id', descending: key.descending });
    else if (key.param === '_lastUpdated') add({ field: 'lastUpdated', descending: key.descending });
    else {
      const base = `srt.${sortFieldName(key.param)}`;
      if (seen.has(`${base}.h`)) continue;
      add({ field: `${base}.h`, descending: true });
      add({ field: key.descending ? `${base}.d` : `${base}.a`, descending: key.descending });
    }
  }
  add({ field: 'seq', descending: false });
  add({ field: '_id', descending: false });
  return columns;
}

/** The MongoDB sort document (insertion-ordered), reversed for walking backwards to a previous page. */
export function sortSpec(columns: SortColumn[], reverse: boolean): Record<string, 1 | -1> {
  const spec: Record<string, 1 | -1> = {};
  for (const column of columns) spec[column.field] = column.descending !== reverse ? -1 : 1;
  return spec;
}

export function valueAt(doc: Document, path: string): unknown {
  let value: unknown = doc;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return null;
    value = (value as Record<string, unknown>)[part];
  }
  return value ?? null;
}

/** Rows strictly after `value` in one column, walking in `descending` order; missing is the least value. */
function strictlyAfter(field: string, value: unknown, descending: boolean): Document | undefined {
  if (descending) {
    if (value === null) return undefined;
    return { $or: [{ [field]: { $lt: value } }, { [field]: null }] };
  }
  return value === null ? { [field]: { $ne: null } } : { [field]: { $gt: value } };
}

/** Rows strictly after the boundary row `values` (one per column) in the walking order. */
export function keysetFilter(columns: SortColumn[], values: unknown[], reverse: boolean): Document {
  const alternatives: Document[] = [];
  for (let k = 0; k < columns.length; k++) {
    const column = columns[k]!;
    const after = strictlyAfter(column.field, values[k] ?? null, column.descending !== reverse);
    if (!after) continue;
    const equalPrefix = columns.slice(0, k).map((c, j) => ({ [c.field]: values[j] ?? null }));
    alternatives.push(equalPrefix.length === 0 ? after : { $and: [...equalPrefix, after] });
  }
  return alternatives.length === 1 ? alternatives[0]! : alternatives.length === 0 ? { _id: { $in: [] } } : { $or: alternatives };
}

export interface Cursor { direction: 'next' | 'previous'; values: unknown[] }

/** Ties a cursor to the sort it was made for, so a cursor from another _sort is refused, not misread. */
const signatureOf = (columns: SortColumn[]) => columns.map((c) => (c.descending ? '-' : '') + c.field).join(',');

export function encodeCursor(columns: SortColumn[], direction: Cursor['direction'], doc: Document): string {
  const payload = { s: signatureOf(columns), d: direction === 'next' ? 'n' : 'p', k: columns.map((c) => valueAt(doc, c.field)) };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

export function decodeCursor(columns: SortColumn[], cursor: string): Cursor {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new FhirError('invalid-cursor', 'The paging cursor is not one this server issued');
  }
  const { s, d, k } = (payload ?? {}) as { s?: unknown; d?: unknown; k?: unknown };
  if (typeof s !== 'string' || (d !== 'n' && d !== 'p') || !Array.isArray(k) || k.length !== columns.length) {
    throw new FhirError('invalid-cursor', 'The paging cursor is not one this server issued');
  }
  if (s !== signatureOf(columns)) {
    throw new FhirError('invalid-cursor', 'The paging cursor belongs to a search with a different _sort');
  }
  return { direction: d === 'n' ? 'next' : 'previous', values: k };
}

export interface PageOfRows { rows: Document[]; nextCursor?: string; previousCursor?: string }

/**
 * Turns the `count + 1` rows fetched after (or, walking backwards, before) the cursor into a page: the extra
 * row only tells whether more exist in the walking direction; rows behind the cursor exist whenever a cursor was used.
 */
export function finishPage(fetched: Document[], count: number, columns: SortColumn[], cursor: Cursor | undefined): PageOfRows {
  const backwards = cursor?.direction === 'previous';
  const more = fetched.length > count;
  const rows = fetched.slice(0, count);
  if (backwards) rows.reverse();
  const page: PageOfRows = { rows };
  const hasNext = backwards ? cursor !== undefined : more;
  const hasPrevious = backwards ? more : cursor !== undefined;
  const first = rows[0];
  const last = rows[rows.length - 1];
  if (hasNext && last) page.nextCursor = encodeCursor(columns, 'next', last);
  if (hasPrevious && first) page.previousCursor = encodeCursor(columns, 'previous', first);
  return page;
}
