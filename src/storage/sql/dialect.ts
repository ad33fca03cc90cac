/**
 * The small set of differences between SQLite and PostgreSQL that the shared SQL code needs.
 * Everything else (ON CONFLICT upserts, RETURNING, row values, NULLS LAST) is written once in portable SQL.
 */
import type { Resource } from '../../fhir/types.js';

export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /** statement text in the engine's placeholder syntax; shared SQL is written with `?` (never inside literals), sessions convert it */
  prepare(sql: string): string;
  /** column type of the sort keys JSON */
  readonly jsonType: string;
  /**
   * The resource JSON columns of the resource and history tables (DDL). The JSON is stored as the text written, in
   * `content`; PostgreSQL databases from before schema 4 keep their older versions as JSONB in `content_jsonb`.
   */
  readonly contentColumns: string;
  /** the stored JSON text of table alias `alias`, wherever its engine keeps it */
  storedContent(alias: string): string;
  /** what an UPDATE of the current row's content also sets (PostgreSQL: the older JSONB column, cleared) */
  readonly contentAssignmentSuffix: string;
  /** text columns compare by code point (byte order of UTF-8) on both engines, so sort and prefix ranges agree */
  readonly textType: string;
  /** auto-assigned integer surrogate key column definition */
  readonly surrogateKey: string;
  readonly bigint: string;
  readonly real: string;
  /** suffix of CREATE TABLE for the index tables, clustering rows on their primary key where the engine can */
  readonly clusteredTable: string;
  /** the sort key `name` (sortKeyName) of a row's sort_keys JSON as text comparing in byte order; NULL when absent */
  sortKey(column: string, name: string): string;
  /** the column, kept from driving index choice (SQLite's planner, without statistics, prefers a covering param index to the key) */
  unindexed(column: string): string;
  /**
   * A probe's `param` column (conditions.ts probe), written so that no lookup index can serve it: the probe then reads
   * the candidate's own rows through the (rkey, seq) key. Left indexable, a generic PostgreSQL plan of
   * Observation?patient=<id>&category=vital-signs&_sort=-date probed each of a patient's Observations through
   * idx_token_lookup0 by (param, code), whose next column is the system, so every probe read all 40,000
   * vital-signs entries (265 ms; 1.5 ms through the key).
   */
  probeParam(column: string): string;
  /**
   * `column` is one of the keys the driving lookup `subquery` selects. PostgreSQL evaluates the lookup once, first
   * (an InitPlan array probed through the key index): left as `IN (subquery)` its planner, misestimating the
   * lookup (correlated param/code/system columns), nested the lookup as the inner side of a semi-join and re-ran it
   * per candidate (Observation?patient=&code=&date= read 117,000 index entries for 8 matches).
   */
  driveIn(column: string, subquery: string): string;
  /**
   * Ends a probe's EXISTS subquery that must stay a per-candidate test rather than become one more relation of the
   * block's join ('' where probes are never joined). PostgreSQL turns each EXISTS into a semi-join and searches join
   * orders over all of them: 90 probes (Patient?birthdate=ne1801&...&birthdate=ne1890) took 0.7 s to plan, 150 took
   * 7.8 s, 299 over a minute.
   */
  readonly unjoinedSubquery: string;
  /**
   * Per-candidate probes (unjoinedSubquery) as one term evaluated in the order given, most selective first
   * (conditions.ts); absent where the engine already evaluates a block's subquery terms in the order written
   * (SQLite). PostgreSQL orders a block's quals by their estimated cost per row alone, so a date-range probe that
   * rejects a third of the candidates ran before the code probe that rejects nearly all of them
   * (Observation?patient=&code=&date=ge: 319 date probes and 214 code probes instead of 319 and 8).
   */
  inOrder?(probes: readonly string[]): string;
  /**
   * A first page driven by a reference lookup reads its candidates from the reference rows that carry their resource's
   * type, without looking each one up in the resource table (conditions.ts typedReferenceDrive). PostgreSQL probed
   * every candidate in the (type, deleted, rkey) index: Observation?patient=&code=&date=ge, 319 candidates of 8
   * matches, with the probes in order (inOrder) too, ran 1.28 -> 0.78 ms. SQLite reads the resource row of each
   * candidate anyway (its page has no late join).
   */
  readonly typedReferenceDrive?: boolean;
  /**
   * For a page read in key order with nothing counted along: the type column written so that no index serves the
   * type test, leaving the driving key array (driveIn) to be walked in key order through the primary key and
   * stopped when the page is full. PostgreSQL otherwise probed every candidate in the (type, deleted, rkey) index and
   * sorted them all (Observation?code=<loinc>, 269 candidates: 0.7-1.0 ms; walked: 0.3-0.5 ms). Absent where the
   * driving lookup is already walked in key order (SQLite's IN list).
   */
  keyOrderedType?(column: string): string;
  encodeContent(resource: Resource): string;
  decodeContent(stored: unknown): Resource;
  /** true when `haystack` contains the bound string `needle` (case-sensitive, no wildcard escaping needed) */
  contains(haystack: string, needle: string): string;
  /** row lock for read-modify-write inside a transaction ('' where writes are already serialised) */
  readonly forUpdate: string;
  /** creates run as one statement and updates as two (cte-writes.ts: data-modifying CTEs over unnest()ed arrays) */
  readonly singleStatementCreate: boolean;
  /**
   * The value as an SQL literal, where the engine plans better knowing it (undefined: bind it). PostgreSQL plans a
   * prepared statement once for all values (plan_cache_mode auto): a lookup whose selectivity depends on its value
   * (a code without its system, a date range) gets a plan for that value when the value is in the text.
   */
  literal?(value: unknown): string | undefined;
  /** concurrent reads by id outside transactions share statements (read-batch.ts): worth it where a statement is a round trip */
  readonly groupReads: boolean;
  /** the error is a unique-constraint violation (a concurrent or repeated write of the same version) */
  isUniqueViolation(error: unknown): boolean;
  /** which of the named indexes exist (a `name` column), as the DDL resolves names: statement and parameters */
  presentIndexes(names: readonly string[]): { sql: string; params: unknown[] };
  /** statements before index builds in the same transaction (lookup-indexes.ts) */
  readonly indexBuildSettings: readonly string[];
}

