// R4 search.html#quantity: "the server SHOULD compare quantities in canonical form" (UCUM), so 80 kg
// matches a search in grams and 150 cm one in metres; a search without a system compares codes as written.
import t from 'tap';
import { definitionsSync } from '../../src/fhir/definitions.js';
import { createSearchParameterRegistry } from '../../src/search/registry.js';
import { canonicalQuantityMatch, parseQuantity } from '../../src/search/params/quantity.js';
import { parseSearch } from '../../src/search/parse.js';
import { canonicalQuantity } from '../../src/search/ucum.js';

const UCUM = 'http://unitsofmeasure.org';
const registry = createSearchParameterRegistry(definitionsSync());

const observation = (value: number, code: string) => ({
  resourceType: 'Observation', status: 'final', code: { text: 'x' },
  valueQuantity: { value, unit: code, system: UCUM, code },
});

t.test('extraction keeps the stated quantity and adds its canonical form under <param>:canonical', async (t) => {
  const entries = registry.extract(observation(80, 'kg')).quantity.filter((entry) => entry.param.startsWith('value-quantity'));
  t.same(entries.map((entry) => [entry.param, entry.code, entry.value]), [['value-quantity', 'kg', 80], ['value-quantity:canonical', 'g', 80000]]);
  const unreadable = registry.extract(observation(3, '{not a unit')).quantity.filter((entry) => entry.param.startsWith('value-quantity'));
  t.same(unreadable.map((entry) => entry.param), ['value-quantity'], 'an unreadable unit keeps only its stated form');
});

const cases: { spec: string; search: string; code: string; value: number }[] = [
  { spec: 'kg -> g', search: 'gt80|http://unitsofmeasure.org|kg', code: 'g', value: 80000 },
  { spec: 'g stays g', search: '80000|http://unitsofmeasure.org|g', code: 'g', value: 80000 },
  { spec: 'cm -> m', search: 'lt150|http://unitsofmeasure.org|cm', code: 'm', value: 1.5 },
  { spec: 'mg/dL -> g.m-3', search: '100|http://unitsofmeasure.org|mg/dL', code: 'g.m-3', value: 1000 },
  { spec: 'Cel (special unit) -> K', search: '37|http://unitsofmeasure.org|Cel', code: 'K', value: 310.15 },
];

t.test('a UCUM search value is compared in canonical units', async (t) => {
  for (const c of cases) {
    const match = canonicalQuantityMatch(parseQuantity('value-quantity', c.search))!;
    t.equal(match.code, c.code, c.spec);
    t.ok(Math.abs(match.value - c.value) < 1e-9, `${c.spec}: ${match.value}`);
    t.ok(match.low <= match.value && match.value <= match.high, `${c.spec}: precision range converted`);
  }
  t.equal(canonicalQuantityMatch(parseQuantity('value-quantity', '80||kg')), undefined, 'without a system the code is compared as written');
  t.equal(canonicalQuantity(UCUM, '{not a unit', { value: 1, low: 1, high: 1 }), undefined, 'unreadable units keep their stated form');
});

t.test('the planned query searches <param>:canonical for UCUM values and the stated entries otherwise', async (t) => {
  const parsed = await parseSearch('Observation', { 'value-quantity': ['gt80|http://unitsofmeasure.org|kg,5||mg'] }, registry,
    { lenient: false, defaultCount: 20, maxCount: 100, defs: definitionsSync() });
  t.match(parsed.query.where[0], { kind: 'or', conditions: [{ param: 'value-quantity', values: [{ code: 'mg' }] }, { param: 'value-quantity:canonical', values: [{ code: 'g', value: 80000 }] }] });
  const composite = await parseSearch('Observation', { 'component-code-value-quantity': ['http://loinc.org|8480-6$gt100|http://unitsofmeasure.org|mm[Hg]'] }, registry,
    { lenient: false, defaultCount: 20, maxCount: 100, defs: definitionsSync() });
  t.match(composite.query.where[0], { kind: 'composite', alternatives: [[{ param: 'component-code-value-quantity$0' }, { param: 'component-code-value-quantity$1:canonical', match: { code: 'g.m-1.s-2' } }]] });
});
