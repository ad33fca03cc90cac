/**
 * One value match of the search IR -> a predicate on a single index entry (the inside of an $elemMatch),
 * with the semantics written down in src/search/ir.ts. Field names are those of document.ts.
 */
import type { Document } from 'mongodb';
import type {
  DateMatch, NumberMatch, Prefix, QuantityMatch, ReferenceMatch, StringMatch, TokenMatch, TokenSetMatch, UriMatch, ValueMatch,
} from '../../search/ir.js';

/** Matches no entry (an empty OR); `p` is present on every entry. */
export const NO_ENTRY: Document = { p: { $in: [] } };

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const startsWith = (text: string) => ({ $regex: '^' + escapeRegex(text) });
const containsText = (text: string) => ({ $regex: escapeRegex(text) });

/** string: starts = norm LIKE v%, exact = exact = v, contains = norm LIKE %v% */
function stringPredicate(match: StringMatch): Document {
  switch (match.op) {
    case 'starts': return { n: startsWith(match.value) };
    case 'exact': return { e: match.value };
    case 'contains': return { n: containsText(match.value) };
  }
}

/** system undefined = any system; null = the entry has no system */
const systemPredicate = (system: string | null | undefined): Document => (system === undefined ? {} : { s: system });

function tokenPredicate(match: TokenMatch): Document {
  if (match.op === 'text') {
    // word prefix on the normalised text: LIKE v% OR LIKE % v%
    return { x: { $regex: '(?:^| )' + escapeRegex(match.text ?? '') } };
  }
  return { ...systemPredicate(match.system), ...(match.code === undefined ? {} : { c: match.code }) };
}

function tokenSetPredicate(match: TokenSetMatch): Document {
  if (match.codes.length === 0) return NO_ENTRY;
  return { $or: match.codes.map((code) => ({ s: code.system, c: code.code })) };
}

/** every given part must equal */
function referencePredicate(match: ReferenceMatch): Document {
  const predicate: Document = {};
  if (match.targetType !== undefined) predicate.tt = match.targetType;
  if (match.targetId !== undefined) predicate.ti = match.targetId;
  if (match.version !== undefined) predicate.v = match.version;
  if (match.url !== undefined) predicate.u = match.url;
  if (match.identifier) {
    predicate.iv = match.identifier.value;
    if (match.identifier.system !== undefined) predicate.is = match.identifier.system;
  }
  return predicate;
}

/**
 * Range prefixes (ir.ts "date / lastUpdated"): T = [entry[lowField], entry[highField]], S = [low, high].
 * lastUpdated passes the same field twice (an instant is a range of one millisecond).
 */
export function rangePredicate(prefix: Prefix, low: number, high: number, lowField: string, highField: string): Document {
  // low <= high bounds low from above too (date.ts periodRange), so an index scan on the low field is one closed range
  const contained: Document = { $and: [{ [lowField]: { $gte: low, $lte: high } }, { [highField]: { $lte: high } }] };
  switch (prefix) {
    case 'eq': return contained;
    case 'ne': return { $or: [{ [lowField]: { $lt: low } }, { [highField]: { $gt: high } }] };
    case 'gt': return { [highField]: { $gt: high } };
    case 'lt': return { [lowField]: { $lt: low } };
    case 'ge': return { $or: [{ [highField]: { $gt: high } }, contained] };
    case 'le': return { $or: [{ [lowField]: { $lt: low } }, contained] };
    case 'sa': return { [lowField]: { $gt: high } };
    case 'eb': return { [highField]: { $lt: low } };
    case 'ap': return { $and: [{ [lowField]: { $lte: high } }, { [highField]: { $gte: low } }] };
  }
}

/** number / quantity use the indexed value v, and for sa / eb its precision range [lo, hi] (ir.ts "number / quantity") */
function valuePredicate(match: NumberMatch | QuantityMatch): Document {
  const { value, low, high } = match;
  switch (match.prefix) {
    case 'eq':
    case 'ap': return { v: { $gte: low, $lte: high } };
    case 'ne': return { $or: [{ v: { $lt: low } }, { v: { $gt: high } }] };
    case 'gt': return { v: { $gt: value } };
    case 'lt': return { v: { $lt: value } };
    case 'sa': return { lo: { $gt: high } };
    case 'eb': return { hi: { $lt: low } };
    case 'ge': return { v: { $gte: value } };
    case 'le': return { v: { $lte: value } };
  }
}

/** quantity: system/code equality when given; a code without a system matches the code or the unit */
function quantityPredicate(match: QuantityMatch): Document {
  const parts: Document[] = [valuePredicate(match)];
  if (match.system !== undefined) parts.push({ s: match.system });
  if (match.code !== undefined) {
    parts.push(match.system === undefined ? { $or: [{ c: match.code }, { u: match.code }] } : { c: match.code });
  }
  if (match.unit !== undefined) parts.push({ u: match.unit });
  return parts.length === 1 ? parts[0]! : { $and: parts };
}

/** every prefix of `value`, the empty one included: "stored is a prefix of the search" as an indexable $in */
const prefixesOf = (value: string) => Array.from({ length: value.length + 1 }, (_, i) => value.slice(0, i));

function uriPredicate(match: UriMatch): Document {
  switch (match.op) {
    case 'eq': return { v: match.value };
    case 'below': return { $or: [{ v: match.value }, { v: startsWith(match.value + '/') }] };
    case 'above': return { v: { $in: prefixesOf(match.value) } };
    case 'contains': return { v: containsText(match.value) };
  }
}

export function valuePredicateFor(match: ValueMatch): Document {
  switch (match.kind) {
    case 'string': return stringPredicate(match);
    case 'token': return tokenPredicate(match);
    case 'token-set': return tokenSetPredicate(match);
    case 'reference': return referencePredicate(match);
    case 'date': return rangePredicate(match.prefix, match.low, match.high, 'lo', 'hi');
    case 'number': return valuePredicate(match);
    case 'quantity': return quantityPredicate(match);
    case 'uri': return uriPredicate(match);
  }
}
