/**
 * Bulk loading without keeping the index tables' lookup indexes up to date row by row. Each new index row lands in
 * every lookup b-tree at a value-dependent place: a dirty page per row, written again at every commit. A load that at
 * least doubles the store drops them first and builds them once at the end, from sorted rows (the way pg_restore and
 * most bulk loaders work). Searches stay correct meanwhile, only slower; a process that dies before building them
 * leaves them to the next start, whose schema statements create missing indexes (schema.ts).
 */
import type { SqlDialect } from './dialect.js';
import { LOOKUP_INDEXES, type LookupIndex } from './schema.js';
import type { SqlEngine } from './session.js';
import { RESOURCE_TABLE } from './tables.js';

/** below this many versions the dropping and building is not worth its statements */
const MIN_VERSIONS_TO_DEFER = 2000;

export async function deferLookupIndexes(sql: SqlEngine, expectedVersions: number): Promise<boolean> {
  if (expectedVersions < MIN_VERSIONS_TO_DEFER) return false;
  // keys are never reused: the highest is about how many resources were ever stored, read from the key's b-tree alone
  const [row] = await sql.reader.all(`SELECT MAX(rkey) AS stored FROM ${RESOURCE_TABLE}`, []);
  if (expectedVersions < Number(row?.stored ?? 0)) return false;
  await sql.ddl(LOOKUP_INDEXES.map((lookup) => `DROP INDEX IF EXISTS ${lookup.name}`));
  return true;
}

export async function buildLookupIndexes(sql: SqlEngine, dialect: SqlDialect): Promise<void> {
  const missing = await missingLookupIndexes(sql, dialect);
  if (missing.length === 0) return;
  await sql.ddl([...dialect.indexBuildSettings, ...missing.map((lookup) => lookup.create)]);
}

async function missingLookupIndexes(sql: SqlEngine, dialect: SqlDialect): Promise<LookupIndex[]> {
  const { sql: statement, params } = dialect.presentIndexes(LOOKUP_INDEXES.map((lookup) => lookup.name));
  const present = new Set((await sql.reader.all(statement, params)).map((row) => String(row.name)));
  return LOOKUP_INDEXES.filter((lookup) => !present.has(lookup.name));
}
