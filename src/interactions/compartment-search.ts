/**
 * Compartment search GET [base]/Patient/123/Observation (R4 http.html#search, compartmentdefinition.html):
 * a type search limited to the resources the CompartmentDefinition places in that compartment.
 */
import { FhirError } from '../fhir/errors.js';
import type { Condition } from '../search/ir.js';
import { runSearch } from './search.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';
import { assertValidId } from './write-version.js';

export function compartmentMembership(ctx: ServerContext, compartmentType: string, compartmentId: string, resourceType: string): Condition {
  const definition = ctx.definitions.compartments.get(compartmentType);
  if (!definition) {
    throw new FhirError('not-found', `There is no ${compartmentType} compartment (R4 defines Patient, Encounter, RelatedPerson, Practitioner and Device)`);
  }
  const params = definition.resource?.find((entry) => entry.code === resourceType)?.param ?? [];
  const conditions: Condition[] = params
    .filter((param) => param !== '{def}' && ctx.searchParameters.get(resourceType, param)?.type === 'reference')
    .map((param) => ({
      kind: 'param', param, index: 'reference',
      values: [{ kind: 'reference', targetType: compartmentType, targetId: compartmentId }],
    }));
  // the compartment's own resource is in its compartment
  if (resourceType === compartmentType) conditions.push({ kind: 'id', ids: [compartmentId] });
  if (conditions.length === 0) {
    throw new FhirError('invalid-parameter', `${resourceType} resources are never in a ${compartmentType} compartment`);
  }
  return conditions.length === 1 ? conditions[0] : { kind: 'or', conditions };
}

export async function compartmentSearch(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const compartment = req.compartment!;
  const resourceType = req.resourceType!;
  assertValidId(compartment.id);
  const membership = compartmentMembership(ctx, compartment.resourceType, compartment.id, resourceType);
  return runSearch(ctx, req, {
    resourceType,
    path: `${compartment.resourceType}/${compartment.id}/${resourceType}`,
    conditions: [membership],
  });
}
