/** DDL for the shared table layout, rendered per dialect. Only CREATE ... IF NOT EXISTS: start-up never scans data, except once to build an index a newer server added (fhir_resource_type_live, the reference lookup of version 5) on an older database. */
import type { SqlDialect } from './dialect.js';
import { jobTableStatements } from './jobs.js';
import { HISTORY_TABLE, INDEX_TABLES, RESOURCE_TABLE } from './tables.js';

/**
 * 2: index tables clustered on (rkey, seq), sort keys as a JSON column, history keyed by (rkey, version);
 * 3: the current version's content only in the current row (history rows get it when superseded);
 * 4: PostgreSQL stores the resource JSON as text (dialect.ts contentColumns);
 * 5: reference index rows carry their resource's type (tables.ts sourceType), in the target lookup too
 */
export const SCHEMA_VERSION = 5;

/** created (and read) before the other statements run, so a database no step migrates is refused untouched */
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
      ${dialect.contentColumns},
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
      ${dialect.contentColumns},
      UNIQUE (rkey, version))`,
    `CREATE INDEX IF NOT EXISTS ${HISTORY_TABLE}_updated ON ${HISTORY_TABLE} (last_updated, hkey)`,
    `CREATE INDEX IF NOT EXISTS ${HISTORY_TABLE}_type_updated ON ${HISTORY_TABLE} (type, last_updated, hkey)`,
  ];
  for (const spec of Object.values(INDEX_TABLES)) {
    const columns = spec.columns.map((column) => `${column.name} ${columnType[column.kind]}`).join(', ');
    const sourceType = spec.sourceType ? ` source_type ${text},` : '';
    statements.push(`CREATE TABLE IF NOT EXISTS ${spec.table} (rkey ${dialect.bigint} NOT NULL, seq INTEGER NOT NULL,`
      + ` param ${text} NOT NULL, grp INTEGER,${sourceType} ${columns}, PRIMARY KEY (rkey, seq))${dialect.clusteredTable}`);
  }
  statements.push(...LOOKUP_INDEXES.map((lookup) => lookup.create));
  statements.push(...jobTableStatements(dialect));
  return statements;
}

export interface LookupIndex { name: string; create: string }

/**
 * The index tables' lookup indexes (tables.ts), the only indexes a bulk load may drop and build afterwards
 * (lookup-indexes.ts): every other index either keeps writes correct (unique keys) or takes its rows in key order.
 */
export const LOOKUP_INDEXES: readonly LookupIndex[] = Object.values(INDEX_TABLES).flatMap((spec) => spec.lookups.map((lookup, n) => {
  const name = `${spec.table}_lookup${n}${lookup.since ? `_v${lookup.since}` : ''}`;
  const where = lookup.whereNotNull ? ` WHERE ${lookup.whereNotNull} IS NOT NULL` : '';
  return { name, create: `CREATE INDEX IF NOT EXISTS ${name} ON ${spec.table} (${lookup.columns.join(', ')})${where}` };
}));

/**
 * Forward steps: MIGRATIONS[n] takes a database from version n to n + 1 (its statements run before the CREATE ...
 * IF NOT EXISTS ones, in the same start-up). A version without a step here cannot be migrated in place.
 * None may scan the tables: start-up time must not grow with the data.
 */
const MIGRATIONS: Record<number, (dialect: SqlDialect) => string[]> = {
  // 3 stopped copying the current version's content into its history row. A version-2 history row holding that
  // copy is read the same (rows.ts takes h.content first) and overwritten with the same content when superseded,
  // so nothing needs to change; clearing the copies would scan the whole history at start, so they stay.
  2: () => [],
  // 4 stores PostgreSQL's resource JSON as text. Converting the stored JSONB would rewrite both tables at start, so
  // it keeps its column under another name, read where the new one is NULL; each version moves to the text column
  // when it is next written or superseded. (A table that already has both columns is left as it is.)
  3: (dialect) => dialect.name !== 'postgres' ? [] : [RESOURCE_TABLE, HISTORY_TABLE].map((table) => `DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
          AND table_name = '${table}' AND column_name = 'content_jsonb') THEN
        ALTER TABLE ${table} RENAME COLUMN content TO content_jsonb;
        ALTER TABLE ${table} ADD COLUMN content TEXT;
      END IF;
    END $$`),
  // 5 adds the reference rows' source_type. The column is added empty (no row is read or rewritten): lookups keep
  // rows without it (conditions.ts sourceTypeTest) and a resource's rows get it when it is next written or
  // reindexed (POST $reindex). The target lookup gains the column under a new name: dropping the old one here lets
  // the CREATE ... IF NOT EXISTS build it once, the one start-up of this version that reads the reference rows.
  4: (dialect) => [
    `ALTER TABLE ${INDEX_TABLES.reference.table} ADD COLUMN ${dialect.name === 'postgres' ? 'IF NOT EXISTS ' : ''}source_type TEXT`,
    `DROP INDEX IF EXISTS ${INDEX_TABLES.reference.table}_lookup0`,
  ],
};

/**
 * The statements that bring a database at schema version `found` to SCHEMA_VERSION (none when it is current);
 * throws, changing nothing, for a newer database or an older one no step chain reaches.
 */
export function migrationStatements(found: number, dialect: SqlDialect, where: string): string[] {
  if (found > SCHEMA_VERSION) throw new Error(`${where} has schema version ${found}; this server knows up to ${SCHEMA_VERSION}`);
  const statements: string[] = [];
  for (let version = found; version < SCHEMA_VERSION; version++) {
    const step = MIGRATIONS[version];
    if (!step) {
      throw new Error(`${where} has schema version ${found} from an older server; this one needs ${SCHEMA_VERSION} and cannot`
        + ` migrate from ${version} in place. Export its data ($export or the export command) and import it into a new`
        + ' database, or delete it to start empty');
    }
    statements.push(...step(dialect));
  }
  return statements;
}

export const SET_SCHEMA_VERSION = 'UPDATE fhir_schema_version SET version = ?';
