/**
 * The planned query: engine-neutral IR that storage engines compile (SQL or MongoDB).
 * A query is an AND of conditions; a parameter condition is an OR of values.
 * Access rules (SMART) arrive as ordinary conditions appended to `where`.
 */
export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

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
