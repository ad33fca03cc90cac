// Registry and expressions: R4 searchparameter-registry.html expressions per base type, R4 search.html#table
// (common parameters), custom SearchParameter resources (R4 searchparameter.html) without restart.
import t from 'tap';
import { loadDefinitions } from '../../src/fhir/definitions.js';
import { createSearchParameterRegistry } from '../../src/search/registry.js';
import { partsForBase, splitTopLevelUnion } from '../../src/search/expression.js';
import { compilePath, rootNode } from '../../src/search/path.js';
import type { Resource, R4 } from '../../src/fhir/types.js';
import { FhirError } from '../../src/fhir/errors.js';

const defs = await loadDefinitions();
const registry = createSearchParameterRegistry(defs, { baseUrls: ['http://h.example/fhir'] });

t.test('multi-base expressions keep only the parts of the base type', async (t) => {
  t.same(splitTopLevelUnion("A.x | (B.y as Quantity) | C.z.where(system='a|b')"), ['A.x', '(B.y as Quantity)', "C.z.where(system='a|b')"]);
  t.same(partsForBase('Account.subject.where(resolve() is Patient) | Observation.subject.where(resolve() is Patient)', 'Observation'),
    ['Observation.subject.where(resolve() is Patient)']);
  t.same(partsForBase('name | alias', 'InsurancePlan'), ['name', 'alias'], 'relative parts stay');
});

t.test('FHIRPath subset: resolve() is T, as precedence, extension(url), where(x=y)', async (t) => {
  const evaluate = (expression: string, resource: Resource) => compilePath(expression, resource.resourceType)(rootNode(resource), resource).map((n) => [n.type, n.value]);
  const obs = { resourceType: 'Observation', subject: { reference: 'Group/1' }, valueQuantity: { value: 5 }, component: [{ valueString: 'x' }] } as Resource;
  t.same(evaluate('Observation.subject.where(resolve() is Patient)', obs), [], 'a Group subject is not a Patient');
  t.same(evaluate('Observation.subject.where(resolve() is Group)', obs), [['Reference', { reference: 'Group/1' }]]);
  t.same(evaluate('Observation.value as Quantity', obs), [['Quantity', { value: 5 }]], '`as` applies to the whole path');
  t.same(evaluate('(Observation.value as Quantity)', obs), [['Quantity', { value: 5 }]]);
  t.same(evaluate('Observation.value.as(string)', obs), []);
  t.same(evaluate('Observation.component.value', obs), [['string', 'x']], 'choice types carry their type');
  const patient = {
    resourceType: 'Patient', telecom: [{ system: 'phone', value: '1' }, { system: 'email', value: 'a@b' }],
    extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName', valueString: 'Smith' }],
  } as Resource;
  t.same(evaluate("Patient.telecom.where(system='email')", patient), [['ContactPoint', { system: 'email', value: 'a@b' }]]);
  t.same(evaluate("Patient.extension('http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName')", patient).length, 1);
  t.same(evaluate('Patient.deceased.exists() and Patient.deceased != false', patient), [['boolean', false]], 'fhirpath.js fallback');
});

t.test('R4 search.html#table: common parameters on every type, per-type parameters', async (t) => {
  for (const type of ['Patient', 'Observation', 'Bundle', 'Binary']) {
    for (const code of ['_id', '_lastUpdated', '_tag', '_profile', '_security', '_source']) t.ok(registry.get(type, code), `${type} ${code}`);
  }
  t.equal(registry.get('Patient', 'birthdate')?.type, 'date');
  t.same(registry.get('Observation', 'subject')?.targets.sort(), ['Device', 'Group', 'Location', 'Patient']);
  t.equal(registry.get('Patient', 'code'), undefined);
  const entries = registry.extract({ resourceType: 'Observation', id: 'o', subject: { reference: 'http://h.example/fhir/Patient/p1' }, code: { text: 'x' } });
  t.match(entries.reference.filter((e) => e.param === 'patient'), [{ targetType: 'Patient', targetId: 'p1' }], 'absolute URL under the base is local; patient = subject where Patient');
});

