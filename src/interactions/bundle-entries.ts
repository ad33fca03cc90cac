/**
 * Reading the entries of a batch or transaction Bundle (R4 bundle.html, http.html#transaction):
 * each entry's request is parsed into method, type, id, query and its per-entry headers,
 * and entries are put in the processing order R4 http.html#trules prescribes.
 */
import { FhirError } from '../fhir/errors.js';
import type { Resource } from '../fhir/types.js';
import type { Config } from '../config.js';

export type EntryMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ParsedEntry {
  /** position in the submitted Bundle; responses are reported in this order */
  index: number;
  method: EntryMethod;
  /** request.url as sent */
  url: string;
  resourceType?: string;
  id?: string;
  versionId?: string;
  /** e.g. "$everything" */
  operation?: string;
  /** the query part of request.url, decoded into repeated parameters */
  query: Record<string, string[]>;
  hasQuery: boolean;
  fullUrl?: string;
  resource?: Resource;
  ifNoneExist?: string;
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
}

const METHODS = new Set<EntryMethod>(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
const RESOURCE_TYPE = /^[A-Z][A-Za-z]+$/;

export function entryExpression(index: number, element?: string): string {
  return element ? `Bundle.entry[${index}].${element}` : `Bundle.entry[${index}]`;
}

/** Checks the Bundle envelope; returns its entries. */
export function bundleEntries(body: unknown, allowedTypes: readonly string[], config: Config): unknown[] {
  if (typeof body !== 'object' || body === null || (body as Resource).resourceType !== 'Bundle') {
    throw new FhirError('invalid-bundle', `POST to the base must carry a Bundle of type ${allowedTypes.join(' or ')}`, {
      expression: ['Bundle'],
    });
  }
  const bundle = body as { type?: unknown; entry?: unknown };
  if (typeof bundle.type !== 'string' || !allowedTypes.includes(bundle.type)) {
    throw new FhirError('invalid-bundle', `Bundle.type must be ${allowedTypes.join(' or ')} (got ${JSON.stringify(bundle.type)})`, {
      expression: ['Bundle.type'],
    });
  }
  const entries = bundle.entry ?? [];
  if (!Array.isArray(entries)) throw new FhirError('invalid-bundle', 'Bundle.entry must be an array', { expression: ['Bundle.entry'] });
  if (entries.length > config.maxBundleEntries) {
    throw new FhirError('payload-too-large', `The Bundle has ${entries.length} entries; this server accepts at most ${config.maxBundleEntries} per ${bundle.type} (FHIR_MAX_BUNDLE_ENTRIES). Split it into smaller Bundles.`, {
      expression: ['Bundle.entry'],
    });
  }
  return entries;
}

function invalidEntry(index: number, message: string, element?: string): FhirError {
  return new FhirError('invalid-bundle', `Bundle.entry[${index}]: ${message}`, { expression: [entryExpression(index, element)] });
}

/** Strips our own base (absolute request URLs are allowed when they point at this server). */
function relativeUrl(url: string, baseUrl: string): string {
  if (url.startsWith(baseUrl + '/')) return url.slice(baseUrl.length + 1);
  if (url.startsWith('/')) return url.slice(1);
  return url;
}

export function parseQuery(search: string): Record<string, string[]> {
  const query: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(search)) (query[name] ??= []).push(value);
  return query;
}