const builtPerDialect = new Map<string, unknown>();

/** SQL text of an engine built on first use: statements and column lists that requests ask for every time */
export function perDialect<T>(dialect: SqlDialect, name: string, build: () => T): T {
  const key = `${dialect.name}:${name}`;
  if (!builtPerDialect.has(key)) builtPerDialect.set(key, build());
  return builtPerDialect.get(key) as T;
}

export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  prepare: (sql) => sql,
  jsonType: 'TEXT',
  contentColumns: 'content TEXT',
  storedContent: (alias) => `${alias}.content`,
  contentAssignmentSuffix: '',
  textType: 'TEXT',
  surrogateKey: 'INTEGER PRIMARY KEY',
  bigint: 'INTEGER',
  real: 'REAL',
  clusteredTable: ' WITHOUT ROWID',
  sortKey: (column, name) => `json_extract(${column}, '$."${name}"')`,
  unindexed: (column) => `+${column}`,
  probeParam: (column) => `+${column}`,
  unjoinedSubquery: '',
  driveIn: (column, subquery) => `${column} IN (${subquery})`,
  encodeContent: (resource) => JSON.stringify(resource),
  decodeContent: (stored) => JSON.parse(stored as string) as Resource,
  contains: (haystack, needle) => `instr(${haystack}, ${needle}) > 0`,
  forUpdate: '',
  singleStatementCreate: false,
  groupReads: false,
  isUniqueViolation: (error) => (error as { code?: unknown })?.code === 'SQLITE_CONSTRAINT_UNIQUE'
    || (error as { code?: unknown })?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY',
  presentIndexes: (names) => ({ sql: `SELECT name FROM sqlite_master WHERE type = 'index' AND name IN (${names.map(() => '?').join(', ')})`, params: [...names] }),
  indexBuildSettings: [],
};

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  prepare: numberedPlaceholders,
  jsonType: 'JSONB',
  // text, not JSONB: PostgreSQL then neither parses the JSON on every write (~12 us a resource) nor prints it on every
  // read (~12 us a Patient, before decompression), and hands back the text as written, key order included
  contentColumns: 'content TEXT, content_jsonb JSONB',
  storedContent: (alias) => `COALESCE(${alias}.content, ${alias}.content_jsonb::text)`,
  contentAssignmentSuffix: ', content_jsonb = NULL',
  textType: 'TEXT COLLATE "C"',
  surrogateKey: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
  bigint: 'BIGINT',
  real: 'DOUBLE PRECISION',
  clusteredTable: '',
  sortKey: (column, name) => `(${column} ->> '${name}') COLLATE "C"`,
  unindexed: (column) => column,
  probeParam: (column) => `(${column} || '')`,
  // an EXISTS with an OFFSET is not pulled up into a join (the planner's simplify_EXISTS_query)
  unjoinedSubquery: ' OFFSET 0',
  // the planner splits and reorders ANDs, nested ones too; a CASE keeps its order
  inOrder: (probes) => probes.reduceRight((rest, probe) => `CASE WHEN ${probe} THEN ${rest} ELSE false END`),
  typedReferenceDrive: true,
  driveIn: (column, subquery) => `${column} = ANY(ARRAY(${subquery}))`,
  keyOrderedType: (column) => `(${column} || '')`,
  encodeContent: (resource) => JSON.stringify(resource),
  decodeContent: (stored) => {
    const resource = JSON.parse(stored as string) as Resource;
    // the JSONB text of a version stored before schema 4 has its keys ordered by length
    return (stored as string).startsWith('{"resourceType"') ? resource : resourceTypeFirst(resource);
  },
  contains: (haystack, needle) => `strpos(${haystack}, ${needle}) > 0`,
  forUpdate: ' FOR UPDATE',
  singleStatementCreate: true,
  groupReads: true,
  literal: postgresLiteral,
  isUniqueViolation: (error) => (error as { code?: unknown })?.code === '23505',
  // to_regclass resolves the name on the search path, as the DDL does (a schema of its own per store URL)
  presentIndexes: (names) => ({ sql: 'SELECT name FROM unnest(CAST(? AS text[])) AS name WHERE to_regclass(name) IS NOT NULL', params: [names] }),
  // sorts an index build in memory up to this much instead of spilling to disk (PostgreSQL's default is 64 MB)
  indexBuildSettings: ["SET LOCAL maintenance_work_mem = '256MB'"],
};

/**
 * Standard-conforming string literals (the connections set standard_conforming_strings=on: a backslash is an
 * ordinary character), finite numbers as written. Not a string holding `?` (the placeholder numbering would take it
 * for one) or NUL (never valid in text), and nothing else: those are bound.
 */
function postgresLiteral(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value !== 'string' || value.includes('?') || value.includes('\0')) return undefined;
  return `'${value.replace(/'/g, "''")}'`;
}

/** JSONB reordered keys; put resourceType, id and meta back in front so responses read naturally. */
function resourceTypeFirst(stored: Resource): Resource {
  const { resourceType, id, meta, ...rest } = stored;
  const ordered: Resource = { resourceType };
  if (id !== undefined) ordered.id = id;
  if (meta !== undefined) ordered.meta = meta;
  return Object.assign(ordered, rest);
}

const numbered = new Map<string, string>();
function numberedPlaceholders(sql: string): string {
  let converted = numbered.get(sql);
  if (converted === undefined) {
    let n = 0;
    converted = sql.replace(/\?/g, () => `$${++n}`);
    if (numbered.size > 5000) numbered.clear();
    numbered.set(sql, converted);
  }
  return converted;
}
