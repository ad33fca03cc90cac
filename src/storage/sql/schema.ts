/** DDL for the shared table layout, rendered per dialect. Only CREATE ... IF NOT EXISTS: start-up never scans data, except once to build an index a newer server added (fhir_resource_type_live) on an older database. */
import type { SqlDialect } from './dialect.js';
import { jobTableStatements } from './jobs.js';
import { HISTORY_TABLE, INDEX_TABLES, RESOURCE_TABLE } from './tables.js';

/**
 * 2: index tables clustered on (rkey, seq), sort keys as a JSON column, history keyed by (rkey, version);
 * 3: the current version's content only in the current row (history rows get it when superseded)
 */
export const SCHEMA_VERSION = 3;

/** created (and read) before the other statements run, so an old database is refused untouched */
export const SCHEMA_VERSION_TABLE = 'CREATE TABLE IF NOT EXISTS fhir_schema_version (version INTEGER NOT NULL)';

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
      sort_keys ${dialect.jsonType},
      UNIQUE (type, id))`,
    // no (last_updated) index alone: every search names types or is rare, and each index costs every write
    `CREATE INDEX IF NOT EXISTS ${RESOURCE_TABLE}_type_updated ON ${RESOURCE_TABLE} (type, last_updated)`,
    // live rows of a type in key order: counts read it alone (SQLite probes it by rowid for each matched key),
    // and paging walks it in rkey order (SQLite appends the rowid to every index; PostgreSQL needs the column)
    `CREATE INDEX IF NOT EXISTS ${RESOURCE_TABLE}_type_live ON ${RESOURCE_TABLE} (type, deleted${dialect.name === 'postgres' ? ', rkey' : ''})`,
    `CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
      hkey ${dialect.surrogateKey},
      rkey ${dialect.bigint} NOT NULL,
      version ${dialect.bigint} NOT NULL,
      type ${text} NOT NULL,
      id ${text} NOT NULL,
      last_updated ${dialect.bigint} NOT NULL,
      deleted SMALLINT NOT NULL,
      method ${text} NOT NULL,
      content ${dialect.jsonType},
      UNIQUE (rkey, version))`,
    `CREATE INDEX IF NOT EXISTS ${HISTORY_TABLE}_updated ON ${HISTORY_TABLE} (last_updated, hkey)`,
    `CREATE INDEX IF NOT EXISTS ${HISTORY_TABLE}_type_updated ON ${HISTORY_TABLE} (type, last_updated, hkey)`,
  ];
  for (const spec of Object.values(INDEX_TABLES)) {
    const columns = spec.columns.map((column) => `${column.name} ${columnType[column.kind]}`).join(', ');
    statements.push(`CREATE TABLE IF NOT EXISTS ${spec.table} (rkey ${dialect.bigint} NOT NULL, seq INTEGER NOT NULL,`
      + ` param ${text} NOT NULL, grp INTEGER, ${columns}, PRIMARY KEY (rkey, seq))${dialect.clusteredTable}`);
    spec.lookups.forEach((lookup, n) => {
      const where = lookup.whereNotNull ? ` WHERE ${lookup.whereNotNull} IS NOT NULL` : '';
      statements.push(`CREATE INDEX IF NOT EXISTS ${spec.table}_lookup${n} ON ${spec.table} (${lookup.columns.join(', ')})${where}`);
    });
  }
  statements.push(...jobTableStatements(dialect));
  return statements;
}

/** refuses a database written by another schema version (there is no in-place migration) */
export function checkSchemaVersion(found: number, where: string): void {
  if (found === SCHEMA_VERSION) return;
  if (found > SCHEMA_VERSION) throw new Error(`${where} has schema version ${found}; this server knows up to ${SCHEMA_VERSION}`);
  throw new Error(`${where} has schema version ${found} from an older server; this one needs ${SCHEMA_VERSION}.`
    + ' Export its data ($export or the export command) and import it into a new database, or delete it to start empty');
}
