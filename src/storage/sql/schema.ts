/** DDL for the shared table layout, rendered per dialect. Only CREATE ... IF NOT EXISTS: start-up never scans data. */
import type { SqlDialect } from './dialect.js';
import { HISTORY_TABLE, INDEX_TABLES, RESOURCE_TABLE, SORT_TABLE } from './tables.js';

export const SCHEMA_VERSION = 1;

export function schemaStatements(dialect: SqlDialect): string[] {
  const text = dialect.textType;
  const columnType = { text, real: dialect.real, int: dialect.bigint };
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${RESOURCE_TABLE} (
      rkey ${dialect.surrogateKey},
      type ${text} NOT NULL,
      id ${text} NOT NULL,
      version ${dialect.bigint} NOT NULL,
      last_updated ${dialect.bigint} NOT NULL,
      deleted SMALLINT NOT NULL,
      method ${text} NOT NULL,
      content ${dialect.jsonType},
      UNIQUE (type, id))`,
    `CREATE INDEX IF NOT EXISTS ${RESOURCE_TABLE}_updated ON ${RESOURCE_TABLE} (last_updated)`,
    `CREATE INDEX IF NOT EXISTS ${RESOURCE_TABLE}_type_updated ON ${RESOURCE_TABLE} (type, last_updated)`,
    `CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
      hkey ${dialect.surrogateKey},
      type ${text} NOT NULL,
      id ${text} NOT NULL,
      version ${dialect.bigint} NOT NULL,
      last_updated ${dialect.bigint} NOT NULL,
      deleted SMALLINT NOT NULL,
      method ${text} NOT NULL,
      content ${dialect.jsonType},
      UNIQUE (type, id, version))`,
    `CREATE INDEX IF NOT EXISTS ${HISTORY_TABLE}_updated ON ${HISTORY_TABLE} (last_updated, hkey)`,
    `CREATE INDEX IF NOT EXISTS ${HISTORY_TABLE}_type_updated ON ${HISTORY_TABLE} (type, last_updated, hkey)`,
    `CREATE TABLE IF NOT EXISTS ${SORT_TABLE} (
      rkey ${dialect.bigint} NOT NULL,
      param ${text} NOT NULL,
      asc_value ${text},
      desc_value ${text},
      PRIMARY KEY (rkey, param))`,
    // no (param, value) indexes on sort keys: sorting joins matches by rkey, and every extra btree costs each write
  ];
  for (const spec of Object.values(INDEX_TABLES)) {
    const columns = spec.columns.map((column) => `${column.name} ${columnType[column.kind]}`).join(', ');
    statements.push(
      `CREATE TABLE IF NOT EXISTS ${spec.table} (rkey ${dialect.bigint} NOT NULL, param ${text} NOT NULL, grp INTEGER, ${columns})`,
      `CREATE INDEX IF NOT EXISTS ${spec.table}_rkey ON ${spec.table} (rkey)`,
    );
    spec.lookups.forEach((lookup, n) => {
      statements.push(`CREATE INDEX IF NOT EXISTS ${spec.table}_lookup${n} ON ${spec.table} (param, ${lookup.join(', ')}, rkey)`);
    });
  }
  statements.push(`CREATE INDEX IF NOT EXISTS idx_reference_target ON idx_reference (target_id, target_type)`);
  statements.push(`CREATE TABLE IF NOT EXISTS fhir_schema_version (version INTEGER NOT NULL)`);
  return statements;
}