t.test('R4 search.html#composite extraction: components grouped by element', async (t) => {
  const entries = registry.extract({
    resourceType: 'Observation', id: 'bp', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
    component: [
      { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 107, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
      { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: 60, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
    ],
  });
  const codes = entries.token.filter((e) => e.param === 'component-code-value-quantity$0');
  const values = entries.quantity.filter((e) => e.param === 'component-code-value-quantity$1');
  t.equal(codes.length, 2);
  t.equal(codes.find((e) => e.code === '8480-6')!.group, values.find((e) => e.value === 107)!.group, 'systolic code and value share a group');
  t.not(codes.find((e) => e.code === '8480-6')!.group, values.find((e) => e.value === 60)!.group);
  t.equal(entries.token.filter((e) => e.param === 'code-value-quantity$0').length, 0, 'no partial tuple when the Observation has no value');
  t.same(entries.sort['component-value-quantity'], { asc: 60, desc: 107 }, 'sort keys: asc = min, desc = max');
});

t.test('custom SearchParameter: added, replaced and retired without restart', async (t) => {
  const custom: R4.SearchParameter = {
    resourceType: 'SearchParameter', url: 'http://h.example/sp/patient-nickname', name: 'nickname', status: 'active',
    description: 'nickname', code: 'nickname', base: ['Patient'], type: 'string', expression: "Patient.name.where(use='nickname').given",
  };
  const patient = { resourceType: 'Patient', id: 'p', name: [{ use: 'nickname', given: ['Jimmy'] }, { use: 'official', given: ['James'] }] };
  t.equal(registry.get('Patient', 'nickname'), undefined);
  registry.addCustom(custom);
  t.equal(registry.get('Patient', 'nickname')?.type, 'string');
  t.same(registry.extract(patient).string.filter((e) => e.param === 'nickname').map((e) => e.exact), ['Jimmy']);
  registry.addCustom({ ...custom, expression: 'Patient.name.given' });
  t.same(registry.extract(patient).string.filter((e) => e.param === 'nickname').map((e) => e.exact), ['Jimmy', 'James'], 'replaced');
  registry.removeCustom(custom.url);
  t.equal(registry.get('Patient', 'nickname'), undefined, 'retired');
  t.equal(registry.extract(patient).string.filter((e) => e.param === 'nickname').length, 0);
  const error = t.throws(() => registry.addCustom({ ...custom, expression: 'Patient.name.(' })) as unknown as FhirError;
  t.equal(error.code, 'invalid-resource');
  t.match(error.message, /does not compile/);
});

t.test('custom SearchParameter replacing a pristine one: the pristine one comes back per type (search.html#custom)', async (t) => {
  const registry = createSearchParameterRegistry(defs);
  const pristineGender = registry.get('Patient', 'gender')!;
  const custom: R4.SearchParameter = {
    resourceType: 'SearchParameter', url: 'http://h.example/sp/gender', name: 'gender', status: 'active',
    description: 'gender identity', code: 'gender', base: ['Patient'], type: 'token', expression: "Patient.extension('http://h.example/gi').value",
  };
  registry.addCustom(custom);
  t.equal(registry.get('Patient', 'gender')?.url, custom.url);
  t.equal(registry.get('Practitioner', 'gender')?.url, pristineGender.url, 'other types keep the pristine one');
  registry.addCustom({ ...custom, base: ['Practitioner'] });
  t.equal(registry.get('Patient', 'gender')?.url, pristineGender.url, 'moved away from Patient: its pristine one is back');
  t.equal(registry.get('Practitioner', 'gender')?.url, custom.url);
  registry.removeCustom(custom.url);
  t.equal(registry.get('Practitioner', 'gender')?.url, pristineGender.url, 'retired: the pristine one is back');
  t.same(registry.pristine('Patient', 'gender')?.url, pristineGender.url);
  t.same(registry.typesOf('Patient'), ['Patient']);
  t.ok(registry.typesOf('DomainResource').includes('Observation') && !registry.typesOf('DomainResource').includes('Bundle'));
  const unknownBase = t.throws(() => registry.validateCustom({ ...custom, base: ['Patiënt'] })) as unknown as FhirError;
  t.match(unknownBase.message, /unknown base type/);
  registry.setBuilding('Patient', 'nickname', true);
  t.ok(registry.isBuilding('Patient', 'nickname'));
  t.same(registry.buildingTypes('nickname'), ['Patient']);
  registry.setBuilding('Patient', 'nickname', false);
  t.same(registry.buildingTypes('nickname'), []);
});
