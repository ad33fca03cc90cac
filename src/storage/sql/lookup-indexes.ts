/**
 * Bulk loading without keeping the index tables' lookup indexes up to date row by row. Each new index row lands in
 * every lookup b-tree at a value-dependent place: a dirty page per row, written again at every commit. A load that at
 * least doubles the store drops them first and builds them once at the end, from sorted rows (the way pg_restore and
 * most bulk loaders work). Searches stay correct meanwhile, only slower; a process that dies before building them
 * leaves them to the next start, whose schema statements create missing indexes (schema.ts).
 */
import type { SqlDialect } from './dialect.js';
import { lookupIndexes, type LookupIndex } from './schema.js';
import type { SqlEngine } from './session.js';
import { RESOURCE_TABLE } from './tables.js';

/** below this many versions the dropping and building is not worth its statements */
const MIN_VERSIONS_TO_DEFER = 2000;

/** PostgreSQL sorts an index build in memory up to this much, instead of spilling to disk (its default is 64 MB) */
const POSTGRES_BUILD_MEMORY = "SET LOCAL maintenance_work_mem = '256MB'";

export async function deferLookupIndexes(sql: SqlEngine, expectedVersions: number): Promise<boolean> {
  if (expectedVersions < MIN_VERSIONS_TO_DEFER) return false;
  // keys are never reused: the highest is about how many resources were ever stored, read from the key's b-tree alone
  const [row] = await sql.reader.all(`SELECT MAX(rkey) AS stored FROM ${RESOURCE_TABLE}`, []);
  if (expectedVersions < Number(row?.stored ?? 0)) return false;
  await sql.ddl(lookupIndexes().map((lookup) => `DROP INDEX IF EXISTS ${lookup.name}`));
  return true;
}

export async function buildLookupIndexes(sql: SqlEngine, dialect: SqlDialect): Promise<void> {
  const missing = await missingLookupIndexes(sql, dialect);
  if (missing.length === 0) return;
  const settings = dialect.name === 'postgres' ? [POSTGRES_BUILD_MEMORY] : [];
  await sql.ddl([...settings, ...missing.map((lookup) => lookup.create)]);
}

async function missingLookupIndexes(sql: SqlEngine, dialect: SqlDialect): Promise<LookupIndex[]> {
  const all = lookupIndexes();
  const names = all.map((lookup) => lookup.name);
  const rows = dialect.name === 'postgres'
    // to_regclass resolves the name on the search path, as the DDL does (a schema of its own per store URL)
    ? await sql.reader.all('SELECT name FROM unnest(CAST(? AS text[])) AS name WHERE to_regclass(name) IS NOT NULL', [names])
    : await sql.reader.all(`SELECT name FROM sqlite_master WHERE type = 'index' AND name IN (${names.map(() => '?').join(', ')})`, names);
  const present = new Set(rows.map((row) => String(row.name)));
  return all.filter((lookup) => !present.has(lookup.name));
}
