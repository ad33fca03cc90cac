/**
 * Resources sent as the JSON text the store holds (SQLite keeps content as text): a search page would otherwise
 * parse every resource and serialise it again unchanged, about a fifth of the server's CPU under the search mix.
 *
 * Such an entry's `resource` is an ordinary enumerable property to every reader (a getter that parses on first
 * read); until something reads it, serializeBody writes the stored text in its place. Once read, the parsed
 * resource is written, so a caller that changed it is never undone.
 */
import type { BundleEntry, R4 } from '../fhir/types.js';
import type { StoredVersion } from '../storage/port.js';

/** on a body with stored-text entries (searchset bundles), so other bodies take the plain JSON.stringify path */
const HAS_STORED = Symbol('has entries with stored text');

/**
 * While true, a stored-text entry's `resource` getter answers the stored text (a string, which no resource is)
 * without counting as a read, or undefined once the resource was read. Only serializeBody sets it, synchronously.
 * (The text could live in a WeakMap or a non-enumerable symbol property instead, but each costs ~4 us per entry
 * to set, as much as the parse it saves; an object literal with accessors costs ~1 us.)
 */
let peeking = false;

/** a Bundle entry `{ fullUrl, resource, search }` whose resource is `version.json` until read */
export function storedTextEntry(fullUrl: string, version: StoredVersion & { json: string }, mode: 'match' | 'include'): BundleEntry {
  let text: string | undefined = version.json;
  let replaced: { resource: R4.FhirResource | undefined } | undefined;
  return {
    fullUrl,
    get resource(): R4.FhirResource | undefined {
      if (peeking) return text as unknown as R4.FhirResource;
      text = undefined;
      return replaced ? replaced.resource : version.resource as unknown as R4.FhirResource;
    },
    set resource(resource: R4.FhirResource | undefined) {
      text = undefined;
      replaced = { resource };
    },
    search: { mode },
  };
}

export function markStoredTextEntries(body: object, entries: readonly BundleEntry[]): void {
  if (entries.some((entry) => typeof peek(entry) === 'string')) Object.defineProperty(body, HAS_STORED, { value: true });
}

function peek(entry: object): unknown {
  peeking = true;
  try {
    return (entry as { resource?: unknown }).resource;
  } finally {
    peeking = false;
  }
}

/** `JSON.stringify(body)` (indented by 2 when pretty), with the stored text of resources nobody has read */
export function serializeBody(body: unknown, pretty = false): string {
  if (pretty) return JSON.stringify(body, null, 2);
  if (typeof body !== 'object' || body === null || (body as { [HAS_STORED]?: boolean })[HAS_STORED] !== true) return JSON.stringify(body);
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
  let out = '{';
  let first = true;
  for (const key of Object.keys(value)) {
    // an entry's stored text is peeked at before the property is read (its getter would parse it)
    const stored = key === 'resource' ? peek(value) : undefined;
    const text = typeof stored === 'string' ? stored : write((value as Record<string, unknown>)[key], depth - 1);
    if (text === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + text;
    first = false;
  }
  return out + '}';
}
