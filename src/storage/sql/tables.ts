/**
 * Table layout shared by the SQL engines: the current state (with the precomputed sort keys as one JSON column),
 * the append-only history and one index table per search-parameter type. Column lists here drive both the DDL
 * and the inserts.
 *
 * Every btree an insert lands in at a value-dependent position costs a dirty page per write, so each index table
 * is clustered on (rkey, seq) (SQLite WITHOUT ROWID: the table is its own rkey index, appended at its end for new
 * resources, and an update deletes its old rows by key) and carries only the lookups that searches use.
 */
import type { IndexEntries, IndexType } from '../../search/index-entries.js';

export const RESOURCE_TABLE = 'fhir_resource';
export const HISTORY_TABLE = 'fhir_history';

type ColumnKind = 'text' | 'real' | 'int';

export interface IndexTableSpec {
  table: string;
  /** value columns after (rkey, param, grp), with the entry field each one holds */
  columns: { name: string; field: string; kind: ColumnKind }[];
  /** the lookup indexes: their columns, for a partial index the column that must not be NULL, and the schema version
   * that last changed its columns (part of its name, so a database of an older layout builds it anew) */
  lookups: { columns: string[]; whereNotNull?: string; since?: number }[];
  /**
   * each row also carries its resource's type (`source_type`), so a lookup scoped to a type reads only that type's
   * rows: Condition?patient=<id> read all of the patient's references (471 of every type in the Synthea set) and
   * checked each one's resource row. NULL in rows written before schema version 5, until the resource is rewritten
   * or reindexed: a lookup keeps those rows (conditions.ts sourceTypeTest)
   */
  sourceType?: boolean;
}

const lookup = (...values: string[]) => ({ columns: ['param', ...values, 'rkey'] });

export const INDEX_TABLES: Record<IndexType, IndexTableSpec> = {
  string: {
    table: 'idx_string',
    columns: [{ name: 'norm', field: 'norm', kind: 'text' }, { name: 'exact', field: 'exact', kind: 'text' }],
    // :exact is matched as norm = normalise(value) AND exact = value, so the norm lookup serves it too
    lookups: [lookup('norm')],
  },
  token: {
    table: 'idx_token',
    columns: [
      { name: 'system', field: 'system', kind: 'text' },
      { name: 'code', field: 'code', kind: 'text' },
      { name: 'text', field: 'text', kind: 'text' },
    ],
    // :text ORs a substring test, which no index serves; its prefix half rides on the param prefix of this one
    lookups: [lookup('code', 'system')],
  },
  reference: {
    table: 'idx_reference',
    columns: [
      { name: 'target_type', field: 'targetType', kind: 'text' },
      { name: 'target_id', field: 'targetId', kind: 'text' },
      { name: 'version', field: 'version', kind: 'text' },
      { name: 'url', field: 'url', kind: 'text' },
      { name: 'identifier_system', field: 'identifierSystem', kind: 'text' },
      { name: 'identifier_value', field: 'identifierValue', kind: 'text' },
    ],
    sourceType: true,
    lookups: [
      // target first: serves searches (param and source type filtered inside the index), chains, _has and _revinclude alike
      { columns: ['target_id', 'target_type', 'param', 'source_type', 'rkey'], since: 5 },
      // most references are local: these stay untouched by their writes
      { ...lookup('url'), whereNotNull: 'url' },
      { ...lookup('identifier_value'), whereNotNull: 'identifier_value' },
    ],
  },
  date: {
    table: 'idx_date',
    columns: [{ name: 'low', field: 'low', kind: 'real' }, { name: 'high', field: 'high', kind: 'real' }],
    lookups: [lookup('low', 'high'), lookup('high')],
  },
  number: {
    table: 'idx_number',
    columns: [
      { name: 'value', field: 'value', kind: 'real' },
      { name: 'low', field: 'low', kind: 'real' },
      { name: 'high', field: 'high', kind: 'real' },
    ],
    lookups: [lookup('value')],
  },
  quantity: {
    table: 'idx_quantity',
    columns: [
      { name: 'value', field: 'value', kind: 'real' },
      { name: 'low', field: 'low', kind: 'real' },
      { name: 'high', field: 'high', kind: 'real' },
      { name: 'system', field: 'system', kind: 'text' },
      { name: 'code', field: 'code', kind: 'text' },
      { name: 'unit', field: 'unit', kind: 'text' },
    ],
    // value ranges are narrow for eq/ap; the code is checked inside the index
    lookups: [lookup('value', 'code')],
  },
  uri: {
    table: 'idx_uri',
    columns: [{ name: 'value', field: 'value', kind: 'text' }],
    lookups: [lookup('value')],
  },
};

