/**
 * The write path: one version appended to history, the current state replaced, its index rows rebuilt.
 * A create (expected previous version 0) first tries INSERT ... ON CONFLICT DO NOTHING, so the common case
 * needs no read; only when the resource exists (or existed and was deleted) does it read and update.
 */
import { FhirError } from '../../fhir/errors.js';
import { INDEX_TYPES, type IndexEntries, type IndexType } from '../../search/index-entries.js';
import type { VersionWrite } from '../port.js';
import { perDialect, type SqlDialect } from './dialect.js';
import type { SqlSession } from './session.js';
import { CreateBatcher } from './create-batch.js';
import { createInOneStatement, replaceInTwoStatements } from './cte-writes.js';
import { encodeSortValue } from './sort-encoding.js';
import { HISTORY_TABLE, INDEX_TABLES, INDEX_TABLE_NAMES, RESOURCE_TABLE, indexColumns, indexValues, sortKeysJson, storedRows } from './tables.js';

/** rows per multi-row INSERT; keeps statement count per table small and far below bind-variable limits */
const ROWS_PER_INSERT = 100;

const INSERT_CURRENT = `INSERT INTO ${RESOURCE_TABLE} (type, id, version, last_updated, deleted, method, content, sort_keys)`
  + ' VALUES (?, ?, ?, ?, ?, ?, ?, ?)';
const CREATE_CURRENT = `${INSERT_CURRENT} ON CONFLICT (type, id) DO NOTHING RETURNING rkey`;
/** the current version's content lives in the current row only: its history row gets it when superseded */
const INSERT_HISTORY = `INSERT INTO ${HISTORY_TABLE} (rkey, version, type, id, last_updated, deleted, method)`
  + ' VALUES (?, ?, ?, ?, ?, ?, ?)';
/** the statements that replace a current row, per engine (where its content is kept differs: dialect.ts) */
function replacing(dialect: SqlDialect): { keepSuperseded: string; updateCurrent: string } {
  return perDialect(dialect, 'replacing', () => ({
    keepSuperseded: `UPDATE ${HISTORY_TABLE} SET content = (SELECT ${dialect.storedContent('c')}`
      + ` FROM ${RESOURCE_TABLE} c WHERE c.rkey = ?) WHERE rkey = ? AND version = ?`,
    updateCurrent: `UPDATE ${RESOURCE_TABLE} SET version = ?, last_updated = ?, deleted = ?, method = ?,`
      + ` content = ?${dialect.contentAssignmentSuffix}, sort_keys = ? WHERE rkey = ?`,
  }));
}
/** the resource and history row statements: no index table involved */
const ROW_WRITE = { indexFree: true } as const;
const DELETE_INDEX_ROWS = INDEX_TABLE_NAMES.map((table) => `DELETE FROM ${table} WHERE rkey = ?`);

export async function writeVersion(session: SqlSession, dialect: SqlDialect, version: VersionWrite): Promise<void> {
  const row = versionRow(dialect, version);
  if (version.expectedPreviousVersion === 0 && session.deferCreate) return session.deferCreate(version, row);
  try {
    await replaceVersion(session, dialect, version, row);
  } catch (error) {
    throw asConflict(error, dialect, version);
  }
}

/** a create that found its id taken: the read-check-update path (version conflict unless the resource was deleted) */
export async function writeOverExisting(session: SqlSession, dialect: SqlDialect, version: VersionWrite, row: VersionRow): Promise<void> {
  try {
    await replaceVersion(session, dialect, version, row, true);
  } catch (error) {
    throw asConflict(error, dialect, version);
  }
}

/**
 * A write outside any caller transaction on an engine with single-statement creates: a create is tried as one
 * autocommit statement; anything else (or a create of an existing id) runs in its own transaction.
 */
export async function writeVersionAlone(
  autocommit: SqlSession,
  transaction: (fn: (session: SqlSession) => Promise<void>) => Promise<void>,
  dialect: SqlDialect,
  version: VersionWrite,
): Promise<void> {
  const row = versionRow(dialect, version);
  if (version.expectedPreviousVersion === 0) {
    try {
      if (await batcherOf(autocommit).create(version, row)) return;
    } catch (error) {
      throw asConflict(error, dialect, version);
    }
  }
  await transaction(async (session) => {
    try {
      await replaceVersion(session, dialect, version, row, true);
    } catch (error) {
      throw asConflict(error, dialect, version);
    }
  });
}

const batchers = new WeakMap<SqlSession, CreateBatcher>();
function batcherOf(autocommit: SqlSession): CreateBatcher {
  let batcher = batchers.get(autocommit);
  if (!batcher) batchers.set(autocommit, batcher = new CreateBatcher(autocommit));
  return batcher;
}

function asConflict(error: unknown, dialect: SqlDialect, version: VersionWrite): unknown {
  if (!dialect.isUniqueViolation(error)) return error;
  return new FhirError('version-conflict', `${version.resourceType}/${version.id} was written concurrently (version ${version.versionId} exists)`);
}

/** the stored forms of a version: content and sort keys (null for a delete), epoch-ms lastUpdated */
export interface VersionRow {
  deleted: 0 | 1;
  content: string | null;
  sortKeys: string | null;
  lastUpdated: number;
}

export function versionRow(dialect: SqlDialect, version: VersionWrite): VersionRow {
  const live = version.resource !== undefined;
  return {
    deleted: live ? 0 : 1,
    content: live ? (version.json ?? dialect.encodeContent(version.resource!)) : null,
    sortKeys: live && version.index ? sortKeysJson(version.index.sort, encodeSortValue) : null,
    lastUpdated: Date.parse(version.lastUpdated),
  };
}

