/**
 * Engine-neutral index entries computed from a resource before it reaches the storage port
 * (DESIGN.md "Search index model"). One array per search-parameter type; every entry names its
 * parameter `code`. Composite parameters emit their components as ordinary entries under the code
 * `<composite>$<componentIndex>` with a shared `group` number, so components only match within one element.
 *
 * Instants and date ranges are epoch milliseconds (UTC); `high` is inclusive-exclusive-free: the last
 * millisecond of the range (inclusive).
 */
export interface StringEntry { param: string; norm: string; exact: string; group?: number }
export interface TokenEntry {
  param: string;
  system: string | null;
  code: string | null;
  /** display / text, normalised like strings, for :text */
  text: string | null;
  group?: number;
}
export interface ReferenceEntry {
  param: string;
  /** Resource type of a relative or absolute-local reference */
  targetType: string | null;
  targetId: string | null;
  version: string | null;
  /** absolute URL or canonical (without |version) when not a local reference */
  url: string | null;
  /** Reference.identifier, for :identifier */
  identifierSystem: string | null;
  identifierValue: string | null;
  group?: number;
}
export interface DateEntry { param: string; low: number; high: number; group?: number }
export interface NumberEntry { param: string; value: number; low: number; high: number; group?: number }
export interface QuantityEntry {
  param: string;
  value: number;
  low: number;
  high: number;
  system: string | null;
  code: string | null;
  unit: string | null;
  group?: number;
}
export interface UriEntry { param: string; value: string; group?: number }

export interface IndexEntries {
  string: StringEntry[];
  token: TokenEntry[];
  reference: ReferenceEntry[];
  date: DateEntry[];
  number: NumberEntry[];
  quantity: QuantityEntry[];
  uri: UriEntry[];
  /** Precomputed sort keys per parameter (engines must not derive sort order from arrays themselves). */
  sort: Record<string, { asc: string | number; desc: string | number }>;
}

export const emptyIndexEntries = (): IndexEntries => ({
  string: [], token: [], reference: [], date: [], number: [], quantity: [], uri: [], sort: {},
});

export const INDEX_TYPES = ['string', 'token', 'reference', 'date', 'number', 'quantity', 'uri'] as const;
export type IndexType = (typeof INDEX_TYPES)[number];
