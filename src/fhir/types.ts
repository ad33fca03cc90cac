import type * as R4 from 'fhir/r4.js';

/** Any FHIR R4 resource as JSON. Kept loose on purpose: the server stores every R4 type generically. */
export interface Resource {
  resourceType: string;
  id?: string;
  meta?: R4.Meta;
  [element: string]: unknown;
}

export type { R4 };
export type OperationOutcome = R4.OperationOutcome;
export type Bundle = R4.Bundle;
export type BundleEntry = R4.BundleEntry;
