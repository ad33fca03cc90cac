/** create (R4 http.html#create) and conditional create with If-None-Exist (http.html#ccreate). */
import { FhirError } from '../fhir/errors.js';
import { newId } from '../fhir/ids.js';
import { informationalOutcome } from '../fhir/operation-outcome.js';
import type { Resource } from '../fhir/types.js';
import { assertIfNoneExistOf, criteriaFromString, findConditionalMatches } from './conditional.js';
import { settleInlineReferences } from './inline-references.js';
import type { FhirStore } from '../storage/port.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';
import { resourceBody, versionedLocation, versionHeaders, writeResourceVersion, writeResponse } from './write-version.js';

export async function create(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const resourceType = req.resourceType!;
  const resource = resourceBody(req, resourceType);
  // R4 http.html#create: an id in the body is ignored; the server assigns one
  delete resource.id;
  const createNew = async (store: FhirStore) => {
    const settled = await settleInlineReferences(ctx, req, store, resource);
    const version = await writeResourceVersion(ctx, store, { resource: settled, id: newId(), method: 'POST', previous: undefined });
    return writeResponse(req, version, 201, `Created ${resourceType}/${version.id} version ${version.versionId}`);
  };
  const ifNoneExist = req.headers['if-none-exist'];
  // a fresh id cannot collide, so a plain create needs no read-then-write transaction: one store write,
  // which the SQLite engine group-commits with the other writes of the same moment
  if (ifNoneExist === undefined) return createNew(ctx.store);
  assertIfNoneExistOf(resourceType, ifNoneExist, 'If-None-Exist');
  return ctx.store.withTransaction(async (store) => {
    const matches = await findConditionalMatches(ctx, req, resourceType, criteriaFromString(ifNoneExist), { store });
    if (matches.length > 1) {
      throw new FhirError('multiple-matches', `If-None-Exist "${ifNoneExist}" matches more than one ${resourceType}; nothing was created`);
    }
    if (matches.length === 0) return createNew(store);
    const existing = matches[0];
    const headers = { location: versionedLocation(req.baseUrl, existing), ...versionHeaders(existing) };
    if (req.prefer.return === 'minimal') return { status: 200, headers };
    const body = req.prefer.return === 'OperationOutcome'
      ? informationalOutcome(`${resourceType}/${existing.id} already matches If-None-Exist; nothing was created`) as unknown as Resource
      : existing.resource;
    return { status: 200, headers, body };
  });
}
