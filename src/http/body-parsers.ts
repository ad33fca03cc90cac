/**
 * Request body parsers. Only JSON media types (FHIR, plain, JSON Patch) and form bodies (POST _search)
 * are accepted; Fastify answers anything else with FST_ERR_CTP_INVALID_MEDIA_TYPE, mapped to 415. A JSON body
 * whose fhirVersion parameter names another FHIR release is a 415 too (R4 http.html#version-parameter).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FhirError } from '../fhir/errors.js';
import { assertServedContentVersion } from './negotiation.js';

export const JSON_BODY_TYPES = ['application/fhir+json', 'application/json+fhir', 'application/json', 'application/json-patch+json'];
export const FORM_BODY_TYPE = 'application/x-www-form-urlencoded';

/** A form body keeps repeated parameters in order, like the query string. */
export type FormBody = { kind: 'form'; params: Record<string, string[]> };

export function isFormBody(body: unknown): body is FormBody {
  return typeof body === 'object' && body !== null && (body as FormBody).kind === 'form' && 'params' in body;
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FhirError('invalid-json', `The body is not valid JSON: ${(error as Error).message}`);
  }
}

export function parseForm(text: string): Record<string, string[]> {
  const params: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(text)) (params[name] ??= []).push(value);
  return params;
}

/**
 * Bodies are read as sent: a content coding (gzip, br, ...) is refused (RFC 9110 section 15.5.16) rather than parsed
 * as JSON, which failed as a size mismatch, or ignored when the body was in fact plain.
 */
function refuseContentCoding(request: FastifyRequest): void {
  const coding = request.headers['content-encoding'];
  if (coding !== undefined && coding.trim().toLowerCase() !== 'identity') {
    throw new FhirError('invalid-content-type', `Content-Encoding "${coding}" is not accepted: send the body uncompressed`);
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The body as text; bytes that are not UTF-8 (json.html: FHIR JSON is UTF-8) are a 400 saying so. Read as a string,
 * Fastify replaced them and then failed the body as not matching its Content-Length.
 */
function utf8Text(body: Buffer): string {
  try {
    return strictUtf8.decode(body);
  } catch {
    throw new FhirError('invalid-json', 'The body is not valid UTF-8 (FHIR JSON is UTF-8, json.html)');
  }
}

/** A content-type parser over the body's bytes: its coding and encoding checked, then `parse` on the text. */
function textParser(parse: (request: FastifyRequest, text: string) => unknown) {
  return (request: FastifyRequest, body: Buffer, done: (error: Error | null, value?: unknown) => void): void => {
    try {
      refuseContentCoding(request);
      done(null, parse(request, utf8Text(body)));
    } catch (error) {
      done(error as Error, undefined);
    }
  };
}

export function registerBodyParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_BODY_TYPES, { parseAs: 'buffer' }, textParser((request, text) => {
    assertServedContentVersion(request.headers['content-type'] ?? '');
    return parseJsonBody(text);
  }));
  app.addContentTypeParser(FORM_BODY_TYPE, { parseAs: 'buffer' }, textParser((_request, text) => ({ kind: 'form', params: parseForm(text) } satisfies FormBody)));
}
