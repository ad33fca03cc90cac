/**
 * Paging links (R4 http.html#paging, search.html#Paging): the engine's cursor travels as an opaque,
 * URL-safe `_cursor` parameter next to the parameters the server applied.
 */
import { FhirError } from '../fhir/errors.js';
import type { Page } from '../storage/port.js';
import type { R4 } from '../fhir/types.js';

export const CURSOR_PARAMETER = '_cursor';

export function encodeCursor(engineCursor: string): string {
  return Buffer.from(engineCursor, 'utf8').toString('base64url');
}

export function decodeCursor(values: string[] | undefined): string | undefined {
  const value = values?.[values.length - 1];
  if (value === undefined || value === '') return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(value)) throw new FhirError('invalid-cursor', `_cursor "${value}" is not a cursor this server issued`);
  return Buffer.from(value, 'base64url').toString('utf8');
}

export type QueryPairs = [string, string][];

export function toQueryString(pairs: QueryPairs): string {
  const search = new URLSearchParams();
  for (const [name, value] of pairs) search.append(name, value);
  return search.toString();
}

function linkUrl(endpoint: string, pairs: QueryPairs, cursor?: string): string {
  const all: QueryPairs = cursor === undefined ? pairs : [...pairs, [CURSOR_PARAMETER, encodeCursor(cursor)]];
  const query = toQueryString(all);
  return query ? `${endpoint}?${query}` : endpoint;
}

/** self (with the cursor of this page, if any), next and previous links. */
export function pagingLinks(endpoint: string, pairs: QueryPairs, page: Page<unknown>, currentCursor: string | undefined): R4.BundleLink[] {
  const links: R4.BundleLink[] = [{ relation: 'self', url: linkUrl(endpoint, pairs, currentCursor) }];
  if (page.nextCursor !== undefined) links.push({ relation: 'next', url: linkUrl(endpoint, pairs, page.nextCursor) });
  if (page.previousCursor !== undefined) links.push({ relation: 'previous', url: linkUrl(endpoint, pairs, page.previousCursor) });
  return links;
}

export function recordToPairs(query: Record<string, string[]>, skip: ReadonlySet<string> = new Set()): QueryPairs {
  const pairs: QueryPairs = [];
  for (const [name, values] of Object.entries(query)) {
    if (skip.has(name)) continue;
    for (const value of values) pairs.push([name, value]);
  }
  return pairs;
}
