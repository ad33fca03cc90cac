/** Bundle builders: searchset (R4 search.html#bundle) and history (R4 http.html#history). */
import type { Bundle, BundleEntry, OperationOutcome, R4, Resource } from '../fhir/types.js';
import type { StoredVersion } from '../storage/port.js';
import { markStoredTextEntries, storedTextEntry } from './raw-json.js';

export function fullUrl(baseUrl: string, resource: { resourceType: string; id?: string }): string {
  return `${baseUrl}/${resource.resourceType}/${resource.id}`;
}

export function searchEntry(baseUrl: string, resource: Resource, mode: 'match' | 'include'): BundleEntry {
  return { fullUrl: fullUrl(baseUrl, resource), resource: resource as unknown as R4.FhirResource, search: { mode } };
}

/** searchEntry for a version the store has as JSON text: serialised as that text unless read (raw-json.ts) */
export function storedSearchEntry(baseUrl: string, version: StoredVersion & { json: string }, mode: 'match' | 'include'): BundleEntry {
  return storedTextEntry(fullUrl(baseUrl, version), version, mode);
}

export function outcomeEntry(outcome: OperationOutcome): BundleEntry {
  return { resource: outcome, search: { mode: 'outcome' } };
}

export function searchsetBundle(parts: { total?: number; links: R4.BundleLink[]; entries: BundleEntry[]; now: Date }): Bundle {
  const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', meta: { lastUpdated: parts.now.toISOString() } };
  if (parts.total !== undefined) bundle.total = parts.total;
  bundle.link = parts.links;
  if (parts.entries.length > 0) bundle.entry = parts.entries;
  markStoredTextEntries(bundle, parts.entries);
  return bundle;
}

function historyRequest(version: StoredVersion): R4.BundleEntryRequest {
  const instanceUrl = `${version.resourceType}/${version.id}`;
  switch (version.method) {
    case 'POST':
      return { method: 'POST', url: version.resourceType };
    case 'DELETE':
      return { method: 'DELETE', url: instanceUrl };
    default:
      return { method: version.method, url: instanceUrl };
  }
}

/** The status the write answered (R4 http.html#update: 201 when it created the resource, including over a delete). */
function historyStatus(version: StoredVersion, recreated: boolean): string {
  if (version.deleted) return '204 No Content';
  return version.versionId === 1 || version.method === 'POST' || recreated ? '201 Created' : '200 OK';
}

/** `recreated`: the version before this one was a delete, so this write created the resource again. */
export function historyEntry(baseUrl: string, version: StoredVersion, recreated = false): BundleEntry {
  const entry: BundleEntry = { fullUrl: fullUrl(baseUrl, version) };
  if (version.resource) entry.resource = version.resource as unknown as R4.FhirResource;
  entry.request = historyRequest(version);
  entry.response = {
    status: historyStatus(version, recreated),
    etag: `W/"${version.versionId}"`,
    lastModified: version.lastUpdated,
  };
  if (!version.deleted) entry.response.location = `${baseUrl}/${version.resourceType}/${version.id}/_history/${version.versionId}`;
  return entry;
}

export function versionKey(version: Pick<StoredVersion, 'resourceType' | 'id' | 'versionId'>): string {
  return `${version.resourceType}/${version.id}/_history/${version.versionId}`;
}

/** `recreated`: versionKey()s of versions written over a delete (their response status is 201). */
export function historyBundle(parts: { total?: number; links: R4.BundleLink[]; versions: StoredVersion[]; baseUrl: string; now: Date; recreated?: ReadonlySet<string> }): Bundle {
  const bundle: Bundle = { resourceType: 'Bundle', type: 'history', meta: { lastUpdated: parts.now.toISOString() } };
  if (parts.total !== undefined) bundle.total = parts.total;
  bundle.link = parts.links;
  if (parts.versions.length > 0) bundle.entry = parts.versions.map((version) => historyEntry(parts.baseUrl, version, parts.recreated?.has(versionKey(version))));
  return bundle;
}
