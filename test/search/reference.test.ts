// Reference parameters: R4 search.html#reference (relative, absolute, versioned, canonical, :identifier, type modifier).
import t from 'tap';
import { extractReference, parseLiteralReference, parseReference } from '../../src/search/params/reference.js';
import { emptyIndexEntries } from '../../src/search/index-entries.js';
import type { FhirError } from '../../src/fhir/errors.js';

const BASE = ['http://hospital.example/fhir'];

t.test('R4 search.html#reference: literal references', async (t) => {
  const cases: [string, unknown][] = [
    ['Patient/123', { targetType: 'Patient', targetId: '123' }],
    ['Patient/123/_history/2', { targetType: 'Patient', targetId: '123', version: '2' }],
    ['http://hospital.example/fhir/Patient/123', { targetType: 'Patient', targetId: '123' }],
    ['http://other.example/fhir/Patient/123', { url: 'http://other.example/fhir/Patient/123' }],
    ['http://hl7.org/fhir/ValueSet/x|4.0.1', { url: 'http://hl7.org/fhir/ValueSet/x', version: '4.0.1' }],
    ['urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a', { url: 'urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a' }],
    ['#contained', undefined],
  ];
  for (const [text, expected] of cases) t.same(parseLiteralReference(text, BASE), expected, text);
});

t.test('R4 search.html#reference: extraction of Reference, identifier, canonical', async (t) => {
  const out = emptyIndexEntries();
  extractReference({ value: { reference: 'Patient/1' }, type: 'Reference', key: 'Reference' }, 'subject', out, BASE);
  extractReference({ value: { identifier: { system: 'urn:npi', value: '99' } }, type: 'Reference', key: 'Reference' }, 'performer', out, BASE);
  extractReference({ value: { reference: '#p1' }, type: 'Reference', key: 'Reference' }, 'subject', out, BASE);
  extractReference({ value: 'http://hl7.org/fhir/Questionnaire/q|1.0', type: 'canonical', key: 'canonical' }, 'questionnaire', out, BASE);
  t.match(out.reference, [
    { param: 'subject', targetType: 'Patient', targetId: '1', version: null, url: null },
    { param: 'performer', targetType: null, identifierSystem: 'urn:npi', identifierValue: '99' },
    { param: 'questionnaire', url: 'http://hl7.org/fhir/Questionnaire/q', version: '1.0' },
  ]);
  t.equal(out.reference.length, 3, 'the contained reference #p1 is not indexed');
});

t.test('R4 search.html#reference: search values, type modifier and :identifier', async (t) => {
  const ctx = { targets: ['Patient', 'Group'], baseUrls: BASE };
  t.same(parseReference('subject', '123', undefined, ctx), { kind: 'reference', targetId: '123' }, 'id alone with several targets: any type');
  t.same(parseReference('patient', '123', undefined, { targets: ['Patient'], baseUrls: BASE }), { kind: 'reference', targetType: 'Patient', targetId: '123' }, 'single target');
  t.same(parseReference('subject', '123', undefined, { ...ctx, typeModifier: 'Patient' }), { kind: 'reference', targetType: 'Patient', targetId: '123' }, 'subject:Patient=123');
  t.same(parseReference('subject', 'Patient/123', undefined, ctx), { kind: 'reference', targetType: 'Patient', targetId: '123' });
  t.same(parseReference('subject', 'urn:mrn|7', 'identifier', ctx), { kind: 'reference', identifier: { system: 'urn:mrn', value: '7' } });
  const conflict = t.throws(() => parseReference('subject', 'Group/1', undefined, { ...ctx, typeModifier: 'Patient' })) as unknown as FhirError;
  t.match(conflict.message, /does not agree with the modifier :Patient/);
});

t.test('R4 search.html#reference: a typed value need not be a declared target, but must be a known type', async (t) => {
  // The R4 examples store such references (DeviceMetric.parent -> DeviceDefinition, Observation.performer -> Encounter)
  const ctx = { targets: ['Patient', 'Group'], baseUrls: BASE, resourceTypes: new Set(['Patient', 'Group', 'Practitioner', 'Encounter']) };
  const cases: [string, unknown][] = [
    ['Practitioner/1', { kind: 'reference', targetType: 'Practitioner', targetId: '1' }],
    ['Encounter/example', { kind: 'reference', targetType: 'Encounter', targetId: 'example' }],
  ];
  for (const [value, expected] of cases) t.same(parseReference('subject', value, undefined, ctx), expected, value);
  const unknown = t.throws(() => parseReference('subject', 'Pateint/1', undefined, ctx)) as unknown as FhirError;
  t.equal(unknown.code, 'invalid-search-value', 'an unknown type is still a 400');
  t.match(unknown.message, /"subject".*Pateint is not a resource type this server knows/);
});
