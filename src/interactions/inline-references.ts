/**
 * References of a resource written on its own (create, update, patch; Bundle entries have their own rules in
 * transaction.ts and batch.ts), settled before the write so that nothing stored points nowhere:
 *  - a conditional reference `Type?query` becomes the Type/id of the one resource it matches, as in a transaction
 *    (R4 http.html#trules; R5 allows it in these interactions too, and lab systems that send an Observation for
 *    `Patient?identifier=MRN|123` rely on it). No match: 400; several: 412 (as conditional update answers them); the
 *    issue's expression names the elements holding it (`Observation.subject`, `Observation.performer[1]`).
 *  - a `urn:uuid:` or `urn:oid:` reference names a Bundle entry by its fullUrl and resolves only inside that Bundle
 *    (bundle.html#references): 400.
 * A Bundle resource is stored as it is: the references of its entries are its own content.
 */
import { FhirError } from '../fhir/errors.js';
import type { Resource } from '../fhir/types.js';
import { tooDeepAt } from '../fhir/validation-fhir-json.js';
import type { FhirStore } from '../storage/port.js';
import { referencesToSettle, rewriteReferences } from './bundle-references.js';
import { elementExpression, matchConditionalReference, unresolvedConditionalReference } from './conditional.js';
import type { InteractionRequest, ServerContext } from './types.js';

/** The resource to write: `resource` itself, or a copy with its conditional references resolved. */
export async function settleInlineReferences(ctx: ServerContext, req: InteractionRequest, store: FhirStore, resource: Resource): Promise<Resource> {
  if (resource.resourceType === 'Bundle') return resource;
  const { urn, conditional } = referencesToSettle(resource);
  if (urn !== undefined) {
    throw new FhirError('invalid-resource', `The reference ${urn} names a Bundle entry by its fullUrl: it resolves only inside a transaction`
      + ' Bundle that holds that entry (R4 bundle.html#references), so stored here it would point nowhere. Refer to the resource as Type/id, or send both in a transaction', { issueCode: 'value' });
  }
  // a resource too deep to copy is refused by validation, before anything is resolved for it
  if (conditional.size === 0 || tooDeepAt(resource) !== undefined) return resource;
  const resolved = new Map<string, string>();
  for (const [reference, elements] of conditional) {
    const match = await matchConditionalReference(ctx, req, reference, store);
    if (match.kind !== 'one') {
      throw unresolvedConditionalReference(reference, match, elements.map((element) => elementExpression(resource.resourceType, element)));
    }
    resolved.set(reference, match.reference);
  }
  // the body's nested objects are the caller's: rewrite a copy
  const settled = structuredClone(resource);
  rewriteReferences(settled, { fullUrls: new Map(), conditional: resolved });
  return settled;
}