/** `existing`: a create already found the id taken, go straight to the read-check-update path */
async function replaceVersion(session: SqlSession, dialect: SqlDialect, version: VersionWrite, row: VersionRow, existing = false): Promise<void> {
  const { resourceType, id } = version;
  if (version.expectedPreviousVersion === 0 && !existing && dialect.singleStatementCreate) {
    if (await createInOneStatement(session, version, row)) return;
  } else if (version.expectedPreviousVersion === 0 && !existing) {
    const [created] = await session.all(CREATE_CURRENT,
      [resourceType, id, version.versionId, row.lastUpdated, row.deleted, version.method, row.content, row.sortKeys], ROW_WRITE);
    if (created) return appendAndIndex(session, dialect, created.rkey, version, row);
  }
  const [current] = await session.all(
    `SELECT rkey, version, deleted FROM ${RESOURCE_TABLE} WHERE type = ? AND id = ?${dialect.forUpdate}`,
    [resourceType, id],
    ROW_WRITE,
  );
  const currentVersion = current ? Number(current.version) : 0;
  const acceptable = version.expectedPreviousVersion === 0
    ? !current || Number(current.deleted) === 1
    : currentVersion === version.expectedPreviousVersion;
  if (!acceptable) {
    throw new FhirError(
      'version-conflict',
      `${resourceType}/${id} is at version ${currentVersion}, the write expected version ${version.expectedPreviousVersion}`,
    );
  }
  if (!current) {
    // only reachable when a create's insert hit a row that is gone again; current rows are never removed
    const [inserted] = await session.all(`${INSERT_CURRENT} RETURNING rkey`,
      [resourceType, id, version.versionId, row.lastUpdated, row.deleted, version.method, row.content, row.sortKeys], ROW_WRITE);
    return appendAndIndex(session, dialect, inserted!.rkey, version, row);
  }
  if (dialect.singleStatementCreate) return replaceInTwoStatements(session, current.rkey, version, row);
  if (Number(current.deleted) === 0) await session.run(replacing(dialect).keepSuperseded, [current.rkey, current.rkey, current.version], ROW_WRITE);
  await session.run(replacing(dialect).updateCurrent, [version.versionId, row.lastUpdated, row.deleted, version.method, row.content, row.sortKeys, current.rkey], ROW_WRITE);
  for (const sql of DELETE_INDEX_ROWS) await session.run(sql, [current.rkey]);
  await appendAndIndex(session, dialect, current.rkey, version, row);
}

async function appendAndIndex(session: SqlSession, dialect: SqlDialect, rkey: unknown, version: VersionWrite, row: VersionRow): Promise<void> {
  await session.run(INSERT_HISTORY,
    [rkey, version.versionId, version.resourceType, version.id, row.lastUpdated, row.deleted, version.method], ROW_WRITE);
  if (version.resource === undefined || !version.index) return;
  const indexed: IndexedVersion = { rkey, resourceType: version.resourceType, index: version.index };
  if (session.deferIndexRows) session.deferIndexRows(indexed);
  else await insertIndexRowsOf(session, dialect, [indexed]);
}

/** a version's index entries, with its resource key and type */
export interface IndexedVersion { rkey: unknown; resourceType: string; index: IndexEntries }

/** the index rows of several versions, table by table, ROWS_PER_INSERT rows per statement (a version's rows may span two) */
export async function insertIndexRowsOf(session: SqlSession, dialect: SqlDialect, versions: readonly IndexedVersion[]): Promise<void> {
  for (const type of INDEX_TYPES) {
    let values: unknown[] = [];
    let rows = 0;
    for (const { rkey, resourceType, index } of versions) {
      const list = storedRows(index, type);
      for (let start = 0; start < list.length;) {
        const end = Math.min(list.length, start + ROWS_PER_INSERT - rows);
        const part = indexValues(list, type, rkey, resourceType, start, end);
        if (rows === 0) values = part;
        else for (const value of part) values.push(value);
        rows += end - start;
        start = end;
        if (rows === ROWS_PER_INSERT) {
          await session.run(insertStatement(dialect, type, rows), values);
          rows = 0;
        }
      }
    }
    if (rows > 0) await session.run(insertStatement(dialect, type, rows), values);
  }
}

const insertStatements = new Map<string, string>();

/**
 * `INSERT INTO <table> (...) VALUES (...), ...` for `rows` rows, built once per engine, table and row count. On
 * SQLite, OR FAIL: a multi-row INSERT that may abort keeps a statement journal, a copy of every page it changes, to
 * undo itself; these rows cannot violate a constraint (fresh (rkey, seq) keys), and a failed write's transaction or
 * savepoint is rolled back anyway. Measured on the Synthea index rows, per-resource statements: 1.6-1.9 -> 1.15 s.
 */
function insertStatement(dialect: SqlDialect, type: IndexType, rows: number): string {
  const cacheKey = `${dialect.name}:${type}:${rows}`;
  let sql = insertStatements.get(cacheKey);
  if (sql === undefined) {
    const spec = INDEX_TABLES[type];
    const columns = indexColumns(spec);
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const insert = dialect.name === 'sqlite' ? 'INSERT OR FAIL' : 'INSERT';
    sql = `${insert} INTO ${spec.table} (${columns.join(', ')}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')}`;
    insertStatements.set(cacheKey, sql);
  }
  return sql;
}
