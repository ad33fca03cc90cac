/** Mapping between stored rows and the port's StoredVersion. */
import type { StoredVersion } from '../port.js';
import type { SqlDialect } from './dialect.js';
import type { Row } from './session.js';
import { RESOURCE_TABLE } from './tables.js';

export const VERSION_COLUMNS = 'type, id, version, last_updated, deleted, method, content';

/**
 * The version columns of history rows `h`. The content of a current version is stored once, in its current row
 * (reads by id and search pages need no join); its history row gets the content when a newer version supersedes it.
 */
export const HISTORY_VERSION_COLUMNS = 'h.type, h.id, h.version, h.last_updated, h.deleted, h.method,'
  + ` COALESCE(h.content, (SELECT cur.content FROM ${RESOURCE_TABLE} cur WHERE cur.rkey = h.rkey AND cur.version = h.version)) AS content`;

export function rowToVersion(dialect: SqlDialect, row: Row): StoredVersion {
  const deleted = Number(row.deleted) === 1;
  const version: StoredVersion = {
    resourceType: row.type as string,
    id: row.id as string,
    versionId: Number(row.version),
    lastUpdated: new Date(Number(row.last_updated)).toISOString(),
    deleted,
    method: row.method as StoredVersion['method'],
  };
  if (!deleted && row.content != null) version.resource = dialect.decodeContent(row.content);
  return version;
}

/** `?, ?, ?` */
export const placeholders = (count: number): string => Array.from({ length: count }, () => '?').join(', ');
