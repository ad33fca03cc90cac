/**
 * The one place errors become HTTP responses (DESIGN.md "Rules that hold everywhere"):
 * FhirError -> its status, headers and OperationOutcome; Fastify's own errors -> the matching 4xx;
 * requests Node's HTTP parser refuses before Fastify sees them -> the matching 4xx/501 on the socket;
 * anything else -> 500 'exception', logged with its stack. A client error is never a 5xx.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { FhirError, type ErrorCode } from '../fhir/errors.js';
import { errorOutcome } from '../fhir/operation-outcome.js';
import type { Resource } from '../fhir/types.js';
import { serializeBody } from '../response/raw-json.js';
import { FHIR_JSON } from './negotiation.js';
import { writeResource } from './reply.js';

const FASTIFY_ERROR_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'invalid-content-type',
  FST_ERR_CTP_INVALID_TYPE: 'invalid-content-type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid-json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid-parameter',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid-json',
  FST_ERR_NOT_FOUND: 'not-found',
  FST_ERR_BAD_URL: 'invalid-parameter',
};

function fastifyErrorMessage(code: ErrorCode, error: FastifyError, request: FastifyRequest): string {
  switch (code) {
    case 'invalid-content-type':
      return `Content-Type "${request.headers['content-type'] ?? ''}" is not accepted; send application/fhir+json (application/x-www-form-urlencoded for POST _search)`;
    case 'payload-too-large':
      return `The request body exceeds the server limit of ${request.server.initialConfig.bodyLimit} bytes`;
    case 'invalid-parameter':
      if (error.code === 'FST_ERR_BAD_URL') return `The URL ${request.url} is not validly percent-encoded (RFC 3986 section 2.1)`;
      return error.message;
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

/** Whether Node's header size limit was reached within the request line, i.e. by the URL rather than header fields. */
function requestLineTooLong(rawPacket: unknown): boolean {
  if (!Buffer.isBuffer(rawPacket) || !/^[A-Z-]+ /.test(rawPacket.subarray(0, 16).toString('latin1'))) return false;
  const lineEnd = rawPacket.indexOf('\r\n');
  return lineEnd === -1 || lineEnd >= http.maxHeaderSize;
}

/** Node's 'clientError' (its parser's codes, HPE_*); rawPacket is the Buffer it was parsing, whatever Fastify's type says. */
function clientErrorToFhirError(error: ConnectionError): FhirError {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new FhirError('invalid-parameter', 'The request was not received in time', { status: 408, issueCode: 'timeout' });
    case 'HPE_HEADER_OVERFLOW':
      return requestLineTooLong(error.rawPacket)
        ? new FhirError('invalid-parameter', `The URL is longer than the server reads (${http.maxHeaderSize} bytes with the headers); send long searches as POST [type]/_search`, { status: 414, issueCode: 'too-long' })
        : new FhirError('invalid-parameter', `The request headers exceed the server limit of ${http.maxHeaderSize} bytes`, { status: 431, issueCode: 'too-long' });
    case 'HPE_INVALID_METHOD':
      return new FhirError('not-supported', 'The request method is not one this server implements');
    default:
      return new FhirError('invalid-parameter', `The request is not valid HTTP/1.1 (${error.code ?? error.message})`);
  }
}

/** Fastify's clientErrorHandler: answers on the raw socket, as its default handler does, but with an OperationOutcome. */
export function sendClientError(error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const fhirError = clientErrorToFhirError(error);
    const body = serializeBody(errorOutcome(fhirError));
    socket.write(`HTTP/1.1 ${fhirError.status} ${http.STATUS_CODES[fhirError.status]}\r\nContent-Type: ${FHIR_JSON}; charset=utf-8\r\n`
      + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}
