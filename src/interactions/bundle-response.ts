/** The transaction-response / batch-response Bundle (R4 bundle.html, http.html#transaction-response). */
import { toOperationOutcome } from '../fhir/operation-outcome.js';
import type { FhirError } from '../fhir/errors.js';
import { newId } from '../fhir/ids.js';
import type { Resource } from '../fhir/types.js';
import { STATUS_TEXT, type EntryResult } from './bundle-execute.js';
import type { InteractionRequest } from './types.js';

export function errorResult(error: FhirError): EntryResult {
  return { status: error.status, outcome: toOperationOutcome(error.issues) as unknown as Resource };
}

function statusLine(status: number): string {
  return STATUS_TEXT[status] ? `${status} ${STATUS_TEXT[status]}` : String(status);
}

/** Whether entries carry the resource: Prefer return=minimal leaves it out (R4 http.html#ops). */
export function wantsRepresentation(req: InteractionRequest): boolean {
  return req.prefer.return !== 'minimal' && req.prefer.return !== 'OperationOutcome';
}

export function responseBundle(type: 'transaction-response' | 'batch-response', results: readonly EntryResult[], now: Date): Resource {
  return {
    resourceType: 'Bundle',
    id: newId(),
    meta: { lastUpdated: now.toISOString() },
    type,
    entry: results.map((result) => {
      const entry: Record<string, unknown> = {};
      if (result.resource) {
        if (result.location) entry.fullUrl = result.location.replace(/\/_history\/[^/]+$/, '');
        entry.resource = result.resource;
      }
      const response: Record<string, unknown> = { status: statusLine(result.status) };
      if (result.location) response.location = result.location;
      if (result.etag) response.etag = result.etag;
      if (result.lastModified) response.lastModified = result.lastModified;
      if (result.outcome) response.outcome = result.outcome;
      entry.response = response;
      return entry;
    }),
  };
}
