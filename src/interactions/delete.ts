/**
 * delete (R4 http.html#delete) and conditional delete `DELETE Type?query` (http.html#cdelete, single match),
 * version-aware with If-Match (http.html#concurrency).
 */
import { FhirError } from '../fhir/errors.js';
import { informationalOutcome } from '../fhir/operation-outcome.js';
import type { Resource } from '../fhir/types.js';
import type { FhirStore } from '../storage/port.js';
import { findConditionalMatches } from './conditional.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';
import { checkIfMatch, checkIfNoneMatch } from './update.js';
import { assertValidId, versionHeaders, writeDeleteVersion } from './write-version.js';

async function deleteById(ctx: ServerContext, store: FhirStore, req: InteractionRequest, resourceType: string, id: string): Promise<InteractionResult> {
  const current = await store.read(resourceType, id);
  // a version-aware delete (R4 http.html#concurrency, transaction.html ifMatch): 412 and nothing deleted
  checkIfMatch(req.headers['if-match'], current, `${resourceType}/${id}`);
  checkIfNoneMatch(req.headers['if-none-match'], current, `${resourceType}/${id}`);
  // deleting an unknown or already deleted resource has no effect (http.html#delete)
  if (!current || current.deleted) return { status: 204, headers: {} };
  const version = await writeDeleteVersion(ctx, store, current);
  const headers = versionHeaders(version);
  if (req.prefer.return === 'minimal') return { status: 204, headers };
  const outcome = informationalOutcome(`Deleted ${resourceType}/${id}; version ${version.versionId} records the delete`);
  return { status: 200, headers, body: outcome as unknown as Resource };
}

export async function deleteResource(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const resourceType = req.resourceType!;
  if (req.id !== undefined) {
    assertValidId(req.id);
    const id = req.id;
    return ctx.store.withTransaction((store) => deleteById(ctx, store, req, resourceType, id));
  }
  return ctx.store.withTransaction(async (store) => {
    const matches = await findConditionalMatches(ctx, req, resourceType, req.query, { store });
    if (matches.length > 1) {
      throw new FhirError('multiple-matches', `The conditional delete criteria match more than one ${resourceType}; this server deletes one at a time, nothing was deleted`);
    }
    if (matches.length === 0) return { status: 204, headers: {} };
    return deleteById(ctx, store, req, resourceType, matches[0].id);
  });
}
