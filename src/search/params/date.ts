/**
 * Date parameters (R4 search.html#date): every indexed or searched value is a range [low, high] in
 * epoch ms. A partial value covers its whole precision (2020 = the year, 2020-03-01 = the day,
 * 2020-03-01T10:00 = the minute). A time without a time zone is taken as UTC: R4 leaves the server's
 * zone to the implementation and UTC keeps indexing independent of where the server runs.
 */
import type { DateEntry, IndexEntries } from '../index-entries.js';
import type { DateMatch, Prefix } from '../ir.js';
import type { PathNode } from '../path.js';
import { MAX_INSTANT, MIN_INSTANT, invalidValue, isRecord, splitPrefix } from './common.js';

const DATE_PATTERN =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export interface InstantRange { low: number; high: number }

/** A FHIR date/dateTime/instant (or search date) as the range it denotes; undefined when malformed. */
export function dateRange(text: string): InstantRange | undefined {
  const m = DATE_PATTERN.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = mo === undefined ? undefined : Number(mo);
  const day = d === undefined ? undefined : Number(d);
  if (month !== undefined && (month < 1 || month > 12)) return undefined;
  if (day !== undefined && (day < 1 || day > daysInMonth(year, month!))) return undefined;
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const millis = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  const offset = zoneOffsetMs(zone);
  const utc = (yy: number, mm: number, dd: number, hh: number, mn: number, ss: number, ms: number) =>
    utcMs(yy, mm, dd, hh, mn, ss, ms) - offset;
  if (month === undefined) return span(utc(year, 0, 1, 0, 0, 0, 0), utc(year + 1, 0, 1, 0, 0, 0, 0));
  if (day === undefined) return span(utc(year, month - 1, 1, 0, 0, 0, 0), utc(year, month, 1, 0, 0, 0, 0));
  if (h === undefined) return span(utc(year, month - 1, day, 0, 0, 0, 0), utc(year, month - 1, day + 1, 0, 0, 0, 0));
  const low = utc(year, month - 1, day, hour, minute, second, millis);
  if (s === undefined) return { low, high: low + 60_000 - 1 };
  if (frac === undefined) return { low, high: low + 1000 - 1 };
  const digits = Math.min(frac.length, 3);
  return { low, high: low + 10 ** (3 - digits) - 1 };
}

function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
  const date = new Date(0);
  date.setUTCFullYear(y, mo, d);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}

function span(low: number, nextLow: number): InstantRange {
  return { low, high: nextLow - 1 };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function zoneOffsetMs(zone: string | undefined): number {
  if (!zone || zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
}

function pushRange(out: DateEntry[], param: string, range: InstantRange | undefined, group?: number): void {
  if (!range) return;
  out.push(group === undefined ? { param, low: range.low, high: range.high } : { param, low: range.low, high: range.high, group });
}

/**
 * A Period's range: from its start's low to its end's high, open where one is missing. A Period that ends before it
 * starts (against R4's invariant per-1, which validation does not check) spans from its end to its start instead, so
 * every indexed range has low <= high, which the engines' lookups rely on (sql/value-matches.ts rangePrefix).
 */
function periodRange(start: InstantRange | undefined, end: InstantRange | undefined): InstantRange {
  if (start && end && start.low > end.high) return { low: end.low, high: start.high };
  return { low: start?.low ?? MIN_INSTANT, high: end?.high ?? MAX_INSTANT };
}

/** Extraction: date, dateTime, instant, Period, Timing.event (R4 search.html#date table). */
export function extractDate(node: PathNode, param: string, out: IndexEntries, group?: number): void {
  const { value, type } = node;
  if (typeof value === 'string') {
    if (type === 'date' || type === 'dateTime' || type === 'instant' || type === 'unknown' || type === 'string') {
      pushRange(out.date, param, dateRange(value), group);
    }
    return;
  }
  if (!isRecord(value)) return;
  if (type === 'Period' || (type === 'unknown' && ('start' in value || 'end' in value))) {
    const start = typeof value.start === 'string' ? dateRange(value.start) : undefined;
    const end = typeof value.end === 'string' ? dateRange(value.end) : undefined;
    if (!start && !end) return;
    pushRange(out.date, param, periodRange(start, end), group);
    return;
  }
  if (type === 'Timing') {
    const events = Array.isArray(value.event) ? value.event : [];
    for (const event of events) if (typeof event === 'string') pushRange(out.date, param, dateRange(event), group);
    const bounds = isRecord(value.repeat) ? value.repeat.boundsPeriod : undefined;
    if (isRecord(bounds)) extractDate({ value: bounds, type: 'Period', key: 'Period' }, param, out, group);
  }
}

export const DATE_MODIFIERS: ReadonlySet<string> = new Set(['missing']);

/** Parsing: [prefix]date; `ap` widens the range by 10 % of its distance from now (R4 search.html#prefix). */
export function parseDate(param: string, raw: string, now: number): DateMatch {
  const { prefix, rest } = splitPrefix(param, raw);
  const range = dateRange(rest);
  if (!range) throw invalidValue(param, raw, 'expected a date like 2020, 2020-03, 2020-03-01 or 2020-03-01T10:00:00Z');
  return { kind: 'date', prefix, ...widenForPrefix(prefix, range, now) };
}

/**
 * `now` is taken to the minute: the widened bounds, and so the statement a search compiles to, stay the same for a
 * minute instead of changing every millisecond (on PostgreSQL each new text was parsed and planned again, and
 * remembered no count).
 */
const AP_REFERENCE_MS = 60_000;

export function widenForPrefix(prefix: Prefix, range: InstantRange, now: number): InstantRange {
  if (prefix !== 'ap') return range;
  const reference = Math.floor(now / AP_REFERENCE_MS) * AP_REFERENCE_MS;
  // whole milliseconds, rounded outward: _lastUpdated compares them with an integer column (PostgreSQL refuses a
  // fraction bound to BIGINT), and no stored instant lies between a fraction and the millisecond beyond it
  return {
    low: Math.floor(range.low - Math.abs(reference - range.low) * 0.1),
    high: Math.ceil(range.high + Math.abs(reference - range.high) * 0.1),
  };
}
