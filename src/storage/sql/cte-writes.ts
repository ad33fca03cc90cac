/**
 * A create as one statement (engines with data-modifying CTEs and array parameters, i.e. PostgreSQL): the
 * current row inserted ON CONFLICT DO NOTHING, its history row and every index table's rows inserted from
 * unnest()ed column arrays of the new rkey. One fixed text for every create (empty arrays for unused tables),
 * so it is parsed and planned once per connection, and one round trip replaces BEGIN, ~8 statements and COMMIT.
 * A single statement is atomic, so outside a caller's transaction it runs in autocommit.
 * Returns false when the resource already exists (nothing was written): the caller takes the read-check-update path.
 */
import { INDEX_TYPES, type IndexType } from '../../search/index-entries.js';
import type { VersionWrite } from '../port.js';
import type { SqlDialect } from './dialect.js';
import type { SqlSession } from './session.js';
import { HISTORY_TABLE, INDEX_TABLES, RESOURCE_TABLE } from './tables.js';
import type { VersionRow } from './writes.js';

let createText: string | undefined;

function statementText(dialect: SqlDialect): string {
  if (createText !== undefined) return createText;
  const arrayType = { text: 'text[]', real: 'float8[]', int: 'int8[]' };
  let n = 8;
  const ctes = [
    `cur AS (INSERT INTO ${RESOURCE_TABLE} (type, id, version, last_updated, deleted, method, content, sort_keys)`
      + ` VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (type, id) DO NOTHING RETURNING rkey)`,
    `hist AS (INSERT INTO ${HISTORY_TABLE} (rkey, version, type, id, last_updated, deleted, method, content)`
      + ` SELECT rkey, $3, $1, $2, $4, $5, $6, $7 FROM cur)`,
  ];
  for (const type of INDEX_TYPES) {
    const spec = INDEX_TABLES[type];
    const names = ['seq', 'param', 'grp', ...spec.columns.map((column) => column.name)];
    const types = ['int4[]', 'text[]', 'int4[]', ...spec.columns.map((column) => arrayType[column.kind])];
    const arrays = types.map((type) => `$${++n}::${type}`).join(', ');
    ctes.push(`i_${type} AS (INSERT INTO ${spec.table} (rkey, ${names.join(', ')})`
      + ` SELECT cur.rkey, u.* FROM cur, unnest(${arrays}) AS u(${names.join(', ')}))`);
  }
  void dialect;
  createText = `WITH ${ctes.join(', ')} SELECT rkey FROM cur`;
  return createText;
}

/** column arrays of one index table: seq, param, grp, then the value columns */
function columnArrays(version: VersionWrite, type: IndexType): unknown[][] {
  const spec = INDEX_TABLES[type];
  const entries = (version.index?.[type] ?? []) as unknown as Record<string, unknown>[];
  const arrays: unknown[][] = [[], [], [], ...spec.columns.map(() => [])];
  entries.forEach((entry, seq) => {
    arrays[0]!.push(seq);
    arrays[1]!.push(entry.param);
    arrays[2]!.push(entry.group ?? null);
    spec.columns.forEach((column, k) => arrays[3 + k]!.push(entry[column.field] ?? null));
  });
  return arrays;
}

export async function createInOneStatement(session: SqlSession, dialect: SqlDialect, version: VersionWrite, row: VersionRow): Promise<boolean> {
  const values: unknown[] = [version.resourceType, version.id, version.versionId, row.lastUpdated, row.deleted, version.method, row.content, row.sortKeys];
  for (const type of INDEX_TYPES) values.push(...columnArrays(version, type));
  const rows = await session.all(statementText(dialect), values, { reuse: true });
  return rows.length > 0;
}
