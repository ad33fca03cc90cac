/**
 * Framework-free request/response shapes for interactions (DESIGN.md: http -> interactions).
 * http/ turns a Fastify request into an InteractionRequest and an InteractionResult into a reply.
 * Every interaction is one file exporting one async function `(ctx, req) => InteractionResult`.
 */
import type { Resource } from '../fhir/types.js';
import type { FhirStore } from '../storage/port.js';
import type { SearchParameterRegistry } from '../search/registry.js';
import type { Definitions } from '../fhir/definitions.js';
import type { ResourceValidator } from '../fhir/validation.js';
import type { Config } from '../config.js';
import type { Condition } from '../search/ir.js';

export interface ServerContext {
  config: Config;
  store: FhirStore;
  definitions: Definitions;
  searchParameters: SearchParameterRegistry;
  validator: ResourceValidator;
  /** server clock; tests may replace it */
  now(): Date;
}

export type PreferReturn = 'minimal' | 'representation' | 'OperationOutcome';

export interface InteractionRequest {
  /** absolute base URL of the FHIR endpoint, no trailing slash, e.g. http://127.0.0.1:8080/fhir */
  baseUrl: string;
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  resourceType?: string;
  id?: string;
  versionId?: string;
  /** compartment search GET [base]/Patient/123/Observation: the compartment (resourceType is the searched type) */
  compartment?: { resourceType: string; id: string };
  /** decoded query parameters; repeated parameters keep every value in order */
  query: Record<string, string[]>;
  /** lower-cased header names */
  headers: Record<string, string | undefined>;
  /** parsed JSON body (already checked to be JSON of an accepted content type) */
  body?: unknown;
  prefer: { return?: PreferReturn; handling?: 'strict' | 'lenient'; respondAsync?: boolean };
  /** extra access-control conditions (SMART), ANDed into every search and checked on read */
  accessConditions?: Condition[];
}

export interface InteractionResult {
  status: number;
  headers: Record<string, string>;
  /** a resource, a Bundle or an OperationOutcome; absent for 204/304 */
  body?: Resource;
  /**
   * `body` as the JSON text the store holds, when the interaction answers the stored resource unchanged (read,
   * vread): http sends it instead of serialising `body`. Reading `body` first gives it up (see storedResult).
   */
  readonly bodyText?: string;
}
