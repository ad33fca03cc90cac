/**
 * update (R4 http.html#update), update-as-create with a client id, versioned update with If-Match
 * (http.html#concurrency), If-None-Match (RFC 9110 13.1.2) and conditional update `PUT Type?query` (http.html#cond-update).
 */
import { FhirError } from '../fhir/errors.js';
import type { Resource } from '../fhir/types.js';
import type { FhirStore, StoredVersion } from '../storage/port.js';
import { findConditionalMatches, unmatchedConditionalUpdateId } from './conditional.js';
import { settleInlineReferences } from './inline-references.js';
import { etagMatches } from './read.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';
import { assertValidId, resourceBody, writeResourceVersion, writeResponse } from './write-version.js';

/** `W/"3"`, `"3"` or `3` -> 3; undefined when the header is absent. */
export function parseETagVersion(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(header);
  if (!match) throw new FhirError('precondition-failed', `If-Match "${header}" is not a version ETag like W/"3"`);
  return Number(match[1]);
}

/**
 * If-Match (R4 http.html#concurrency; RFC 7232 section 3.1): a version ETag must name the current version,
 * `*` only asks that a current version exists. Otherwise 412 and the method is not performed.
 */
export function checkIfMatch(header: string | undefined, current: StoredVersion | undefined, reference: string): void {
  if (header === undefined) return;
  const exists = current !== undefined && !current.deleted;
  if (header.trim() === '*') {
    if (!exists) throw new FhirError('precondition-failed', `If-Match * given but ${reference} has no current version`);
    return;
  }
  const expected = parseETagVersion(header)!;
  if (!exists) {
    throw new FhirError('precondition-failed', `If-Match W/"${expected}" given but ${reference} has no current version`);
  }
  if (current.versionId !== expected) {
    throw new FhirError('precondition-failed', `If-Match W/"${expected}" does not match the current version W/"${current.versionId}" of ${reference}`);
  }
}

/**
 * If-None-Match on a write (RFC 9110 section 13.1.2): `*` or the current version's ETag is false when the resource has
 * a current version, and then the method is not performed (412). Also request.ifNoneMatch of a transaction entry.
 */
export function checkIfNoneMatch(header: string | undefined, current: StoredVersion | undefined, reference: string): void {
  if (header === undefined || current === undefined || current.deleted) return;
  if (etagMatches(header, current.versionId)) {
    throw new FhirError('precondition-failed', `If-None-Match ${header} given but ${reference} exists (version W/"${current.versionId}")`);
  }
}

async function writeUpdate(ctx: ServerContext, store: FhirStore, req: InteractionRequest, resource: Resource, id: string): Promise<InteractionResult> {
  const reference = `${resource.resourceType}/${id}`;
  const current = await store.read(resource.resourceType, id);
  checkIfMatch(req.headers['if-match'], current, reference);
  checkIfNoneMatch(req.headers['if-none-match'], current, reference);
  const exists = current !== undefined && !current.deleted;
  const settled = await settleInlineReferences(ctx, req, store, resource);
  const version = await writeResourceVersion(ctx, store, { resource: settled, id, method: 'PUT', previous: current });
  return exists
    ? writeResponse(req, version, 200, `Updated ${reference} to version ${version.versionId}`)
    : writeResponse(req, version, 201, `Created ${reference} version ${version.versionId}`);
}

async function conditionalUpdate(ctx: ServerContext, req: InteractionRequest, resource: Resource): Promise<InteractionResult> {
  return ctx.store.withTransaction(async (store) => {
    const matches = await findConditionalMatches(ctx, req, resource.resourceType, req.query, { store });
    if (matches.length > 1) {
      throw new FhirError('multiple-matches', `The conditional update criteria match more than one ${resource.resourceType}; nothing was changed`);
    }
    if (matches.length === 1) {
      const matchId = matches[0].id;
      if (resource.id !== undefined && resource.id !== matchId) {
        throw new FhirError('id-mismatch', `The body id "${resource.id}" differs from the matching resource ${resource.resourceType}/${matchId}`, { expression: [`${resource.resourceType}.id`] });
      }
      return writeUpdate(ctx, store, req, resource, matchId);
    }
    return writeUpdate(ctx, store, req, resource, await unmatchedConditionalUpdateId(store, resource.resourceType, resource.id));
  });
}

export async function update(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const resourceType = req.resourceType!;
  const resource = resourceBody(req, resourceType);
  if (req.id === undefined) return conditionalUpdate(ctx, req, resource);
  assertValidId(req.id);
  if (resource.id === undefined) {
    throw new FhirError('missing-id', `The ${resourceType} in the body has no id; an update must carry the id "${req.id}" of the URL`, { expression: [`${resourceType}.id`] });
  }
  if (resource.id !== req.id) {
    throw new FhirError('id-mismatch', `The body id "${resource.id}" does not match the URL id "${req.id}"`, { expression: [`${resourceType}.id`] });
  }
  const id = req.id;
  return ctx.store.withTransaction((store) => writeUpdate(ctx, store, req, resource, id));
}
