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
  return { value, ...precisionRange(m[1] === '-', m[2]! + (m[3] ?? ''), exponent - decimals, value) };
}

/**
 * [low, high] of the decimal (-1)^negative × digits × 10^scale to half a unit of its last digit, computed on
 * the decimal text so floating-point error cannot lose it (66.89999999999999 - 0.5e-14 rounds back to the
 * value itself in binary): low = the double nearest the exact lower bound, high = the largest double below
 * the double nearest the exact (exclusive) upper bound. When the text is more precise than a double, the
 * range still holds the value it parses to.
 */
function precisionRange(negative: boolean, digits: string, scale: number, value: number): { low: number; high: number } {
  const tenfold = BigInt(digits) * 10n;
  const below = `${tenfold - 5n}e${scale - 1}`;
  const above = `${tenfold + 5n}e${scale - 1}`;
  const low = negative ? -Number(above) : Number(below);
  const high = nextDown(negative ? -Number(below) : Number(above));
  return { low: Math.min(low, value), high: Math.max(high, value) };
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
