/**
 * Compartment search GET [base]/Patient/123/Observation (R4 http.html#search, compartmentdefinition.html):
 * a type search limited to the resources the CompartmentDefinition places in that compartment.
 * `GET [base]/Patient/123/*` (R4 http.html#search: "[base]/[Compartment]/[id]/*") searches every type of the
 * compartment, with the parameters common to all resources.
 */
import type { Condition } from '../search/ir.js';
import { compartmentCondition, compartmentResourceTypes } from '../search/compartments.js';
import { runSearch } from './search.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';
import { assertValidId } from './write-version.js';

export async function compartmentSearch(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const compartment = req.compartment!;
  const resourceType = req.resourceType!;
  assertValidId(compartment.id);
  const path = `${compartment.resourceType}/${compartment.id}/${resourceType}`;
  if (resourceType === '*') {
    const members: Condition[] = compartmentResourceTypes(ctx.definitions, compartment.resourceType).flatMap((type) => {
      try {
        const membership = compartmentCondition(ctx.definitions, ctx.searchParameters, compartment.resourceType, compartment.id, type);
        return [{ kind: 'and', conditions: [{ kind: 'type', types: [type] }, membership] } as Condition];
      } catch {
        return []; // a member type none of whose compartment parameters this server indexes
      }
    });
    return runSearch(ctx, req, { resourceType: null, path, conditions: [{ kind: 'or', conditions: members }] });
  }
  const membership = compartmentCondition(ctx.definitions, ctx.searchParameters, compartment.resourceType, compartment.id, resourceType);
  return runSearch(ctx, req, { resourceType, path, conditions: [membership] });
}
