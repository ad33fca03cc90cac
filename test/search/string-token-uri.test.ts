// String, token and uri parameters: R4 search.html#string, search.html#token, search.html#uri and the
// modifiers :exact :contains :text :of-type :above :below (search.html#modifiers).
import t from 'tap';
import { normalizeString } from '../../src/search/normalize.js';
import { extractString, parseString } from '../../src/search/params/string.js';
import { extractToken, parseOfType, parseToken, parseTokenText } from '../../src/search/params/token.js';
import { extractUri, parseUri } from '../../src/search/params/uri.js';
import { emptyIndexEntries } from '../../src/search/index-entries.js';
import { splitUnescaped, unescapeValue } from '../../src/search/params/common.js';
import type { FhirError } from '../../src/fhir/errors.js';

const node = (value: unknown, type: string) => ({ value, type, key: type });

t.test('R4 search.html#string: case- and accent-insensitive normalisation', async (t) => {
  const cases: [string, string][] = [['Müller', 'muller'], ['ÉLODIE', 'elodie'], ['  Van  der Berg ', 'van der berg'], ['Øyvind', 'øyvind'], ['José', 'jose']];
  for (const [input, expected] of cases) t.equal(normalizeString(input), expected, input);
});

t.test('R4 search.html#string: HumanName and Address parts are indexed', async (t) => {
  const out = emptyIndexEntries();
  extractString(node({ family: 'Chalmers', given: ['Peter', 'James'], prefix: ['Dr'], suffix: ['III'], text: 'Dr Peter Chalmers' }, 'HumanName'), 'name', out);
  t.same(out.string.map((e) => e.exact), ['Chalmers', 'Peter', 'James', 'Dr', 'III', 'Dr Peter Chalmers']);
  const address = emptyIndexEntries();
  extractString(node({ line: ['534 Erewhon St'], city: 'PleasantVille', district: 'Rainbow', state: 'Vic', postalCode: '3999', country: 'AU', text: 'x' }, 'Address'), 'address', address);
  t.same(address.string.map((e) => e.norm), ['534 erewhon st', 'pleasantville', 'rainbow', 'vic', '3999', 'au', 'x']);
  const plain = emptyIndexEntries();
  extractString(node('Ångström', 'markdown'), 'description', plain);
  t.same(plain.string, [{ param: 'description', norm: 'angstrom', exact: 'Ångström' }]);
});

t.test('R4 search.html#string: default starts-with, :exact, :contains', async (t) => {
  t.same(parseString('name', 'Müll', undefined), { kind: 'string', op: 'starts', value: 'mull' });
  t.same(parseString('name', 'Müller', 'exact'), { kind: 'string', op: 'exact', value: 'Müller' });
  t.same(parseString('name', 'ÜLL', 'contains'), { kind: 'string', op: 'contains', value: 'ull' });
  t.same(parseString('name', 'a\\,b', undefined), { kind: 'string', op: 'starts', value: 'a,b' }, 'escaped comma');
});

t.test('R4 search.html#escaping: \\, \\$ \\| split and unescape', async (t) => {
  t.same(splitUnescaped('a,b\\,c,d', ','), ['a', 'b\\,c', 'd']);
  t.same(splitUnescaped('x$y\\$z', '$'), ['x', 'y\\$z']);
  t.same(splitUnescaped('s\\|t|c', '|'), ['s\\|t', 'c']);
  t.equal(unescapeValue('a\\,b\\$c\\|d\\\\e'), 'a,b$c|d\\e');
});

