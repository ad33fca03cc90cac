/**
 * Writes in few statements on engines with data-modifying CTEs and array parameters (PostgreSQL).
 *
 * A create is one statement: the
 * current row inserted ON CONFLICT DO NOTHING, its history row (without content: rows.ts) and every index table's rows inserted from
 * unnest()ed column arrays of the new rkey. One fixed text for every create (empty arrays for unused tables),
 * so it is parsed and planned once per connection, and one round trip replaces BEGIN, ~8 statements and COMMIT.
 * A single statement is atomic, so outside a caller's transaction it runs in autocommit.
 * Returns false when the resource already exists (nothing was written): the caller takes the read-check-update path.
 *
 * An update (after the caller's SELECT ... FOR UPDATE) is two: the current row, the history row and the deletion of
 * the old index rows in one, the new index rows in the other (one statement cannot both delete and re-insert the
 * same (rkey, seq) keys: its parts run in no defined order).
 */
import { INDEX_TYPES, type IndexType } from '../../search/index-entries.js';
import type { VersionWrite } from '../port.js';
import { arrayLiteral } from './array-literal.js';
import { postgresDialect } from './dialect.js';
import type { SqlSession } from './session.js';
import { HISTORY_TABLE, INDEX_TABLES, RESOURCE_TABLE, rowColumns, storedRows, type IndexTableSpec } from './tables.js';
import type { VersionRow } from './writes.js';

const ARRAY_TYPE = { text: 'text[]', real: 'float8[]', int: 'int8[]' };

/** the array types of tables.ts rowColumns: seq, param, grp (and source_type) */
const rowColumnTypes = (spec: IndexTableSpec) => ['int4[]', 'text[]', 'int4[]', ...(spec.sourceType ? ['text[]'] : [])];

/** `i_<type> AS (INSERT ... SELECT <rkey>, u.* FROM unnest($n::..., ...))` per index table, numbering from `first` */
function indexInserts(rkey: string, first: number): string[] {
  let n = first - 1;
  return INDEX_TYPES.map((type) => {
    const spec = INDEX_TABLES[type];
    const names = [...rowColumns(spec), ...spec.columns.map((column) => column.name)];
    const types = [...rowColumnTypes(spec), ...spec.columns.map((column) => ARRAY_TYPE[column.kind])];
    const arrays = types.map((type) => `$${++n}::${type}`).join(', ');
    return `i_${type} AS (INSERT INTO ${spec.table} (rkey, ${names.join(', ')})`
      + ` SELECT ${rkey}, u.* FROM ${rkey === 'cur.rkey' ? 'cur, ' : ''}unnest(${arrays}) AS u(${names.join(', ')}))`;
  });
}

