/**
 * Shared by the Bulk Data kick-off operations (Bulk Data Access IG 2.0, export.html "Bulk Data Kick-off
 * Request"): the async requirement, parameters from the query or a Parameters body, and the 202 answer
 * pointing at the status URL.
 */
import { FhirError } from '../../fhir/errors.js';
import { informationalOutcome } from '../../fhir/operation-outcome.js';
import type { Resource } from '../../fhir/types.js';
import type { InteractionRequest, InteractionResult } from '../types.js';

export const NDJSON_CONTENT_TYPE = 'application/fhir+ndjson';
/** IG 2.0: the server SHALL accept the full content type and the abbreviations application/ndjson and ndjson */
export const NDJSON_FORMATS = new Set(['application/fhir+ndjson', 'application/ndjson', 'ndjson']);
/** parameters every FHIR request may carry, not the operation's */
const TRANSPORT_PARAMETERS = new Set(['_format', '_pretty']);
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export const invalidParameter = (name: string, message: string) => new FhirError('invalid-parameter', message, { expression: [name] });

/** IG 2.0 kick-off: `Prefer: respond-async` is required; without it the request is a client error. */
export function requireRespondAsync(req: InteractionRequest, operation: string): void {
  if (!req.prefer.respondAsync) {
    throw new FhirError('invalid-parameter', `${operation} runs asynchronously: send the header "Prefer: respond-async" (Bulk Data Access IG, kick-off request)`, { expression: ['Prefer'] });
  }
}

interface ParameterEntry { name?: string; part?: unknown[]; [value: string]: unknown }

/** A Parameters parameter's value as text: primitives as they are, references as their reference string. */
function parameterValue(entry: ParameterEntry): string | undefined {
  for (const [key, value] of Object.entries(entry)) {
    if (!key.startsWith('value')) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (key === 'valueReference' && typeof (value as { reference?: unknown })?.reference === 'string') return (value as { reference: string }).reference;
  }
  return undefined;
}

/** The parameters of a POST body (a Parameters resource), checked for shape. */
export function parametersEntries(body: unknown): ParameterEntry[] {
  const resource = body as Resource | undefined;
  if (!resource || resource.resourceType !== 'Parameters') {
    throw new FhirError('invalid-resource', 'The body must be a Parameters resource');
  }
  const entries = resource.parameter ?? [];
  if (!Array.isArray(entries) || entries.some((entry) => typeof entry !== 'object' || entry === null || typeof entry.name !== 'string')) {
    throw new FhirError('invalid-resource', 'Parameters.parameter must be a list of named parameters');
  }
  return entries as ParameterEntry[];
}

/** Query parameters, plus (POST) the body's Parameters as name -> values, transport parameters left out. */
export function kickOffParameters(req: InteractionRequest): Record<string, string[]> {
  const params: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(req.query)) {
    if (!TRANSPORT_PARAMETERS.has(name)) params[name] = [...values];
  }
  if (req.method === 'POST' && req.body !== undefined) {
    for (const entry of parametersEntries(req.body)) {
      const value = parameterValue(entry);
      if (value === undefined) throw invalidParameter(entry.name!, `The parameter "${entry.name}" has no value this operation understands`);
      (params[entry.name!] ??= []).push(value);
    }
  }
  return params;
}

/**
 * Parameters outside `known`: an error, or under `Prefer: handling=lenient` (IG 2.0) ignored with a warning
 * that ends up in the job's error file.
 */
export function checkKnownParameters(req: InteractionRequest, params: Record<string, string[]>, known: ReadonlySet<string>, operation: string): string[] {
  const warnings: string[] = [];
  for (const name of Object.keys(params)) {
    if (known.has(name)) continue;
    const message = `${operation} does not support the parameter "${name}" (supported: ${[...known].join(', ')})`;
    if (req.prefer.handling !== 'lenient') throw invalidParameter(name, message);
    warnings.push(`${message}; it was ignored (Prefer: handling=lenient)`);
    delete params[name];
  }
  return warnings;
}

export function singleValue(params: Record<string, string[]>, name: string): string | undefined {
  const values = params[name];
  if (!values || values.length === 0) return undefined;
  if (values.length > 1) throw invalidParameter(name, `"${name}" may be given only once`);
  return values[0];
}

/** `_outputFormat`: NDJSON in any of its spellings, or a 400. */
export function checkOutputFormat(params: Record<string, string[]>): void {
  const format = singleValue(params, '_outputFormat');
  if (format !== undefined && !NDJSON_FORMATS.has(format.trim())) {
    throw invalidParameter('_outputFormat', `_outputFormat "${format}" is not supported; use application/fhir+ndjson (or application/ndjson, ndjson)`);
  }
}

/** `_since`: an instant with a time zone. */
export function readSince(params: Record<string, string[]>): string | undefined {
  const since = singleValue(params, '_since');
  if (since === undefined) return undefined;
  if (!INSTANT.test(since) || Number.isNaN(Date.parse(since))) {
    throw invalidParameter('_since', `_since must be an instant such as 2024-01-31T00:00:00Z, got "${since}"`);
  }
  return new Date(Date.parse(since)).toISOString();
}

/** The comma-separated values of a list parameter, in order, without duplicates. */
export function listValues(params: Record<string, string[]>, name: string): string[] | undefined {
  const values = params[name];
  if (!values) return undefined;
  return [...new Set(values.flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean))];
}

/** The kick-off URL as the client sent it (the manifest's `request`). */
export function requestUrl(req: InteractionRequest, path: string): string {
  const search = new URLSearchParams();
  for (const [name, values] of Object.entries(req.query)) for (const value of values) search.append(name, value);
  const query = search.toString();
  return `${req.baseUrl}/${path}${query ? `?${query}` : ''}`;
}

export function statusUrl(baseUrl: string, jobId: string): string {
  return `${baseUrl}/$bulk-status/${jobId}`;
}

export function fileUrl(baseUrl: string, jobId: string, file: string): string {
  return `${baseUrl}/$bulk-file/${jobId}/${file}`;
}

/** IG 2.0 kick-off success: 202 Accepted, Content-Location = the status URL, an informational OperationOutcome. */
export function accepted(baseUrl: string, jobId: string, operation: string): InteractionResult {
  const location = statusUrl(baseUrl, jobId);
  return {
    status: 202,
    headers: { 'content-location': location },
    body: informationalOutcome(`${operation} accepted; poll ${location} for its status`) as unknown as Resource,
  };
}
