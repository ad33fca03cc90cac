/** POST [base]: a Bundle of type transaction or batch (R4 http.html#transaction); anything else is a 400. */
import { FhirError } from '../fhir/errors.js';
import type { Resource } from '../fhir/types.js';
import { batch } from './batch.js';
import { transaction } from './transaction.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';

export async function batchOrTransaction(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const body = req.body as Resource | undefined;
  if (typeof body !== 'object' || body === null || body.resourceType !== 'Bundle') {
    throw new FhirError('invalid-bundle', 'POST to the base takes a Bundle of type transaction or batch', { expression: ['Bundle'] });
  }
  if (body.type === 'transaction') return transaction(ctx, req);
  if (body.type === 'batch') return batch(ctx, req);
  throw new FhirError('invalid-bundle', `POST to the base takes a Bundle of type transaction or batch, not ${JSON.stringify(body.type)}`, {
    expression: ['Bundle.type'],
  });
}
