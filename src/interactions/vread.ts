/** vread (R4 http.html#vread): a deleted version answers 410, an unknown one 404. */
import { FhirError } from '../fhir/errors.js';
import type { InteractionRequest, InteractionResult, ServerContext } from './types.js';
import { assertReadable, storedResult } from './read.js';
import { assertValidId, versionHeaders } from './write-version.js';

export async function vread(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const resourceType = req.resourceType!;
  const id = req.id!;
  assertValidId(id);
  const versionText = req.versionId ?? '';
  const versionId = /^[1-9]\d{0,15}$/.test(versionText) ? Number(versionText) : undefined;
  const version = versionId === undefined ? undefined : await ctx.store.vread(resourceType, id, versionId);
  if (!version) throw new FhirError('version-not-found', `${resourceType}/${id} has no version "${versionText}"`);
  if (version.deleted) {
    throw new FhirError('gone', `Version ${versionText} of ${resourceType}/${id} is a delete`, { headers: versionHeaders(version) });
  }
  await assertReadable(ctx.store, req, version);
  return storedResult(ctx, req, versionHeaders(version), version);
}
