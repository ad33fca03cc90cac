/** Helpers shared by the parameter-type modules: escaping (R4 search.html#escaping), prefixes, errors. */
import { FhirError } from '../../fhir/errors.js';
import type { Prefix } from '../ir.js';

/** Split on `separator` where it is not escaped with a backslash; escapes are kept for later levels. */
export function splitUnescaped(value: string, separator: ',' | '$' | '|'): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '\\' && i + 1 < value.length) {
      current += ch + value[i + 1];
      i++;
    } else if (ch === separator) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

/** Remove the search escapes `\,` `\$` `\|` `\\` once the value is split. */
export function unescapeValue(value: string): string {
  return value.replace(/\\([,$|\\])/g, '$1');
}

export function invalidValue(param: string, raw: string, why: string): FhirError {
  return new FhirError('invalid-search-value', `Invalid value "${raw}" for search parameter "${param}": ${why}`, {
    expression: [param],
  });
}

const PREFIXES = new Set<Prefix>(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

/** Splits an optional two-letter prefix (R4 search.html#prefix) off an ordered value. */
export function splitPrefix(param: string, raw: string): { prefix: Prefix; rest: string } {
  const m = /^([a-z]{2})(.*)$/s.exec(raw);
  if (m) {
    if (!PREFIXES.has(m[1] as Prefix)) throw invalidValue(param, raw, `unknown prefix "${m[1]}" (allowed: ${[...PREFIXES].join(' ')})`);
    return { prefix: m[1] as Prefix, rest: m[2]! };
  }
  return { prefix: 'eq', rest: raw };
}

/** The largest double strictly below x: makes an exclusive upper bound inclusive. */
export function nextDown(x: number): number {
  if (!Number.isFinite(x)) return x;
  if (x === 0) return -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 ? bits - 1n : bits + 1n);
  return view.getFloat64(0);
}

export const MIN_INSTANT = -8.64e15;
export const MAX_INSTANT = 8.64e15;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}
