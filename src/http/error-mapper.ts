/**
 * The one place errors become HTTP responses (DESIGN.md "Rules that hold everywhere"):
 * FhirError -> its status, headers and OperationOutcome; Fastify's own errors -> the matching 4xx;
 * anything else -> 500 'exception', logged with its stack. A client error is never a 5xx.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { FhirError, type ErrorCode } from '../fhir/errors.js';
import { errorOutcome } from '../fhir/operation-outcome.js';
import type { Resource } from '../fhir/types.js';
import { writeResource } from './reply.js';

const FASTIFY_ERROR_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'invalid-content-type',
  FST_ERR_CTP_INVALID_TYPE: 'invalid-content-type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid-json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid-parameter',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid-json',
  FST_ERR_NOT_FOUND: 'not-found',
};

function fastifyErrorMessage(code: ErrorCode, error: FastifyError, request: FastifyRequest): string {
  switch (code) {
    case 'invalid-content-type':
      return `Content-Type "${request.headers['content-type'] ?? ''}" is not accepted; send application/fhir+json (application/x-www-form-urlencoded for POST _search)`;
    case 'payload-too-large':
      return `The request body exceeds the server limit of ${request.server.initialConfig.bodyLimit} bytes`;
    default:
      return error.message;
  }
}

/** Any thrown value as a FhirError; unknown errors become 'internal'. */
export function toFhirError(error: unknown, request: FastifyRequest): FhirError {
  if (error instanceof FhirError) return error;
  const fastifyError = error as FastifyError;
  const mapped = fastifyError?.code ? FASTIFY_ERROR_CODES[fastifyError.code] : undefined;
  if (mapped) return new FhirError(mapped, fastifyErrorMessage(mapped, fastifyError, request));
  if (fastifyError instanceof SyntaxError && typeof fastifyError.statusCode === 'number' && fastifyError.statusCode === 400) {
    return new FhirError('invalid-json', `The body is not valid JSON: ${fastifyError.message}`);
  }
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new FhirError('invalid-parameter', fastifyError.message, { status: fastifyError.statusCode });
  }
  return new FhirError('internal', 'The server hit an unexpected error; it has been logged');
}

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const fhirError = toFhirError(error, request);
  if (fhirError.status >= 500) request.log.error({ err: error, method: request.method, url: request.url }, 'request failed');
  for (const [name, value] of Object.entries(fhirError.headers)) reply.header(name, value);
  return writeResource(request, reply, fhirError.status, errorOutcome(fhirError) as unknown as Resource);
}

export function sendRouteNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?')[0];
  return sendError(new FhirError('not-found', `No FHIR endpoint at ${request.method} ${path}`), request, reply);
}