const CREATE = `WITH ${[
  `cur AS (INSERT INTO ${RESOURCE_TABLE} (type, id, version, last_updated, deleted, method, content, sort_keys)`
    + ' VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (type, id) DO NOTHING RETURNING rkey)',
  `hist AS (INSERT INTO ${HISTORY_TABLE} (rkey, version, type, id, last_updated, deleted, method)`
    + ' SELECT rkey, $3, $1, $2, $4, $5, $6 FROM cur)',
  ...indexInserts('cur.rkey', 9),
].join(', ')} SELECT rkey FROM cur`;

const REPLACE_CURRENT = `WITH ${[
  `cur AS (UPDATE ${RESOURCE_TABLE} SET version = $3, last_updated = $4, deleted = $5, method = $6,`
    + ` content = $7${postgresDialect.contentAssignmentSuffix}, sort_keys = $8 WHERE rkey = $9)`,
  // every part sees the rows as before the statement: the superseded content moves to its history row
  `keep AS (UPDATE ${HISTORY_TABLE} h SET content = ${postgresDialect.storedContent('old')} FROM ${RESOURCE_TABLE} old`
    + ' WHERE old.rkey = $9 AND h.rkey = $9 AND h.version = old.version AND old.deleted = 0)',
  `hist AS (INSERT INTO ${HISTORY_TABLE} (rkey, version, type, id, last_updated, deleted, method)`
    + ' VALUES ($9, $3, $1, $2, $4, $5, $6))',
  ...INDEX_TYPES.map((type) => `d_${type} AS (DELETE FROM ${INDEX_TABLES[type].table} WHERE rkey = $9)`),
].join(', ')} SELECT 1`;

const INSERT_INDEX = `WITH ${indexInserts('$1::int8', 2).join(', ')} SELECT 1`;

/**
 * The column arrays of one index table for the versions added: the row columns (tables.ts rowColumns) and the value
 * columns, led by each row's ordinal `n` (its version's place in a many-create) when `withOrdinals`.
 */
class IndexColumns {
  private readonly arrays: unknown[][];
  private readonly withType: boolean;
  /** where the value columns' arrays start: after the ordinal and the row columns */
  private readonly valuesAt: number;

  constructor(private readonly type: IndexType, private readonly withOrdinals: boolean) {
    const spec = INDEX_TABLES[type];
    this.withType = spec.sourceType === true;
    this.valuesAt = (withOrdinals ? 1 : 0) + rowColumns(spec).length;
    this.arrays = Array.from({ length: this.valuesAt + spec.columns.length }, () => []);
  }

  add(version: VersionWrite, ordinal = 0): void {
    if (!version.index) return;
    const columns = INDEX_TABLES[this.type].columns;
    const entries = storedRows(version.index, this.type);
    const arrays = this.arrays;
    const first = this.withOrdinals ? 1 : 0;
    const values = this.valuesAt;
    for (let seq = 0; seq < entries.length; seq++) {
      const entry = entries[seq]!;
      if (this.withOrdinals) arrays[0]!.push(ordinal);
      arrays[first]!.push(seq);
      arrays[first + 1]!.push(entry.param);
      arrays[first + 2]!.push(entry.group ?? null);
      if (this.withType) arrays[first + 3]!.push(version.resourceType);
      for (let c = 0; c < columns.length; c++) arrays[values + c]!.push(entry[columns[c]!.field] ?? null);
    }
  }

  values(): string[] {
    return this.arrays.map(arrayLiteral);
  }
}

function currentValues(version: VersionWrite, row: VersionRow): unknown[] {
  return [version.resourceType, version.id, version.versionId, row.lastUpdated, row.deleted, version.method, row.content, row.sortKeys];
}

function indexArrays(version: VersionWrite): string[] {
  const values: string[] = [];
  for (const type of INDEX_TYPES) {
    const columns = new IndexColumns(type, false);
    columns.add(version);
    values.push(...columns.values());
  }
  return values;
}

export async function createInOneStatement(session: SqlSession, version: VersionWrite, row: VersionRow): Promise<boolean> {
  const rows = await session.all(CREATE, [...currentValues(version, row), ...indexArrays(version)]);
  return rows.length > 0;
}

/** replaces the current row `rkey` (already locked and checked by the caller) with `version` */
export async function replaceInTwoStatements(session: SqlSession, rkey: unknown, version: VersionWrite, row: VersionRow): Promise<void> {
  await session.run(REPLACE_CURRENT, [...currentValues(version, row), rkey]);
  if (version.resource !== undefined && version.index) await session.run(INSERT_INDEX, [rkey, ...indexArrays(version)]);
}

/**
 * Many creates as one statement: the creates of concurrent requests (create-batch.ts) share one round trip, one
 * executor start and one commit (PostgreSQL flushes WAL once per commit; at 32 clients the per-statement costs,
 * not the rows, were most of the server's time). Resources are matched to their new rkeys by their ordinal `n`.
 * `(type, id)` must be distinct within one call: a repeated key would attach both index sets to one rkey.
 */
const CREATE_MANY = `WITH ${[
  'v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int2[], $6::text[])'
    + ' WITH ORDINALITY AS v(type, id, version, last_updated, deleted, method, n))',
  // contents and sort keys arrive as one JSON array each, joined from their JSON texts: as text[] elements every
  // quote in them was escaped by the driver (its costliest step here) and unescaped by the server
  // (`$7 -> n` per row instead of one pass of jsonb_array_elements cost 5 ms per 64 rows). The contents are split as
  // json, not jsonb: each element comes back as the very text it was written in
  'c AS (SELECT value::text AS content, ordinality AS n FROM json_array_elements($7::json) WITH ORDINALITY)',
  's AS (SELECT value AS sort_keys, ordinality AS n FROM jsonb_array_elements($8::jsonb) WITH ORDINALITY)',
  `cur AS (INSERT INTO ${RESOURCE_TABLE} (type, id, version, last_updated, deleted, method, content, sort_keys)`
    + " SELECT v.type, v.id, v.version, v.last_updated, v.deleted, v.method, NULLIF(c.content, 'null'), NULLIF(s.sort_keys, 'null')"
    + ' FROM v JOIN c USING (n) JOIN s USING (n) ORDER BY n'
    + ' ON CONFLICT (type, id) DO NOTHING RETURNING rkey, type, id, version, last_updated, deleted, method)',
  `hist AS (INSERT INTO ${HISTORY_TABLE} (rkey, version, type, id, last_updated, deleted, method)`
    + ' SELECT rkey, version, type, id, last_updated, deleted, method FROM cur)',
  'k AS (SELECT cur.rkey, v.n FROM cur JOIN v ON v.type = cur.type COLLATE "C" AND v.id = cur.id COLLATE "C")',
  ...manyIndexInserts(9),
].join(', ')} SELECT n FROM k`;

function manyIndexInserts(first: number): string[] {
  let n = first - 1;
  return INDEX_TYPES.map((type) => {
    const spec = INDEX_TABLES[type];
    const names = [...rowColumns(spec), ...spec.columns.map((column) => column.name)];
    const types = ['int8[]', ...rowColumnTypes(spec), ...spec.columns.map((column) => ARRAY_TYPE[column.kind])];
    const arrays = types.map((type) => `$${++n}::${type}`).join(', ');
    return `i_${type} AS (INSERT INTO ${spec.table} (rkey, ${names.join(', ')})`
      + ` SELECT k.rkey, ${names.map((name) => `u.${name}`).join(', ')} FROM unnest(${arrays}) AS u(n, ${names.join(', ')}) JOIN k ON k.n = u.n)`;
  });
}

/** creates `writes` (distinct keys); true for each one written, false where the resource already existed */
export async function createManyInOneStatement(session: SqlSession, writes: { version: VersionWrite; row: VersionRow }[]): Promise<boolean[]> {
  const current: unknown[][] = [[], [], [], [], [], []];
  const contents: string[] = [];
  const sortKeys: string[] = [];
  const index = INDEX_TYPES.map((type) => new IndexColumns(type, true));
  // key order: concurrent statements take the (type, id) index entries in one order, so they cannot deadlock
  const sorted = writes.map((write, k) => ({ ...write, k }))
    .sort((a, b) => compareText(a.version.resourceType, b.version.resourceType) || compareText(a.version.id, b.version.id));
  sorted.forEach(({ version, row }, k) => {
    currentValues(version, row).slice(0, 6).forEach((value, column) => current[column]!.push(value));
    contents.push(row.content ?? 'null');
    sortKeys.push(row.sortKeys ?? 'null');
    for (const columns of index) columns.add(version, k + 1);
  });
  const values: unknown[] = [...current.map(arrayLiteral), `[${contents.join(',')}]`, `[${sortKeys.join(',')}]`];
  for (const columns of index) values.push(...columns.values());
  const created = new Set((await session.all(CREATE_MANY, values)).map((row) => Number(row.n)));
  const result = new Array<boolean>(writes.length);
  sorted.forEach((write, k) => { result[write.k] = created.has(k + 1); });
  return result;
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
