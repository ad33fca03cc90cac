/** Mapping between stored rows and the port's StoredVersion. */
import type { Resource } from '../../fhir/types.js';
import type { StoredVersion } from '../port.js';
import { perDialect, type SqlDialect } from './dialect.js';
import type { Row } from './session.js';
import { RESOURCE_TABLE } from './tables.js';

const VERSION_COLUMN_NAMES = ['type', 'id', 'version', 'last_updated', 'deleted', 'method'];

/**
 * The version columns of current rows `alias`, qualified, for textVersion: the stored JSON text as `content_text`
 * on PostgreSQL, `content` on SQLite.
 */
export function textVersionColumns(dialect: SqlDialect, alias: string): string {
  return perDialect(dialect, `text:${alias}`, () => {
    const content = `${dialect.storedContent(alias)} AS ${dialect.name === 'postgres' ? 'content_text' : 'content'}`;
    return [...VERSION_COLUMN_NAMES.map((column) => `${alias}.${column}`), content].join(', ');
  });
}

/** the version columns of current rows `r`, for rowToVersion */
export function versionColumns(dialect: SqlDialect): string {
  return perDialect(dialect, 'version', () =>
    [...VERSION_COLUMN_NAMES.map((column) => `r.${column}`), `${dialect.storedContent('r')} AS content`].join(', '));
}

/**
 * The version columns of history rows `h`. The content of a current version is stored once, in its current row
 * (reads by id and search pages need no join); its history row gets the content when a newer version supersedes it.
 */
export function historyVersionColumns(dialect: SqlDialect): string {
  return perDialect(dialect, 'history', () => 'h.type, h.id, h.version, h.last_updated, h.deleted, h.method,'
    + ` COALESCE(${dialect.storedContent('h')}, (SELECT ${dialect.storedContent('cur')} FROM ${RESOURCE_TABLE} cur`
    + ' WHERE cur.rkey = h.rkey AND cur.version = h.version)) AS content');
}

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

function postgresContentText(row: Row): string | undefined {
  const text = row.content_text as string | null | undefined;
  return text == null ? undefined : resourceTypeFirst(text);
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const SPACE = 32;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const RESOURCE_TYPE_KEY = '"resourceType"';
/** the key as JSONB writes it, with the opening quote of its value */
const RESOURCE_TYPE_MEMBER = '"resourceType": "';

/** the index just past the JSON string starting at `start` (a quote) */
function stringEnd(text: string, start: number): number {
  let close = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(close - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return close + 1;
    close = text.indexOf('"', close + 1);
  }
}

/**
 * JSONB text (keys ordered by length, then bytes: PostgreSQL versions stored before schema 4) with its top-level
 * resourceType member moved to the front, where FHIR JSON shows it (json.html); "id", the shortest key, then follows.
 * Text that starts with it, as every text stored since does, and text without a top-level resourceType come back
 * unchanged.
 */
export function resourceTypeFirst(text: string): string {
  if (text.startsWith('{"resourceType"')) return text;
  const key = topLevelResourceTypeKey(text);
  if (key < 0) return text;
  const valueStart = text.indexOf('"', key + RESOURCE_TYPE_KEY.length);
  const valueEnd = stringEnd(text, valueStart);
  const value = text.slice(valueStart, valueEnd);
  // the member and the ", " after it, or, when it is the last member, the ", " before it
  const following = text.charCodeAt(valueEnd) === COMMA;
  const rest = following ? text.slice(1, key) + text.slice(valueEnd + 2) : text.slice(1, Math.max(1, key - 2)) + text.slice(valueEnd);
  return rest === '}' ? `{"resourceType": ${value}}` : `{"resourceType": ${value}, ${rest}`;
}

/**
 * Where the top-level `"resourceType"` key starts, or -1. Members that can hold a resource (contained, entry,
 * parameter) have shorter keys, so JSONB writes them before it: the last occurrence is the top-level one when the
 * text after it closes no object but the outermost. That check reads only the members after it (~1 us for a 4 KB
 * Patient); anything else falls back to reading the whole text.
 */
function topLevelResourceTypeKey(text: string): number {
  const candidate = text.lastIndexOf(RESOURCE_TYPE_MEMBER);
  if (candidate > 0) {
    const before = text.charCodeAt(candidate - 1);
    if ((before === SPACE || before === OPEN_BRACE) && closesOnlyOutermost(text, candidate)) return candidate;
  }
  return scanForTopLevelKey(text);
}

/** whether, read from `from`, the text's first unmatched closing bracket is its last character */
function closesOnlyOutermost(text: string, from: number): boolean {
  let depth = 0;
  for (let i = from; i < text.length;) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      i = stringEnd(text, i);
      continue;
    }
    if (ch === OPEN_BRACE || ch === OPEN_BRACKET) depth++;
    else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) {
      if (--depth < 0) return i === text.length - 1;
    }
    i++;
  }
  return false;
}

function scanForTopLevelKey(text: string): number {
  let depth = 0;
  for (let i = 1; i < text.length;) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      const end = stringEnd(text, i);
      if (depth === 0 && end - i === RESOURCE_TYPE_KEY.length && text.startsWith(RESOURCE_TYPE_KEY, i)) return i;
      i = end;
      continue;
    }
    if (ch === OPEN_BRACE || ch === OPEN_BRACKET) depth++;
    else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) depth--;
    i++;
  }
  return -1;
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
