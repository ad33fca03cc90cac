/**
 * $reindex on the SQL engines: the index rows and sort keys of a current version are rebuilt in place; no
 * history row is written and the version, lastUpdated and content stay as they are. The current row is
 * locked (PostgreSQL FOR UPDATE; SQLite's single writer) and checked to still be the version the entries
 * were computed from, so a concurrent update (which indexed itself) is never overwritten with older entries.
 */
import type { ReindexWrite } from '../port.js';
import type { SqlDialect } from './dialect.js';
import type { SqlSession } from './session.js';
import { encodeSortValue } from './sort-encoding.js';
import { INDEX_TABLE_NAMES, RESOURCE_TABLE, sortKeysJson } from './tables.js';
import { insertIndexRowsOf } from './writes.js';

const DELETE_INDEX_ROWS = INDEX_TABLE_NAMES.map((table) => `DELETE FROM ${table} WHERE rkey = ?`);

export async function reindexVersion(session: SqlSession, dialect: SqlDialect, write: ReindexWrite): Promise<boolean> {
  const [current] = await session.all(
    `SELECT rkey, version, deleted FROM ${RESOURCE_TABLE} WHERE type = ? AND id = ?${dialect.forUpdate}`,
    [write.resourceType, write.id],
  );
  if (!current || Number(current.deleted) === 1 || Number(current.version) !== write.versionId) return false;
  await session.run(`UPDATE ${RESOURCE_TABLE} SET sort_keys = ? WHERE rkey = ?`, [sortKeysJson(write.index.sort, encodeSortValue), current.rkey]);
  for (const sql of DELETE_INDEX_ROWS) await session.run(sql, [current.rkey]);
  await insertIndexRowsOf(session, dialect, [{ rkey: current.rkey, resourceType: write.resourceType, index: write.index }]);
  return true;
}
