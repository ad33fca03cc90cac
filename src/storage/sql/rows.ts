/** Mapping between stored rows and the port's StoredVersion. */
import type { StoredVersion } from '../port.js';
import type { SqlDialect } from './dialect.js';
import type { Row } from './session.js';

export const VERSION_COLUMNS = 'type, id, version, last_updated, deleted, method, content';

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
