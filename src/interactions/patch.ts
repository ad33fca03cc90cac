/**
 * patch (R4 http.html#patch): PATCH Type/id or the conditional PATCH Type?query, with a JSON Patch
 * (application/json-patch+json) or a FHIRPath Patch Parameters (application/fhir+json); If-Match for
 * versioned patches (412 on mismatch). The patched resource is written like any other write
 * (write-version.ts validates, stamps meta and indexes it); a patch whose result is invalid is a 422.
 */
import { FhirError, notFound } from '../fhir/errors.js';
import type { Resource } from '../fhir/types.js';
import type { FhirStore, StoredVersion } from '../storage/port.js';
import { findConditionalMatches } from './conditional.js';
import { applyFhirPathPatch, isFhirPathPatch } from './patch-fhirpath.js';
import { applyJsonPatch } from './patch-json.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';
import { checkIfMatch, checkIfNoneMatch } from './update.js';
import { settleInlineReferences } from './inline-references.js';
import { assertValidId, writeResourceVersion, writeResponse } from './write-version.js';

const JSON_PATCH = 'application/json-patch+json';

/** The patched copy of `current`, choosing the patch format from the content type (or the body's shape). */
export function patchedResource(current: Resource, body: unknown, contentType: string | undefined): Resource {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType === JSON_PATCH) return applyJsonPatch(current, body);
  if (isFhirPathPatch(body)) return applyFhirPathPatch(current, body);
  if (Array.isArray(body)) return applyJsonPatch(current, body);
  throw new FhirError('invalid-content-type', `PATCH takes ${JSON_PATCH} or a FHIRPath Patch Parameters resource as application/fhir+json`, {
    status: 415,
  });
}

async function patchTarget(ctx: ServerContext, store: FhirStore, req: InteractionRequest, resourceType: string): Promise<StoredVersion> {
  if (req.id !== undefined) {
    assertValidId(req.id);
    const current = await store.read(resourceType, req.id);
    if (!current) throw notFound(resourceType, req.id);
    if (current.deleted) throw new FhirError('gone', `${resourceType}/${req.id} was deleted (version ${current.versionId}); it cannot be patched`);
    return current;
  }
  const matches = await findConditionalMatches(ctx, req, resourceType, req.query, { store });
  if (matches.length === 0) throw new FhirError('not-found', `No ${resourceType} matches the conditional patch criteria`);
  if (matches.length > 1) {
    throw new FhirError('multiple-matches', `The conditional patch criteria match more than one ${resourceType}; nothing was changed`);
  }
  return matches[0];
}

/**
 * The patch was understood but its result is not a valid resource: RFC 5789 section 2.2 (which R4 http.html#patch
 * follows) answers 422, unlike a PUT of the same body (400), because the client sent a valid patch document.
 */
export function asUnprocessable(error: unknown): unknown {
  if (!(error instanceof FhirError) || error.code !== 'invalid-resource') return error;
  const issues = error.issues.map((issue) => ({ ...issue, errorCode: issue.errorCode === 'invalid-resource' ? 'unprocessable-resource' : issue.errorCode }));
  return new FhirError('unprocessable-resource', `The patched resource would be invalid: ${error.message}`, { issues });
}

export async function patch(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const resourceType = req.resourceType!;
  if (req.body === undefined || req.body === null) throw new FhirError('invalid-parameter', 'PATCH needs a patch document in the body');
  return ctx.store.withTransaction(async (store) => {
    const current = await patchTarget(ctx, store, req, resourceType);
    checkIfMatch(req.headers['if-match'], current, `${resourceType}/${current.id}`);
    checkIfNoneMatch(req.headers['if-none-match'], current, `${resourceType}/${current.id}`);
    const patched = patchedResource(current.resource!, req.body, req.headers['content-type']);
    const version = await settleInlineReferences(ctx, req, store, patched)
      .then((settled) => writeResourceVersion(ctx, store, { resource: settled, id: current.id, method: 'PATCH', previous: current }))
      .catch((error: unknown) => { throw asUnprocessable(error); });
    return writeResponse(req, version, 200, `Patched ${resourceType}/${current.id} to version ${version.versionId}`);
  });
}
