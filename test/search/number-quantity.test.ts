// Number and quantity parameters: R4 search.html#number (precision), search.html#quantity, search.html#prefix.
import t from 'tap';
import { parseNumber, preciseNumber, extractNumber } from '../../src/search/params/number.js';
import { parseQuantity, extractQuantity } from '../../src/search/params/quantity.js';
import { emptyIndexEntries } from '../../src/search/index-entries.js';
import type { FhirError } from '../../src/fhir/errors.js';

t.test('R4 search.html#number: the precision of the value is its range', async (t) => {
  const cases: [string, number, number][] = [
    ['100', 99.5, 100.5],
    ['100.00', 99.995, 100.005],
    ['1e2', 50, 150],
    ['0.5', 0.45, 0.55],
    ['-3', -3.5, -2.5],
  ];
  for (const [text, low, high] of cases) {
    const n = preciseNumber(text)!;
    t.ok(Math.abs(n.low - low) < 1e-9, `${text} low`);
    t.ok(n.high < high && Math.abs(n.high - high) < 1e-9, `${text} high is just below ${high}`);
  }
});

t.test('R4 search.html#number: precision ranges come from the decimal text, not from floating-point sums', async (t) => {
  // [text, a double that must be inside the range, a double that must be outside]
  const cases: [string, number[], number[]][] = [
    // 66.89999999999999 - 0.5e-14 rounds back to the value in binary: the range lost the value itself
    ['66.89999999999999', [66.89999999999999], [66.9, 66.89999999999998]],
    ['66.9', [66.85, 66.9, 66.94999999999999], [66.95, 66.84999999999998]],
    ['100', [99.5, 100, 100.49999999999999], [100.5, 99.49999999999999]],
    ['0.3', [0.25, 0.3], [0.24999999999999997]],
    ['-0.3', [-0.35, -0.3, -0.25000000000000006], [-0.25, -0.35000000000000003]],
    ['1.0e-20', [9.5e-21, 1e-20], [1.05e-20, 9.4e-21]],
    ['123456789012345678', [123456789012345678], [123456789012345700]],
  ];
  for (const [text, inside, outside] of cases) {
    const n = preciseNumber(text)!;
    for (const v of inside) t.ok(v >= n.low && v <= n.high, `${text}: ${v} is in [${n.low}, ${n.high}]`);
    for (const v of outside) t.notOk(v >= n.low && v <= n.high, `${text}: ${v} is not in [${n.low}, ${n.high}]`);
  }
});

t.test('R4 search.html#prefix on numbers: prefixes, ap = 10 %', async (t) => {
  t.match(parseNumber('probability', 'gt0.8'), { kind: 'number', prefix: 'gt', value: 0.8 });
  t.match(parseNumber('probability', '-5'), { prefix: 'eq', value: -5 });
  const ap = parseNumber('probability', 'ap100');
  t.equal(ap.low, 90);
  t.equal(ap.high, 110);
  for (const bad of ['abc', 'gt', 'zz5', '1,5', '']) {
    const error = t.throws(() => parseNumber('probability', bad)) as unknown as FhirError;
    t.equal(error.code, 'invalid-search-value', bad);
    t.match(error.message, /search parameter "probability"/);
  }
});

t.test('R4 search.html#quantity: number|system|code forms', async (t) => {
  const cases: [string, Record<string, unknown>][] = [
    ['5.4|http://unitsofmeasure.org|mg', { prefix: 'eq', value: 5.4, system: 'http://unitsofmeasure.org', code: 'mg' }],
    ['5.4||mg', { value: 5.4, code: 'mg' }],
    ['le5.4', { prefix: 'le', value: 5.4 }],
    ['gt100|http://unitsofmeasure.org|mm[Hg]', { prefix: 'gt', code: 'mm[Hg]' }],
  ];
  for (const [raw, expected] of cases) t.match(parseQuantity('value-quantity', raw), { kind: 'quantity', ...expected }, raw);
  t.equal(parseQuantity('value-quantity', '5.4||mg').system, undefined, '|| = any system');
  for (const bad of ['5.4|mg', 'mg', 'gt|a|b']) {
    const error = t.throws(() => parseQuantity('value-quantity', bad)) as unknown as FhirError;
    t.equal(error.code, 'invalid-search-value', bad);
    t.match(error.message, /"value-quantity"/);
  }
});

t.test('R4 search.html#quantity: extraction of Quantity, Age, Money, Range; number of integer/decimal', async (t) => {
  const out = emptyIndexEntries();
  extractQuantity({ value: { value: 185, unit: 'lbs', system: 'http://unitsofmeasure.org', code: '[lb_av]' }, type: 'Quantity', key: 'Quantity' }, 'value-quantity', out);
  extractQuantity({ value: { value: 30, system: 'http://unitsofmeasure.org', code: 'a' }, type: 'Age', key: 'Age' }, 'onset-age', out);
  extractQuantity({ value: { value: 12.5, currency: 'EUR' }, type: 'Money', key: 'Money' }, 'totalnet', out);
  extractQuantity({ value: { low: { value: 1, code: 'mg' }, high: { value: 3, code: 'mg' } }, type: 'Range', key: 'Range' }, 'context-quantity', out);
  // readable UCUM units also get their canonical form under <param>:canonical (see test/search/ucum.test.ts)
  t.match(out.quantity, [
    { param: 'value-quantity', value: 185, code: '[lb_av]', system: 'http://unitsofmeasure.org', unit: 'lbs' },
    { param: 'value-quantity:canonical', code: 'g' },
    { param: 'onset-age', value: 30, code: 'a' },
    { param: 'onset-age:canonical', code: 's' },
    { param: 'totalnet', value: 12.5, system: 'urn:iso:std:iso:4217', code: 'EUR' },
    { param: 'context-quantity', value: 1, low: 0.5, code: 'mg' },
  ]);
  t.ok(out.quantity[5]!.high >= 3, 'a Range covers up to its high');
  extractNumber({ value: 3, type: 'integer', key: 'integer' }, 'probability', out);
  t.match(out.number, [{ param: 'probability', value: 3, low: 2.5 }]);
});
