/**
 * The MongoDB document layout, shared by the store and the mingo cross-check so both evaluate the very
 * same documents. A current-state document holds the resource and its index entries as embedded arrays
 * (one per parameter type, short field names to keep documents and multikey indexes small).
 */
import type { Resource } from '../../fhir/types.js';
import type {
  DateEntry, IndexEntries, NumberEntry, QuantityEntry, ReferenceEntry, StringEntry, TokenEntry, UriEntry,
} from '../../search/index-entries.js';
import type { StoredVersion, VersionWrite } from '../port.js';

export interface StringDoc { p: string; n: string; e: string }
export interface TokenDoc { p: string; s: string | null; c: string | null; x: string | null }
export interface ReferenceDoc {
  p: string; tt: string | null; ti: string | null; v: string | null; u: string | null; is: string | null; iv: string | null;
}
export interface DateDoc { p: string; lo: number; hi: number }
export interface NumberDoc { p: string; v: number; lo: number; hi: number }
export interface QuantityDoc { p: string; v: number; lo: number; hi: number; s: string | null; c: string | null; u: string | null }
export interface UriDoc { p: string; v: string }

/** Field name of each index type's array, in the document and inside composite groups. */
export const INDEX_FIELD = {
  string: 'str', token: 'tok', reference: 'ref', date: 'dt', number: 'num', quantity: 'qty', uri: 'uri',
} as const;

export interface EntryArrays {
  str: StringDoc[];
  tok: TokenDoc[];
  ref: ReferenceDoc[];
  dt: DateDoc[];
  num: NumberDoc[];
  qty: QuantityDoc[];
  uri: UriDoc[];
}

/**
 * One composite group ("components match within one element"): all component entries sharing a group
 * number, so a composite search is a single $elemMatch on `cmp`.
 */
export interface CompositeGroupDoc extends Partial<EntryArrays> { p: string; g: number }

/** A precomputed sort key: `h` marks presence so resources without a value sort last in both directions. */
export interface SortKeyDoc { h: 1; a: string | number; d: string | number }

export interface ResourceDocument extends Partial<EntryArrays> {
  /** "Type/id" */
  _id: string;
  type: string;
  id: string;
  version: number;
  /** epoch ms, for range conditions, sorting and paging */
  lastUpdated: number;
  /** the instant exactly as written */
  lastUpdatedIso: string;
  deleted: boolean;
  method: VersionWrite['method'];
  resource: Resource | null;
  /** creation order, kept across updates: the final tie-break of every sort (like a SQL row key) */
  seq: number;
  cmp?: CompositeGroupDoc[];
  srt?: Record<string, SortKeyDoc>;
}

/** An append-only history document; `_id` is "Type/id/version". */
export interface HistoryDocument {
  _id: string;
  type: string;
  id: string;
  version: number;
  lastUpdated: number;
  lastUpdatedIso: string;
  deleted: boolean;
  method: VersionWrite['method'];
  resource: Resource | null;
  /** write order: orders versions written in the same millisecond */
  seq: number;
}

/**
 * Strictly increasing numbers within a process, close to time order across processes (ms * 1024 plus a
 * counter), exact as doubles until the year 2248. A counter document would serialise every writer.
 */
export function createSequence(): () => number {
  let last = 0;
  return () => {
    last = Math.max(last + 1, Date.now() * 1024);
    return last;
  };
}

export const resourceKey = (type: string, id: string) => `${type}/${id}`;
export const historyKey = (type: string, id: string, version: number) => `${type}/${id}/${version}`;

/** Field names may not contain "." or start with "$"; parameter codes are escaped reversibly. */
export function sortFieldName(param: string): string {
  return param.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/\$/g, '%24');
}

const stringDoc = (e: StringEntry): StringDoc => ({ p: e.param, n: e.norm, e: e.exact });
const tokenDoc = (e: TokenEntry): TokenDoc => ({ p: e.param, s: e.system, c: e.code, x: e.text });
const referenceDoc = (e: ReferenceEntry): ReferenceDoc => ({
  p: e.param, tt: e.targetType, ti: e.targetId, v: e.version, u: e.url, is: e.identifierSystem, iv: e.identifierValue,
});
const dateDoc = (e: DateEntry): DateDoc => ({ p: e.param, lo: e.low, hi: e.high });
const numberDoc = (e: NumberEntry): NumberDoc => ({ p: e.param, v: e.value, lo: e.low, hi: e.high });
const quantityDoc = (e: QuantityEntry): QuantityDoc => ({
  p: e.param, v: e.value, lo: e.low, hi: e.high, s: e.system, c: e.code, u: e.unit,
});
const uriDoc = (e: UriEntry): UriDoc => ({ p: e.param, v: e.value });

