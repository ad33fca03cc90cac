// Date parameters: R4 search.html#date (precision ranges, time zones) and search.html#prefix (eq ... ap).
import t from 'tap';
import { dateRange, extractDate, parseDate } from '../../src/search/params/date.js';
import { emptyIndexEntries } from '../../src/search/index-entries.js';
import { FhirError } from '../../src/fhir/errors.js';

const ms = (iso: string) => Date.parse(iso);

t.test('R4 search.html#date: a partial date is the whole range of its precision', async (t) => {
  const cases: [string, string, string][] = [
    ['2020', '2020-01-01T00:00:00.000Z', '2020-12-31T23:59:59.999Z'],
    ['2020-02', '2020-02-01T00:00:00.000Z', '2020-02-29T23:59:59.999Z'],
    ['2021-02', '2021-02-01T00:00:00.000Z', '2021-02-28T23:59:59.999Z'],
    ['2020-03-01', '2020-03-01T00:00:00.000Z', '2020-03-01T23:59:59.999Z'],
    ['2020-03-01T10:15', '2020-03-01T10:15:00.000Z', '2020-03-01T10:15:59.999Z'],
    ['2020-03-01T10:15:30', '2020-03-01T10:15:30.000Z', '2020-03-01T10:15:30.999Z'],
    ['2020-03-01T10:15:30.5', '2020-03-01T10:15:30.500Z', '2020-03-01T10:15:30.599Z'],
    ['2020-03-01T10:15:30.123Z', '2020-03-01T10:15:30.123Z', '2020-03-01T10:15:30.123Z'],
    // time zones: the offset is applied; no zone = UTC (our documented default)
    ['2020-03-01T10:00:00+02:00', '2020-03-01T08:00:00.000Z', '2020-03-01T08:00:00.999Z'],
    ['2020-03-01T10:00:00-05:30', '2020-03-01T15:30:00.000Z', '2020-03-01T15:30:00.999Z'],
    ['2020-03-01T10:00:00', '2020-03-01T10:00:00.000Z', '2020-03-01T10:00:00.999Z'],
  ];
  for (const [input, low, high] of cases) t.same(dateRange(input), { low: ms(low), high: ms(high) }, input);
});

t.test('R4 search.html#date: malformed dates are rejected', async (t) => {
  for (const bad of ['2020-13', '2020-02-30', '20', '2020-1-1', 'yesterday', '2020-03-01T25:00', '2020-03-01T10']) {
    t.equal(dateRange(bad), undefined, bad);
  }
});

t.test('R4 search.html#prefix: prefixes parsed, bad ones named in the error', async (t) => {
  const now = ms('2025-01-01T00:00:00Z');
  for (const prefix of ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const) {
    const match = parseDate('birthdate', `${prefix}2020-03-01`, now);
    t.equal(match.prefix, prefix, prefix);
  }
  t.equal(parseDate('birthdate', '2020', now).prefix, 'eq', 'no prefix = eq');
  const error = t.throws(() => parseDate('birthdate', 'xx2020', now)) as unknown as FhirError;
  t.equal(error.code, 'invalid-search-value');
  t.match(error.message, /"xx2020".*"birthdate".*unknown prefix "xx"/);
  const bad = t.throws(() => parseDate('date', 'ge2020-02-31', now)) as unknown as FhirError;
  t.equal(bad.code, 'invalid-search-value');
  t.match(bad.message, /"ge2020-02-31" for search parameter "date"/);
});

t.test('R4 search.html#prefix: ap widens by 10 % of the distance from now', async (t) => {
  const now = ms('2020-01-11T00:00:00Z');
  const match = parseDate('date', 'ap2020-01-01', now);
  const day = dateRange('2020-01-01')!;
  t.equal(match.low, day.low - (now - day.low) * 0.1);
  // rounded outward to whole milliseconds (the stored instants are whole milliseconds)
  t.equal(match.high, Math.ceil(day.high + (now - day.high) * 0.1));
  t.ok(match.low < day.low && match.high > day.high, 'at least the precision of the value');
  // the same bounds within a minute, so repeated searches compile to the same statement
  t.same(parseDate('date', 'ap2020-01-01', now + 59_999), match, 'now is taken to the minute');
  t.notSame(parseDate('date', 'ap2020-01-01', now + 60_000), match, 'the next minute widens from the next minute');
});

t.test('R4 search.html#date table: extraction from date, dateTime, instant, Period, Timing', async (t) => {
  const cases: [string, unknown, [string, string][]][] = [
    ['date', '1974-12-25', [['1974-12-25T00:00:00.000Z', '1974-12-25T23:59:59.999Z']]],
    ['dateTime', '2012-09-17T10:30:00+01:00', [['2012-09-17T09:30:00.000Z', '2012-09-17T09:30:00.999Z']]],
    ['instant', '2015-02-07T13:28:17.239+02:00', [['2015-02-07T11:28:17.239Z', '2015-02-07T11:28:17.239Z']]],
    ['Period', { start: '2020-01-01', end: '2020-01-31' }, [['2020-01-01T00:00:00.000Z', '2020-01-31T23:59:59.999Z']]],
    // start after end (against datatypes.html#Period per-1): the span between them, so that low <= high holds
    ['Period', { start: '2020-03-01', end: '2020-01-31' }, [['2020-01-31T00:00:00.000Z', '2020-03-01T23:59:59.999Z']]],
    // start within end's precision is not inverted: the range stays start..end
    ['Period', { start: '2020-05-01T10:00:00Z', end: '2020-05' }, [['2020-05-01T10:00:00.000Z', '2020-05-31T23:59:59.999Z']]],
    ['Timing', { event: ['2020-05-01', '2020-06-01'] }, [['2020-05-01T00:00:00.000Z', '2020-05-01T23:59:59.999Z'], ['2020-06-01T00:00:00.000Z', '2020-06-01T23:59:59.999Z']]],
  ];
  for (const [type, value, expected] of cases) {
    const out = emptyIndexEntries();
    extractDate({ value, type, key: type }, 'date', out);
    t.same(out.date.map((e) => [e.low, e.high]), expected.map(([l, h]) => [ms(l), ms(h)]), type);
  }
  const open = emptyIndexEntries();
  extractDate({ value: { start: '2020-01-01' }, type: 'Period', key: 'Period' }, 'date', open);
  t.ok(open.date[0]!.high > ms('9999-01-01'), 'a Period without end is open-ended');
});
