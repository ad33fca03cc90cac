/**
 * Uri parameters (R4 search.html#uri): exact match by default; :below = the value or anything under
 * it as a path, :above = stored values that are a prefix of the search value, :contains = substring.
 */
import type { IndexEntries } from '../index-entries.js';
import type { UriMatch } from '../ir.js';
import type { PathNode } from '../path.js';
import { invalidValue, isRecord, unescapeValue } from './common.js';
import { pushCanonicalEntries, splitCanonical } from './canonical.js';

export function extractUri(node: PathNode, param: string, out: IndexEntries, group?: number): void {
  let value = node.value;
  if (isRecord(value) && typeof value.reference === 'string') value = value.reference;
  if (typeof value !== 'string' || value.length === 0) return;
  out.uri.push(group === undefined ? { param, value } : { param, value, group });
  // a versioned canonical (url|version) also in its canonical forms, for :above / :below (canonical.ts)
  const canonical = group === undefined ? splitCanonical(value) : undefined;
  if (canonical?.version !== undefined) pushCanonicalEntries(out, param, canonical.url, canonical.version);
}

export const URI_MODIFIERS: ReadonlySet<string> = new Set(['missing', 'above', 'below', 'contains']);

export function parseUri(param: string, raw: string, modifier: string | undefined): UriMatch {
  const value = unescapeValue(raw);
  if (value.length === 0) throw invalidValue(param, raw, 'a uri value must not be empty');
  const op = modifier === 'above' || modifier === 'below' || modifier === 'contains' ? modifier : 'eq';
  return { kind: 'uri', op, value };
}
