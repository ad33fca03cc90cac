/**
 * Compartment search GET [base]/Patient/123/Observation (R4 http.html#search, compartmentdefinition.html):
 * a type search limited to the resources the CompartmentDefinition places in that compartment.
 */
import { compartmentCondition } from '../search/compartments.js';
import { runSearch } from './search.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';
import { assertValidId } from './write-version.js';

export async function compartmentSearch(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const compartment = req.compartment!;
  const resourceType = req.resourceType!;
  assertValidId(compartment.id);
  const membership = compartmentCondition(ctx.definitions, ctx.searchParameters, compartment.resourceType, compartment.id, resourceType);
  return runSearch(ctx, req, {
    resourceType,
    path: `${compartment.resourceType}/${compartment.id}/${resourceType}`,
    conditions: [membership],
  });
}