export const INDEX_TABLE_NAMES = Object.values(INDEX_TABLES).map((spec) => spec.table);

/** the columns every index row has after its rkey: seq, param, grp, and source_type where the table keeps it */
export const rowColumns = (spec: IndexTableSpec): string[] => ['seq', 'param', 'grp', ...(spec.sourceType ? ['source_type'] : [])];

/** column names of an index table's rows, in insert order */
export const indexColumns = (spec: IndexTableSpec): string[] => ['rkey', ...rowColumns(spec), ...spec.columns.map((column) => column.name)];

/**
 * The bound values of one index table's rows (storedRows) of a resource of type `resourceType`, flat in indexColumns
 * order (seq numbers one resource's rows).
 */
export function indexValues(list: readonly Record<string, unknown>[], type: IndexType, rkey: unknown, resourceType: string, from: number, to: number): unknown[] {
  const fields = INDEX_FIELDS[type];
  const withType = INDEX_TABLES[type].sourceType === true;
  const values: unknown[] = [];
  for (let seq = from; seq < to; seq++) {
    const entry = list[seq]!;
    values.push(rkey, seq, entry.param, entry.group ?? null);
    if (withType) values.push(resourceType);
    for (const field of fields) values.push(entry[field] ?? null);
  }
  return values;
}

/** parameters the SQL engines answer from the resource row (r.id, r.last_updated): their index rows are never read */
const ROW_PARAMS: Partial<Record<IndexType, string>> = { token: '_id', date: '_lastUpdated' };

/**
 * The entries of one index table worth a row: all but those of ROW_PARAMS. (Deduplicating identical entries was
 * measured: extract yields none for typical resources, and building the keys cost ~10 µs per resource.)
 */
export function storedRows(index: IndexEntries, type: IndexType): Record<string, unknown>[] {
  const list = index[type] as unknown as Record<string, unknown>[];
  const skip = ROW_PARAMS[type];
  if (skip === undefined || !list.some((entry) => entry.param === skip)) return list;
  return list.filter((entry) => entry.param !== skip || entry.group !== undefined);
}

const INDEX_FIELDS = Object.fromEntries(
  Object.entries(INDEX_TABLES).map(([type, spec]) => [type, spec.columns.map((column) => column.field)]),
) as Record<IndexType, string[]>;

/**
 * The sort keys of a version as the JSON text of the resource row's sort_keys column: `{"<param>": asc}` plus
 * `"-<param>": desc` where the two differ, both encoded by sort-encoding.ts so byte order is sort order.
 */
export function sortKeysJson(sort: IndexEntries['sort'], encode: (value: string | number) => string): string {
  const keys: Record<string, string> = {};
  for (const param in sort) {
    const key = sort[param]!;
    const name = sortKeyName(param);
    const asc = encode(key.asc);
    keys[name] = asc;
    if (key.desc !== key.asc) {
      const desc = encode(key.desc);
      if (desc !== asc) keys['-' + name] = desc;
    }
  }
  return JSON.stringify(keys);
}

/** a parameter code as a JSON key that is safe inside a quoted JSON path and an SQL literal */
export function sortKeyName(param: string): string {
  let name = sortKeyNames.get(param);
  if (name === undefined) {
    name = safeSortKeyName(param);
    if (sortKeyNames.size > 10_000) sortKeyNames.clear();
    sortKeyNames.set(param, name);
  }
  return name;
}

const sortKeyNames = new Map<string, string>();

function safeSortKeyName(param: string): string {
  return /^[A-Za-z0-9_.-]+$/.test(param) ? param : param.replace(/[^A-Za-z0-9_.-]/g, (ch) => `~${ch.codePointAt(0)!.toString(16)}~`);
}
