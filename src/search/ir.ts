/**
 * The planned query: engine-neutral IR that storage engines compile (SQL or MongoDB).
 * A query is an AND of conditions; a parameter condition is an OR of values.
 * Access rules (SMART) arrive as ordinary conditions appended to `where`.
 */
export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

/*
 * Match semantics every engine implements identically (R4 search.html#prefix, #date, #number, #quantity).
 * S = [s.low, s.high] the search range (parse already widened it for precision and for `ap`);
 * T = [t.low, t.high] the indexed range; v = t.value (number/quantity), sv = s.value.
 *
 * date / lastUpdated (ranges, inclusive ms):
 *   eq: t.low >= s.low AND t.high <= s.high        ne: NOT eq
 *       (every indexed range has t.low <= t.high, so engines may also bound t.low <= s.high)
 *   gt: t.high > s.high                            lt: t.low < s.low
 *   ge: t.high > s.high OR eq                      le: t.low < s.low OR eq
 *   sa: t.low > s.high                             eb: t.high < s.low
 *   ap: t.low <= s.high AND t.high >= s.low (overlap with the widened search range)
 * number / quantity (use the indexed value v; S is the precision range of the search value, T the indexed value's
 * precision range, or a Range's [low, high]):
 *   eq: v >= s.low AND v <= s.high   (parse makes s.high exclusive-by-epsilon: the last representable below)
 *   ne: NOT eq       gt: v > sv      lt: v < sv      ge: v >= sv      le: v <= sv
 *   sa: t.low > s.high               eb: t.high < s.low   (the ranges do not overlap: search.html#prefix)
 *   ap: v >= s.low AND v <= s.high (parse widened S by 10 %)
 *   quantity also requires system/code equality when given (code alone matches code or unit).
 * string: starts = norm LIKE value% (value already normalised); exact = exact = value; contains = norm LIKE %value%
 * token eq: code = code AND (system undefined: any | null: system IS NULL | s: system = s); code undefined: system only.
 *   :not is a `not` condition around the param condition (resources with no matching entry, including none at all).
 * token text: text LIKE value% OR text LIKE % value% (word prefix) on the normalised text.
 * uri: eq exact; below: value = v OR value LIKE v/%; above: v LIKE value% (stored is a prefix of the search);
 *   contains: LIKE %v%.
 * reference: targetType/targetId/version/url/identifier, each given part must equal.
 * missing: missing=true means the resource has no entry at all for param.
 */

export type StringMatch = { kind: 'string'; op: 'starts' | 'exact' | 'contains'; value: string };
/** system: undefined = any system; null = no system (the `|code` form) */
export type TokenMatch = {
  kind: 'token';
  op: 'eq' | 'text';
  system?: string | null;
  code?: string;
  /** for op text: normalised text prefix */
  text?: string;
};
/** Several codes at once (expanded :in / :below on a code system hierarchy) */
export type TokenSetMatch = { kind: 'token-set'; codes: { system: string | null; code: string }[] };
export type ReferenceMatch = {
  kind: 'reference';
  /** local reference by type/id (type may be undefined = any target type) */
  targetType?: string;
  targetId?: string;
  version?: string;
  /** absolute / canonical url match */
  url?: string;
  /** :identifier */
  identifier?: { system?: string | null; value: string };
};
/** Ranges in epoch ms, inclusive; the prefix applies to the search range vs the indexed range */
export type DateMatch = { kind: 'date'; prefix: Prefix; low: number; high: number };
export type NumberMatch = { kind: 'number'; prefix: Prefix; value: number; low: number; high: number };
export type QuantityMatch = {
  kind: 'quantity'; prefix: Prefix; value: number; low: number; high: number;
  system?: string | null; code?: string; unit?: string;
};
export type UriMatch = { kind: 'uri'; op: 'eq' | 'above' | 'below' | 'contains'; value: string };

export type ValueMatch =
  | StringMatch | TokenMatch | TokenSetMatch | ReferenceMatch | DateMatch | NumberMatch | QuantityMatch | UriMatch;

export type IndexKind = 'string' | 'token' | 'reference' | 'date' | 'number' | 'quantity' | 'uri';

export type Condition =
  /** index entries of `param` (in table `index`) match any of `values` */
  | { kind: 'param'; param: string; index: IndexKind; values: ValueMatch[] }
  /** composite: each alternative is a list of component matches that must hold within one group */
  | { kind: 'composite'; param: string; alternatives: { param: string; index: IndexKind; match: ValueMatch }[][] }
  /** resource has (missing=false) or lacks (missing=true) any entry for the param */
  | { kind: 'missing'; param: string; index: IndexKind; missing: boolean }
  | { kind: 'id'; ids: string[] }
  | { kind: 'lastUpdated'; prefix: Prefix; low: number; high: number }
  | { kind: 'type'; types: string[] }
  | { kind: 'not'; condition: Condition }
  | { kind: 'or'; conditions: Condition[] }
  | { kind: 'and'; conditions: Condition[] }
  /** forward chain: the reference `param` points at a resource of one of `targetTypes` satisfying `where` */
  | { kind: 'chain'; param: string; targetTypes: string[]; where: Condition[] }
  /** reverse chain (_has): some resource of `sourceType` whose reference `param` points here satisfies `where` */
  | { kind: 'has'; sourceType: string; param: string; where: Condition[] };

export interface SortKey { param: string; /** '_id' and '_lastUpdated' are built in */ descending: boolean }

export interface SearchQuery {
  /** null = system-level search over every type */
  types: string[] | null;
  where: Condition[];
  sort: SortKey[];
  /** page size; 0 = no resources, count only */
  count: number;
  /** opaque to the IR: the engine's own cursor from a previous page */
  cursor?: string;
  total: 'none' | 'estimate' | 'accurate';
}
