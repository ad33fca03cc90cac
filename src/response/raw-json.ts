/**
 * Resources sent as the JSON text the store holds (SQLite keeps content as text): a search page would otherwise
 * parse every resource and serialise it again unchanged, about a fifth of the server's CPU under the search mix.
 *
 * Such an entry's `resource` is an ordinary property to every reader (a getter that parses on first read); until
 * something reads it, serializeBody writes the stored text in its place. Once read, the parsed resource is written,
 * so a caller that changed it is never undone.
 */
import type { BundleEntry, R4 } from '../fhir/types.js';
import type { StoredVersion } from '../storage/port.js';

/** entries whose resource nobody has read yet -> the stored text of that resource */
const unread = new WeakMap<object, string>();
/** bodies with such entries (searchset bundles), so other bodies take the plain JSON.stringify path */
const withUnreadEntries = new WeakSet<object>();

/** a Bundle entry `{ fullUrl, resource, search }` whose resource is `version.json` until read */
export function storedTextEntry(fullUrl: string, version: StoredVersion & { json: string }, mode: 'match' | 'include'): BundleEntry {
  const entry = { fullUrl } as BundleEntry;
  Object.defineProperty(entry, 'resource', {
    enumerable: true,
    configurable: true,
    get: () => {
      unread.delete(entry);
      return version.resource;
    },
    set: (resource: R4.FhirResource | undefined) => {
      unread.delete(entry);
      Object.defineProperty(entry, 'resource', { value: resource, enumerable: true, configurable: true, writable: true });
    },
  });
  entry.search = { mode };
  unread.set(entry, version.json);
  return entry;
}

export function markStoredTextEntries(body: object, entries: readonly object[]): void {
  if (entries.some((entry) => unread.has(entry))) withUnreadEntries.add(body);
}

/** `JSON.stringify(body)` (indented by 2 when pretty), with the stored text of resources nobody has read */
export function serializeBody(body: unknown, pretty = false): string {
  if (pretty) return JSON.stringify(body, null, 2);
  if (typeof body !== 'object' || body === null || !withUnreadEntries.has(body)) return JSON.stringify(body);
  // body -> entry array -> entry object -> resource
  return write(body, 3)!;
}

function write(value: unknown, depth: number): string | undefined {
  if (depth === 0 || typeof value !== 'object' || value === null || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let n = 0; n < value.length; n++) out += (n ? ',' : '') + (write(value[n], depth - 1) ?? 'null');
    return out + ']';
  }
  const stored = unread.get(value);
  let out = '{';
  let first = true;
  for (const key of Object.keys(value)) {
    // the stored text is read before the property, whose getter would parse it
    const text = stored !== undefined && key === 'resource' ? stored : write((value as Record<string, unknown>)[key], depth - 1);
    if (text === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + text;
    first = false;
  }
  return out + '}';
}
