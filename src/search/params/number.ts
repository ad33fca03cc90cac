/**
 * Number parameters (R4 search.html#number): a value stands for the range its significant digits
 * imply (100 = [99.5, 100.5), 1e2 = [50, 150), 100.00 = [99.995, 100.005)).
 */
import type { IndexEntries } from '../index-entries.js';
import type { NumberMatch, Prefix } from '../ir.js';
import type { PathNode } from '../path.js';
import { invalidValue, nextDown, splitPrefix } from './common.js';

const DECIMAL_PATTERN = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

export interface PreciseNumber { value: number; low: number; high: number }

export function preciseNumber(text: string): PreciseNumber | undefined {
  const m = DECIMAL_PATTERN.exec(text.trim());
  if (!m) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  const decimals = m[3]?.length ?? 0;
  const exponent = m[4] === undefined ? 0 : Number(m[4]);
  const half = 0.5 * 10 ** (exponent - decimals);
  return { value, low: value - half, high: nextDown(value + half) };
}

/** `ap`: within 10 % of the value, and never narrower than the precision range */
export function widenNumber(prefix: Prefix, n: PreciseNumber): PreciseNumber {
  if (prefix !== 'ap') return n;
  const margin = Math.abs(n.value) * 0.1;
  return { value: n.value, low: Math.min(n.low, n.value - margin), high: Math.max(n.high, n.value + margin) };
}

export function numberFromJson(value: unknown): PreciseNumber | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return preciseNumber(String(value)) ?? { value, low: value, high: value };
  if (typeof value === 'string') return preciseNumber(value);
  return undefined;
}

/** Extraction: integer, decimal, positiveInt, unsignedInt (and numeric strings). */
export function extractNumber(node: PathNode, param: string, out: IndexEntries, group?: number): void {
  const n = numberFromJson(node.value);
  if (!n) return;
  out.number.push(group === undefined ? { param, ...n } : { param, ...n, group });
}

export const NUMBER_MODIFIERS: ReadonlySet<string> = new Set(['missing']);

export function parseNumber(param: string, raw: string): NumberMatch {
  const { prefix, rest } = splitPrefix(param, raw);
  const n = preciseNumber(rest);
  if (!n) throw invalidValue(param, raw, 'expected a decimal number such as 100, 1.5 or 1e3');
  return { kind: 'number', prefix, ...widenNumber(prefix, n) };
}