t.test('R4 search.html#token: extraction table (Coding, CodeableConcept, Identifier, ContactPoint, code, boolean)', async (t) => {
  const cases: [string, unknown, unknown[]][] = [
    ['Coding', { system: 'http://loinc.org', code: '1234-5', display: 'Glucose' }, [{ system: 'http://loinc.org', code: '1234-5', text: 'glucose' }]],
    ['CodeableConcept', { coding: [{ system: 's', code: 'c' }], text: 'Blood Pressure' }, [{ system: 's', code: 'c', text: null }, { system: null, code: null, text: 'blood pressure' }]],
    // the concept's text gets no entry of its own when a coding's display already carries it (:text reads every entry)
    ['CodeableConcept', { coding: [{ system: 's', code: 'c', display: 'Body  Weight' }], text: 'body weight' }, [{ system: 's', code: 'c', text: 'body weight' }]],
    ['CodeableConcept', { coding: [{ system: 's', code: 'c', display: 'Weight' }], text: 'Body weight' }, [{ system: 's', code: 'c', text: 'weight' }, { system: null, code: null, text: 'body weight' }]],
    ['Identifier', { system: 'urn:mrn', value: '123' }, [{ system: 'urn:mrn', code: '123' }]],
    ['ContactPoint', { system: 'email', value: 'a@b.org' }, [{ system: 'email', code: 'a@b.org' }]],
    ['code', 'male', [{ system: null, code: 'male' }]],
    ['boolean', true, [{ system: null, code: 'true' }]],
  ];
  for (const [type, value, expected] of cases) {
    const out = emptyIndexEntries();
    extractToken(node(value, type), 'p', out);
    t.match(out.token, expected, type);
    t.equal(out.token.length, expected.length, `${type}: ${expected.length} entries`);
  }
});

t.test('R4 search.html#token :of-type: Identifier.type indexed as <param>:of-type', async (t) => {
  const out = emptyIndexEntries();
  extractToken(node({ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: 'urn:mrn', value: '12345' }, 'Identifier'), 'identifier', out);
  t.match(out.token[1], { param: 'identifier:of-type', system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR|12345' });
  t.same(parseOfType('identifier', 'http://terminology.hl7.org/CodeSystem/v2-0203|MR|12345'),
    { kind: 'token', op: 'eq', system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR|12345' });
  const error = t.throws(() => parseOfType('identifier', 'MR|12345')) as unknown as FhirError;
  t.equal(error.code, 'invalid-search-value');
  t.match(error.message, /"identifier"/);
});

t.test('R4 search.html#token: [system]|[code] forms', async (t) => {
  const cases: [string, Record<string, unknown>][] = [
    ['1234-5', { kind: 'token', op: 'eq', code: '1234-5' }],
    ['http://loinc.org|1234-5', { kind: 'token', op: 'eq', system: 'http://loinc.org', code: '1234-5' }],
    ['|1234-5', { kind: 'token', op: 'eq', system: null, code: '1234-5' }],
    ['http://loinc.org|', { kind: 'token', op: 'eq', system: 'http://loinc.org' }],
    ['a\\|b', { kind: 'token', op: 'eq', code: 'a|b' }],
  ];
  for (const [raw, expected] of cases) t.same(parseToken('code', raw), expected, raw);
  for (const bad of ['|', 'a|b|c']) {
    const error = t.throws(() => parseToken('code', bad)) as unknown as FhirError;
    t.equal(error.code, 'invalid-search-value', bad);
    t.match(error.message, /search parameter "code"/);
  }
  t.same(parseTokenText('code', 'Blüd'), { kind: 'token', op: 'text', text: 'blud' }, ':text is normalised');
});

t.test('R4 search.html#uri: eq, :above, :below, :contains', async (t) => {
  for (const [modifier, op] of [[undefined, 'eq'], ['above', 'above'], ['below', 'below'], ['contains', 'contains']] as const) {
    t.same(parseUri('url', 'http://acme.org/fhir/ValueSet', modifier), { kind: 'uri', op, value: 'http://acme.org/fhir/ValueSet' }, String(modifier));
  }
  const out = emptyIndexEntries();
  extractUri(node('http://hl7.org/fhir/ValueSet/x', 'uri'), 'url', out);
  t.same(out.uri, [{ param: 'url', value: 'http://hl7.org/fhir/ValueSet/x' }]);
});