/** The composite parameter an entry belongs to: its code is "<composite>$<componentIndex>". */
const compositeOf = (param: string) => {
  const dollar = param.lastIndexOf('$');
  return dollar > 0 ? param.slice(0, dollar) : param;
};

/** Splits entries into plain arrays and composite groups, converting each with `toDoc`. */
function place<E extends { param: string; group?: number }, D>(
  entries: E[],
  field: keyof EntryArrays,
  toDoc: (e: E) => D,
  groups: Map<string, CompositeGroupDoc>,
): D[] {
  const plain: D[] = [];
  for (const entry of entries) {
    if (entry.group === undefined) {
      plain.push(toDoc(entry));
      continue;
    }
    const composite = compositeOf(entry.param);
    const key = `${composite}\u0000${entry.group}`;
    let group = groups.get(key);
    if (!group) {
      group = { p: composite, g: entry.group };
      groups.set(key, group);
    }
    const lists = group as unknown as Record<string, D[] | undefined>;
    (lists[field] ??= []).push(toDoc(entry));
  }
  return plain;
}

export function buildEntryArrays(index: IndexEntries): { arrays: EntryArrays; composites: CompositeGroupDoc[] } {
  const groups = new Map<string, CompositeGroupDoc>();
  const arrays: EntryArrays = {
    str: place(index.string, 'str', stringDoc, groups),
    tok: place(index.token, 'tok', tokenDoc, groups),
    ref: place(index.reference, 'ref', referenceDoc, groups),
    dt: place(index.date, 'dt', dateDoc, groups),
    num: place(index.number, 'num', numberDoc, groups),
    qty: place(index.quantity, 'qty', quantityDoc, groups),
    uri: place(index.uri, 'uri', uriDoc, groups),
  };
  return { arrays, composites: [...groups.values()] };
}

function buildSortKeys(index: IndexEntries): Record<string, SortKeyDoc> {
  const keys: Record<string, SortKeyDoc> = {};
  for (const [param, key] of Object.entries(index.sort)) {
    keys[sortFieldName(param)] = { h: 1, a: key.asc, d: key.desc };
  }
  return keys;
}

/** The current-state document for a written version; a delete keeps only the marker, no entries. */
export function buildResourceDocument(version: VersionWrite, seq: number): ResourceDocument {
  const base: ResourceDocument = {
    _id: resourceKey(version.resourceType, version.id),
    type: version.resourceType,
    id: version.id,
    version: version.versionId,
    lastUpdated: Date.parse(version.lastUpdated),
    lastUpdatedIso: version.lastUpdated,
    deleted: version.resource === undefined,
    method: version.method,
    resource: version.resource ?? null,
    seq,
  };
  if (!version.resource || !version.index) return base;
  const { arrays, composites } = buildEntryArrays(version.index);
  return { ...base, ...arrays, cmp: composites, srt: buildSortKeys(version.index) };
}

export function buildHistoryDocument(version: VersionWrite, seq: number): HistoryDocument {
  return {
    _id: historyKey(version.resourceType, version.id, version.versionId),
    type: version.resourceType,
    id: version.id,
    version: version.versionId,
    lastUpdated: Date.parse(version.lastUpdated),
    lastUpdatedIso: version.lastUpdated,
    deleted: version.resource === undefined,
    method: version.method,
    resource: version.resource ?? null,
    seq,
  };
}

/** Fields a search or read needs back; the index arrays stay in the database. */
export const VERSION_PROJECTION = {
  type: 1, id: 1, version: 1, lastUpdatedIso: 1, deleted: 1, method: 1, resource: 1,
} as const;

export function toStoredVersion(doc: Pick<HistoryDocument, keyof typeof VERSION_PROJECTION>): StoredVersion {
  const stored: StoredVersion = {
    resourceType: doc.type,
    id: doc.id,
    versionId: doc.version,
    lastUpdated: doc.lastUpdatedIso,
    deleted: doc.deleted,
    method: doc.method,
  };
  if (doc.resource) stored.resource = doc.resource;
  return stored;
}
