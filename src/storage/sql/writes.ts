/** The write path: one version appended to history, the current state replaced, its index rows rebuilt. */
import { FhirError } from '../../fhir/errors.js';
import { INDEX_TYPES, type IndexEntries } from '../../search/index-entries.js';
import type { VersionWrite } from '../port.js';
import type { SqlDialect } from './dialect.js';
import type { SqlSession } from './session.js';
import { encodeSortValue } from './sort-encoding.js';
import { HISTORY_TABLE, INDEX_TABLES, INDEX_TABLE_NAMES, RESOURCE_TABLE, SORT_TABLE, indexRows } from './tables.js';
import { placeholders } from './rows.js';

/** rows per multi-row INSERT; keeps statement count per table small and far below bind-variable limits */
const ROWS_PER_INSERT = 100;

export async function writeVersion(session: SqlSession, dialect: SqlDialect, version: VersionWrite): Promise<void> {
  try {
    await replaceVersion(session, dialect, version);
  } catch (error) {
    if (!dialect.isUniqueViolation(error)) throw error;
    throw new FhirError('version-conflict', `${version.resourceType}/${version.id} was written concurrently (version ${version.versionId} exists)`);
  }
}

async function replaceVersion(session: SqlSession, dialect: SqlDialect, version: VersionWrite): Promise<void> {
  const { resourceType, id } = version;
  const [current] = await session.all(
    `SELECT rkey, version, deleted FROM ${RESOURCE_TABLE} WHERE type = ? AND id = ?${dialect.forUpdate}`,
    [resourceType, id],
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
  const deleted = version.resource === undefined ? 1 : 0;
  const content = version.resource === undefined ? null : dialect.encodeContent(version.resource);
  const lastUpdated = Date.parse(version.lastUpdated);
  const values = [version.versionId, lastUpdated, deleted, version.method, content];
  await session.run(
    `INSERT INTO ${HISTORY_TABLE} (type, id, version, last_updated, deleted, method, content) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [resourceType, id, ...values],
  );
  let rkey: unknown;
  if (current) {
    rkey = current.rkey;
    await session.run(
      `UPDATE ${RESOURCE_TABLE} SET version = ?, last_updated = ?, deleted = ?, method = ?, content = ? WHERE rkey = ?`,
      [...values, rkey],
    );
    for (const table of INDEX_TABLE_NAMES) await session.run(`DELETE FROM ${table} WHERE rkey = ?`, [rkey]);
  } else {
    const [inserted] = await session.all(
      `INSERT INTO ${RESOURCE_TABLE} (type, id, version, last_updated, deleted, method, content) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING rkey`,
      [resourceType, id, ...values],
    );
    rkey = inserted!.rkey;
  }
  if (version.resource !== undefined && version.index) await insertIndexRows(session, rkey, version.index);
}

async function insertIndexRows(session: SqlSession, rkey: unknown, index: IndexEntries): Promise<void> {
  for (const type of INDEX_TYPES) {
    const spec = INDEX_TABLES[type];
    const columns = ['rkey', 'param', 'grp', ...spec.columns.map((column) => column.name)];
    await insertRows(session, spec.table, columns, indexRows(index, type).map((row) => [rkey, ...row]));
  }
  const sortRows = Object.entries(index.sort).map(([param, key]) => [rkey, param, encodeSortValue(key.asc), encodeSortValue(key.desc)]);
  await insertRows(session, SORT_TABLE, ['rkey', 'param', 'asc_value', 'desc_value'], sortRows);
}

const insertStatements = new Map<string, string>();

async function insertRows(session: SqlSession, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    const chunk = rows.slice(start, start + ROWS_PER_INSERT);
    const cacheKey = `${table}:${chunk.length}`;
    let sql = insertStatements.get(cacheKey);
    if (sql === undefined) {
      const tuple = `(${placeholders(columns.length)})`;
      sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: chunk.length }, () => tuple).join(', ')}`;
      insertStatements.set(cacheKey, sql);
    }
    await session.run(sql, chunk.flat());
  }
}
