// Implicit systems of `code` elements: R4 search.html#token ("the system is implied by the binding" of a code element).
import t from 'tap';
import { loadDefinitions } from '../../src/fhir/definitions.js';
import { bindingSystem, codeElementPath } from '../../src/search/code-systems.js';
import { createSearchParameterRegistry } from '../../src/search/registry.js';

const defs = await loadDefinitions();

t.test('R4 search.html#token: which expression parts end on a code element', async (t) => {
  const cases: [string, string, string | undefined][] = [
    ['Patient.gender', 'Patient', 'Patient.gender'],
    ['Observation.status', 'Observation', 'Observation.status'],
    ['AllergyIntolerance.reaction.severity', 'AllergyIntolerance', 'AllergyIntolerance.reaction.severity'],
    ['Patient.address.use', 'Patient', 'Address.use'],
    ['Questionnaire.item.item.type', 'Questionnaire', 'Questionnaire.item.type'],
    ['Subscription.channel.payload', 'Subscription', 'Subscription.channel.payload'],
    ['(Observation.value as CodeableConcept)', 'Observation', undefined],
    ['Observation.code', 'Observation', undefined],
    ['Patient.gender', 'Person', undefined],
    ['Patient.telecom.where(system=\'phone\')', 'Patient', undefined],
    ['Patient.extension(\'http://x\').value', 'Patient', undefined],
  ];
  for (const [part, type, expected] of cases) t.equal(codeElementPath(part, type), expected, `${type}: ${part}`);
});

t.test('R4 search.html#token: the system comes from a required binding to a value set of one code system', async (t) => {
  t.equal(bindingSystem(defs, 'Patient.gender'), 'http://hl7.org/fhir/administrative-gender');
  t.equal(bindingSystem(defs, 'Observation.status'), 'http://hl7.org/fhir/observation-status');
  t.equal(bindingSystem(defs, 'Address.use'), 'http://hl7.org/fhir/address-use');
  t.equal(bindingSystem(defs, 'Task.intent'), undefined, 'Task.intent draws on no single code system');
  t.equal(bindingSystem(defs, 'SearchParameter.code'), undefined, 'no binding');
});

t.test('R4 search.html#token: code values are indexed with their implicit system', async (t) => {
  const registry = createSearchParameterRegistry(defs);
  const patient = registry.extract({ resourceType: 'Patient', id: 'p', gender: 'male', address: [{ use: 'home', city: 'X' }], active: true } as never);
  t.match(patient.token.filter((e) => e.param === 'gender'), [{ system: 'http://hl7.org/fhir/administrative-gender', code: 'male' }]);
  t.match(patient.token.filter((e) => e.param === 'address-use'), [{ system: 'http://hl7.org/fhir/address-use', code: 'home' }]);
  t.match(patient.token.filter((e) => e.param === 'active'), [{ system: null, code: 'true' }], 'a boolean has no system');
  const observation = registry.extract({ resourceType: 'Observation', id: 'o', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '1-8' }] } } as never);
  t.match(observation.token.filter((e) => e.param === 'status'), [{ system: 'http://hl7.org/fhir/observation-status', code: 'final' }]);
  t.match(observation.token.filter((e) => e.param === 'code'), [{ system: 'http://loinc.org', code: '1-8' }], 'codings keep their own system');
});
