/**
 * Table layout shared by the SQL engines: the current state, the append-only history, one index table per
 * search-parameter type and the precomputed sort keys. Column lists here drive both the DDL and the inserts.
 */
import type { IndexEntries, IndexType } from '../../search/index-entries.js';

export const RESOURCE_TABLE = 'fhir_resource';
export const HISTORY_TABLE = 'fhir_history';
export const SORT_TABLE = 'idx_sort';

type ColumnKind = 'text' | 'real' | 'int';

export interface IndexTableSpec {
  table: string;
  /** value columns after (rkey, param, grp), with the entry field each one holds */
  columns: { name: string; field: string; kind: ColumnKind }[];
  /** value columns of the lookup indexes; each index is (param, ...these, rkey) */
  lookups: string[][];
}

export const INDEX_TABLES: Record<IndexType, IndexTableSpec> = {
  string: {
    table: 'idx_string',
    columns: [{ name: 'norm', field: 'norm', kind: 'text' }, { name: 'exact', field: 'exact', kind: 'text' }],
    lookups: [['norm'], ['exact']],
  },
  token: {
    table: 'idx_token',
    columns: [
      { name: 'system', field: 'system', kind: 'text' },
      { name: 'code', field: 'code', kind: 'text' },
      { name: 'text', field: 'text', kind: 'text' },
    ],
    lookups: [['code', 'system'], ['text']],
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
    lookups: [['target_id', 'target_type'], ['url'], ['identifier_value']],
  },
  date: {
    table: 'idx_date',
    columns: [{ name: 'low', field: 'low', kind: 'real' }, { name: 'high', field: 'high', kind: 'real' }],
    lookups: [['low', 'high'], ['high']],
  },
  number: {
    table: 'idx_number',
    columns: [
      { name: 'value', field: 'value', kind: 'real' },
      { name: 'low', field: 'low', kind: 'real' },
      { name: 'high', field: 'high', kind: 'real' },
    ],
    lookups: [['value']],
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
    lookups: [['code', 'value'], ['value']],
  },
  uri: {
    table: 'idx_uri',
    columns: [{ name: 'value', field: 'value', kind: 'text' }],
    lookups: [['value']],
  },
};

export const INDEX_TABLE_NAMES = [...Object.values(INDEX_TABLES).map((spec) => spec.table), SORT_TABLE];

/** Rows (without rkey) for one index table, in column order: param, grp, values... */
export function indexRows(entries: IndexEntries, type: IndexType): unknown[][] {
  const spec = INDEX_TABLES[type];
  return (entries[type] as unknown as Record<string, unknown>[]).map((entry) => [
    entry.param,
    entry.group ?? null,
    ...spec.columns.map((column) => entry[column.field] ?? null),
  ]);
}
