// Compartments: R4 compartmentdefinition.html and compartmentdefinition-patient.html.
import t from 'tap';
import { loadDefinitions } from '../../src/fhir/definitions.js';
import { createSearchParameterRegistry } from '../../src/search/registry.js';
import { compartmentCondition, compartmentResourceTypes } from '../../src/search/compartments.js';
import { FhirError } from '../../src/fhir/errors.js';

const defs = await loadDefinitions();
const registry = createSearchParameterRegistry(defs);

t.test('R4 compartmentdefinition-patient.html: Observation in Patient/123', async (t) => {
  const condition = compartmentCondition(defs, registry, 'Patient', '123', 'Observation');
  t.equal(condition.kind, 'or');
  const params = (condition as { conditions: { param: string; values: unknown[] }[] }).conditions.map((c) => c.param).sort();
  t.same(params, ['performer', 'subject']);
  t.same((condition as { conditions: { values: unknown[] }[] }).conditions[0]!.values, [{ kind: 'reference', targetType: 'Patient', targetId: '123' }]);
});

t.test('R4 compartmentdefinition.html: the compartment resource itself is a member', async (t) => {
  const condition = compartmentCondition(defs, registry, 'Patient', '123', 'Patient');
  t.match(condition, { kind: 'or' });
  t.ok((condition as { conditions: { kind: string }[] }).conditions.some((c) => c.kind === 'id'), 'the Patient itself');
});

t.test('compartment membership and errors', async (t) => {
  const types = compartmentResourceTypes(defs, 'Patient');
  t.ok(types.includes('Observation') && types.includes('Encounter') && !types.includes('Organization'));
  t.ok(compartmentResourceTypes(defs, 'Encounter').includes('Observation'));
  for (const [compartment, type, message] of [['Patient', 'Organization', /not part of the Patient compartment/], ['Nope', 'Observation', /no Nope compartment/]] as const) {
    const error = t.throws(() => compartmentCondition(defs, registry, compartment, '1', type)) as unknown as FhirError;
    t.equal(error.code, 'invalid-parameter');
    t.match(error.message, message);
  }
});
