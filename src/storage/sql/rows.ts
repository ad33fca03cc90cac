/** Mapping between stored rows and the port's StoredVersion. */
import type { Resource } from '../../fhir/types.js';
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

/**
 * PostgreSQL's content of table alias `alias` as JSON text in three parts, so the resource reads resourceType, id,
 * meta first (as dialect.decodeContent orders it) and then the rest in JSONB's order, without pg parsing it.
 */
export function postgresContentColumns(alias: string): string {
  return `(${alias}.content -> 'resourceType')::text AS content_type, (${alias}.content -> 'id')::text AS content_id,`
    + ` (${alias}.content -> 'meta')::text AS content_meta, (${alias}.content - 'resourceType' - 'id' - 'meta')::text AS content_rest`;
}

function postgresContentText(row: Row): string | undefined {
  const rest = row.content_rest as string | null;
  if (rest == null || row.content_type == null) return undefined;
  let text = `{"resourceType":${row.content_type as string}`;
  if (row.content_id != null) text += `,"id":${row.content_id as string}`;
  if (row.content_meta != null) text += `,"meta":${row.content_meta as string}`;
  return rest === '{}' ? text + '}' : `${text},${rest.slice(1)}`;
}

/**
 * A row as a version whose resource is parsed only when read, carrying the stored text as `json` (SQLite's content
 * column, or PostgreSQL's postgresContentColumns): a response that sends the text never parses it.
 */
export function textVersion(dialect: SqlDialect, row: Row): StoredVersion {
  const content = dialect.name === 'postgres' ? postgresContentText(row) : row.content;
  if (typeof content !== 'string' || Number(row.deleted) === 1) return rowToVersion(dialect, row);
  let parsed: Resource | undefined;
  let read = false;
  // an object literal with accessors: ~1 us a row, where Object.defineProperty cost ~4 us
  const version: StoredVersion = {
    resourceType: row.type as string,
    id: row.id as string,
    versionId: Number(row.version),
    lastUpdated: new Date(Number(row.last_updated)).toISOString(),
    deleted: false,
    method: row.method as StoredVersion['method'],
    json: content,
    get resource() {
      if (!read) {
        parsed = JSON.parse(content) as Resource;
        read = true;
      }
      return parsed;
    },
    set resource(resource: Resource | undefined) {
      // a caller replacing the resource: the stored text no longer describes it
      parsed = resource;
      read = true;
      version.json = undefined;
    },
  };
  return version;
}

/** `?, ?, ?` */
export const placeholders = (count: number): string => Array.from({ length: count }, () => '?').join(', ');
