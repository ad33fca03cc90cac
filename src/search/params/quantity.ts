/**
 * Quantity parameters (R4 search.html#quantity): [prefix]number|system|code. The number keeps its
 * precision range like number parameters; `||code` matches the code or the unit; Money indexes its
 * currency as an ISO 4217 code.
 */
import type { IndexEntries, QuantityEntry } from '../index-entries.js';
import type { QuantityMatch } from '../ir.js';
import type { PathNode } from '../path.js';
import { invalidValue, isRecord, splitPrefix, splitUnescaped, stringOrNull, unescapeValue } from './common.js';
import { numberFromJson, preciseNumber, widenNumber } from './number.js';
import { canonicalParam, canonicalQuantity } from '../ucum.js';

const CURRENCY_SYSTEM = 'urn:iso:std:iso:4217';

/** the stated quantity and, for a readable UCUM unit, its canonical form (search.html#quantity) */
function push(out: IndexEntries, entry: QuantityEntry, group?: number): void {
  out.quantity.push(group === undefined ? entry : { ...entry, group });
  const canonical = canonicalQuantity(entry.system, entry.code, entry);
  if (canonical) {
    const twin = { ...canonical, param: canonicalParam(entry.param), unit: null };
    out.quantity.push(group === undefined ? twin : { ...twin, group });
  }
}

/** Extraction: Quantity and its profiles (Age, Duration, Distance, Count, SimpleQuantity), Money, Range. */
export function extractQuantity(node: PathNode, param: string, out: IndexEntries, group?: number): void {
  const { value, type } = node;
  if (!isRecord(value)) {
    const n = numberFromJson(value);
    if (n) push(out, { param, ...n, system: null, code: null, unit: null }, group);
    return;
  }
  if (type === 'Range') {
    const low = isRecord(value.low) ? numberFromJson(value.low.value) : undefined;
    const high = isRecord(value.high) ? numberFromJson(value.high.value) : undefined;
    const unitSource = (isRecord(value.low) ? value.low : isRecord(value.high) ? value.high : {}) as Record<string, unknown>;
    if (!low && !high) return;
    push(out, {
      param,
      value: (low ?? high)!.value,
      low: low?.low ?? -Number.MAX_VALUE,
      high: high?.high ?? Number.MAX_VALUE,
      system: stringOrNull(unitSource.system),
      code: stringOrNull(unitSource.code),
      unit: stringOrNull(unitSource.unit),
    }, group);
    return;
  }
  const n = numberFromJson(value.value);
  if (!n) return;
  if (type === 'Money' || (typeof value.currency === 'string' && value.system === undefined)) {
    push(out, { param, ...n, system: CURRENCY_SYSTEM, code: stringOrNull(value.currency), unit: stringOrNull(value.currency) }, group);
    return;
  }
  push(out, { param, ...n, system: stringOrNull(value.system), code: stringOrNull(value.code), unit: stringOrNull(value.unit) }, group);
}

export const QUANTITY_MODIFIERS: ReadonlySet<string> = new Set(['missing']);

export function parseQuantity(param: string, raw: string): QuantityMatch {
  const parts = splitUnescaped(raw, '|');
  if (parts.length !== 1 && parts.length !== 3) {
    throw invalidValue(param, raw, 'expected [prefix]number or [prefix]number|system|code');
  }
  const { prefix, rest } = splitPrefix(param, parts[0]!);
  const n = preciseNumber(rest);
  if (!n) throw invalidValue(param, raw, 'the quantity must start with a decimal number');
  const match: QuantityMatch = { kind: 'quantity', prefix, ...widenNumber(prefix, n) };
  if (parts.length === 3) {
    const system = unescapeValue(parts[1]!);
    const code = unescapeValue(parts[2]!);
    if (system) match.system = system;
    if (code) match.code = code;
  }
  return match;
}

/**
 * A UCUM search value in canonical units, to be matched against `<param>:canonical` entries;
 * undefined when the value names no UCUM unit ucum-lhc can read (it is then matched as stated).
 */
export function canonicalQuantityMatch(match: QuantityMatch): QuantityMatch | undefined {
  return canonicalQuantity(match.system, match.code, match);
}
