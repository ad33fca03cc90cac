/**
 * Compartments (R4 compartmentdefinition.html): `GET [base]/Patient/123/Observation` searches the
 * Observations whose compartment parameters (subject, performer, ...) point at Patient/123.
 */
import { FhirError } from '../fhir/errors.js';
import type { Definitions } from '../fhir/definitions.js';
import type { Condition } from './ir.js';
import type { SearchParameterRegistry } from './registry.js';

function definition(defs: Definitions, compartmentType: string) {
  const compartment = defs.compartments.get(compartmentType);
  if (!compartment) {
    throw new FhirError('invalid-parameter', `There is no ${compartmentType} compartment (known: ${[...defs.compartments.keys()].join(', ')})`);
  }
  return compartment;
}

/** resource types that can be members of the compartment */
export function compartmentResourceTypes(defs: Definitions, compartmentType: string): string[] {
  return (definition(defs, compartmentType).resource ?? []).filter((r) => (r.param ?? []).length > 0).map((r) => r.code);
}

/**
 * The parameters that make a `resourceType` resource a member of the compartment, as the CompartmentDefinition lists
 * them (`{def}`, "the resource defining the compartment", left out); none when the type is not a member.
 */
export function compartmentParameters(defs: Definitions, compartmentType: string, resourceType: string): string[] {
  const entry = (definition(defs, compartmentType).resource ?? []).find((r) => r.code === resourceType);
  return (entry?.param ?? []).filter((param) => param !== '{def}');
}

/** an OR of the compartment's reference parameters pointing at compartmentType/compartmentId */
export function compartmentCondition(
  defs: Definitions, registry: SearchParameterRegistry, compartmentType: string, compartmentId: string, resourceType: string,
): Condition {
  const entry = (definition(defs, compartmentType).resource ?? []).find((r) => r.code === resourceType);
  if ((entry?.param ?? []).length === 0) {
    throw new FhirError('invalid-parameter', `${resourceType} resources are not part of the ${compartmentType} compartment`);
  }
  // the resource defining the compartment is in it (R4 lists `{def}` for some, e.g. Encounter, not Patient)
  const conditions: Condition[] = resourceType === compartmentType ? [{ kind: 'id', ids: [compartmentId] }] : [];
  for (const param of compartmentParameters(defs, compartmentType, resourceType)) {
    const def = registry.get(resourceType, param);
    if (!def || def.type !== 'reference') continue;
    conditions.push({
      kind: 'param', param, index: 'reference',
      values: [{ kind: 'reference', targetType: compartmentType, targetId: compartmentId }],
    });
  }
  if (conditions.length === 0) {
    throw new FhirError('invalid-parameter', `The ${compartmentType} compartment names no searchable parameter of ${resourceType}`);
  }
  return conditions.length === 1 ? conditions[0]! : { kind: 'or', conditions };
}