export function parseEntry(raw: unknown, index: number, baseUrl: string): ParsedEntry {
  if (typeof raw !== 'object' || raw === null) throw invalidEntry(index, 'an entry must be an object');
  const entry = raw as { fullUrl?: unknown; resource?: unknown; request?: Record<string, unknown> };
  const request = entry.request;
  if (!request || typeof request !== 'object') throw invalidEntry(index, 'request is required in a batch or transaction', 'request');
  const method = String(request.method ?? '').toUpperCase() as EntryMethod;
  if (!METHODS.has(method)) throw invalidEntry(index, `request.method must be one of ${[...METHODS].join(', ')}`, 'request.method');
  if (typeof request.url !== 'string' || request.url === '') throw invalidEntry(index, 'request.url is required', 'request.url');

  const url = request.url;
  const relative = relativeUrl(url, baseUrl);
  if (/^[a-z][a-z0-9+.-]*:/i.test(relative)) throw invalidEntry(index, `request.url ${url} is not on this server`, 'request.url');
  const queryStart = relative.indexOf('?');
  const pathPart = queryStart >= 0 ? relative.slice(0, queryStart) : relative;
  const segments = pathPart.split('/').filter((segment) => segment !== '');
  const parsed: ParsedEntry = {
    index, method, url,
    query: queryStart >= 0 ? parseQuery(relative.slice(queryStart + 1)) : {},
    hasQuery: queryStart >= 0,
    fullUrl: typeof entry.fullUrl === 'string' ? entry.fullUrl : undefined,
    ifNoneExist: stringField(request.ifNoneExist),
    ifMatch: stringField(request.ifMatch),
    ifNoneMatch: stringField(request.ifNoneMatch),
    ifModifiedSince: stringField(request.ifModifiedSince),
  };
  if (segments[0]?.startsWith('$')) parsed.operation = segments.shift();
  if (segments.length > 0) {
    if (!RESOURCE_TYPE.test(segments[0])) throw invalidEntry(index, `request.url ${url} does not start with a resource type`, 'request.url');
    parsed.resourceType = segments[0];
  }
  if (segments[1]?.startsWith('$')) parsed.operation = segments[1];
  else if (segments[1] !== undefined) parsed.id = decodeURIComponent(segments[1]);
  if (segments[2] === '_history' && segments[3]) parsed.versionId = segments[3];
  else if (segments[2]?.startsWith('$')) parsed.operation = segments[2];

  if (entry.resource !== undefined) {
    if (typeof entry.resource !== 'object' || entry.resource === null || typeof (entry.resource as Resource).resourceType !== 'string') {
      throw invalidEntry(index, 'resource must be a FHIR resource', 'resource');
    }
    parsed.resource = entry.resource as Resource;
  }
  checkShape(parsed);
  return parsed;
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function checkShape(entry: ParsedEntry): void {
  const { index, method } = entry;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    if (!entry.resource) throw invalidEntry(index, `a ${method} entry needs a resource`, 'resource');
    if (!entry.resourceType) throw invalidEntry(index, `request.url must name the resource type for ${method}`, 'request.url');
  }
  if ((method === 'POST' || method === 'PUT') && entry.resource!.resourceType !== entry.resourceType) {
    throw new FhirError('resource-type-mismatch', `Bundle.entry[${index}]: resource is a ${entry.resource!.resourceType} but request.url names ${entry.resourceType}`, {
      expression: [entryExpression(index, 'resource')],
    });
  }
  if (method === 'POST' && (entry.id || entry.hasQuery)) {
    throw invalidEntry(index, 'a POST entry url is the resource type only (use ifNoneExist for a conditional create)', 'request.url');
  }
  if ((method === 'PUT' || method === 'PATCH' || method === 'DELETE') && !entry.id && !entry.hasQuery) {
    throw invalidEntry(index, `a ${method} entry url must be Type/id or a conditional Type?query`, 'request.url');
  }
  // http.html#update: the resource SHALL have an id matching the URL; only a conditional update may leave it out
  if (method === 'PUT' && entry.id) {
    const resourceId = entry.resource!.id;
    if (resourceId === undefined) {
      throw new FhirError('missing-id', `Bundle.entry[${index}]: the ${entry.resourceType} has no id; an update must carry the id "${entry.id}" of request.url`, {
        expression: [entryExpression(index, 'resource.id')],
      });
    }
    if (resourceId !== entry.id) {
      throw new FhirError('id-mismatch', `Bundle.entry[${index}]: resource.id ${resourceId} differs from the id in request.url (${entry.id})`, {
        expression: [entryExpression(index, 'resource.id')],
      });
    }
  }
}

const PROCESSING_RANK: Record<EntryMethod, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

/** R4 http.html#trules: DELETE, then POST, then PUT/PATCH, then GET/HEAD; the Bundle's order within each group. */
export function processingOrder<T extends { method: EntryMethod; index: number }>(entries: readonly T[]): T[] {
  return [...entries].sort((a, b) => PROCESSING_RANK[a.method] - PROCESSING_RANK[b.method] || a.index - b.index);
}
