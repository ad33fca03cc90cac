/**
 * `:above` / `:below` on canonical URLs (R4 search.html#uri and #reference: canonical references are
 * `url|version`; a version-less value stands for every version). Engines only know exact, prefix-of and
 * path-below matches on uri entries, so a canonical is indexed twice more, as uri entries:
 *
 * - `<param>:url`     the url without its version, for every canonical: `:below=url` (this url or any url
 *                     under it as a path, any version) and `:above=url` (stored urls that are a prefix of it);
 * - `<param>:version` `url|<version with "." as "/">` for a versioned canonical, `url|` for a version-less
 *                     one. `:below=url|1.2` is then a path-below match (1.2, 1.2.x, 1.2.x.y) and
 *                     `:above=url|1.2.3` a prefix-of match (1.2.3, 1.2, 1 and the version-less `url|`).
 *
 * Reference parameters index both forms for every canonical/absolute url they hold. Uri parameters keep their
 * plain entries (exact match is unchanged) and add both forms only for values that carry a `|version`.
 */
import type { IndexEntries } from '../index-entries.js';
import type { Condition, UriMatch } from '../ir.js';
import { invalidValue, unescapeValue } from './common.js';

export const canonicalUrlParam = (param: string) => `${param}:url`;
export const canonicalVersionParam = (param: string) => `${param}:version`;

/** 1.2.3 -> 1/2/3: a version hierarchy as a path, so uri :below / :above apply */
const versionPath = (version: string) => version.split('.').join('/');

export function pushCanonicalEntries(out: IndexEntries, param: string, url: string, version: string | null, group?: number): void {
  const entries = [
    { param: canonicalUrlParam(param), value: url },
    { param: canonicalVersionParam(param), value: `${url}|${version === null ? '' : versionPath(version)}` },
  ];
  for (const entry of entries) out.uri.push(group === undefined ? entry : { ...entry, group });
}

/** a trailing "/" names the folder: `url:below=http://acme.org/fhir/` is R4's own example */
const folder = (url: string, op: 'above' | 'below') => (op === 'below' && url.length > 1 && url.endsWith('/') ? url.slice(0, -1) : url);

/** `url|version` splits at the last bar when the value is a URL (has a scheme) */
export function splitCanonical(value: string): { url: string; version?: string } {
  const bar = value.lastIndexOf('|');
  if (bar > 0 && value.includes(':')) {
    const version = value.slice(bar + 1);
    return version ? { url: value.slice(0, bar), version } : { url: value.slice(0, bar) };
  }
  return { url: value };
}

const uri = (param: string, op: UriMatch['op'], value: string): Condition =>
  ({ kind: 'param', param, index: 'uri', values: [{ kind: 'uri', op, value }] });

const anyOf = (conditions: Condition[]): Condition => (conditions.length === 1 ? conditions[0]! : { kind: 'or', conditions });

/**
 * reference `:above` / `:below` with canonical values (comma = OR). A local reference (Type/id) has no
 * hierarchy in R4: 400.
 */
export function canonicalReferenceCondition(param: string, modifier: 'above' | 'below', raws: string[]): Condition {
  return anyOf(raws.map((raw) => {
    const value = unescapeValue(raw);
    if (!value.includes(':')) throw invalidValue(`${param}:${modifier}`, raw, `:${modifier} on a reference expects a canonical or absolute URL, optionally with |version`);
    const { url, version } = splitCanonical(value);
    const op = modifier === 'above' ? 'above' : 'below';
    return version === undefined
      ? uri(canonicalUrlParam(param), op, folder(url, op))
      : uri(canonicalVersionParam(param), op, `${url}|${versionPath(version)}`);
  }));
}

/** uri `:above` / `:below`: plain entries as before, plus the canonical forms of versioned stored values */
export function canonicalUriCondition(param: string, modifier: 'above' | 'below', raws: string[]): Condition {
  const conditions: Condition[] = [];
  for (const raw of raws) {
    const value = unescapeValue(raw);
    if (value.length === 0) throw invalidValue(param, raw, 'a uri value must not be empty');
    const { url, version } = splitCanonical(value);
    if (version === undefined) {
      conditions.push(uri(param, modifier, folder(url, modifier)), uri(canonicalUrlParam(param), modifier, folder(url, modifier)));
    } else if (modifier === 'below') {
      conditions.push(uri(canonicalVersionParam(param), 'below', `${url}|${versionPath(version)}`));
    } else {
      // stored version-less values of this url (plain entries), and versioned ones at or above the version
      conditions.push(uri(param, 'eq', url), uri(canonicalVersionParam(param), 'above', `${url}|${versionPath(version)}`));
    }
  }
  return anyOf(conditions);
}
