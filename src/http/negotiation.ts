/**
 * Content negotiation (R4 http.html#mime-type, #format, #version-parameter): JSON only, FHIR R4 only.
 * `_format` wins over Accept. XML (or any other format or FHIR version) asked for explicitly is a 406; a body in
 * another media type is a 415 (raised by Fastify's content-type parsing, mapped in error-mapper.ts), and so is
 * one in another FHIR version (body-parsers.ts).
 */
import { FhirError } from '../fhir/errors.js';
import type { InteractionRequest, PreferReturn } from '../interactions/types.js';

export const FHIR_JSON = 'application/fhir+json';
export const PLAIN_JSON = 'application/json';

const FORMAT_ALIASES: Record<string, string> = {
  json: FHIR_JSON,
  'application/fhir+json': FHIR_JSON,
  'application/json+fhir': FHIR_JSON,
  'application/json': PLAIN_JSON,
};

const JSON_ACCEPT = /^(application\/(fhir\+json|json\+fhir|json)|\*\/\*|application\/\*)$/;

/** Accept headers already negotiated: clients send the same few, and each request negotiates twice (route, reply). */
const negotiatedAccepts = new Map<string, string>();
const MAX_REMEMBERED_ACCEPTS = 64;

/** The media type to answer with, or a 406 FhirError when the client only accepts something else. */
export function negotiateResponseType(format: string | undefined, accept: string | undefined): string {
  if (format !== undefined || accept === undefined) return negotiate(format, accept);
  let mediaType = negotiatedAccepts.get(accept);
  if (mediaType === undefined) {
    mediaType = negotiate(undefined, accept);
    if (negotiatedAccepts.size < MAX_REMEMBERED_ACCEPTS) negotiatedAccepts.set(accept, mediaType);
  }
  return mediaType;
}

/** R4 http.html#version-parameter: R4 is "4.0"; a full R4 release number (4.0.1) names it too. */
const SERVED_FHIR_VERSION = /^4\.0(\.\d+)?$/;
const SERVED_VERSION_TEXT = 'this server serves FHIR R4 (fhirVersion=4.0)';

interface MediaRange { type: string; quality: number; fhirVersion?: string }

function parseMediaRange(text: string): MediaRange {
  const [type, ...params] = text.split(';').map((part) => part.trim());
  const range: MediaRange = { type: type.toLowerCase(), quality: 1 };
  for (const param of params) {
    const [name, value = ''] = param.split('=').map((part) => part.trim());
    if (name.toLowerCase() === 'q') range.quality = Number(value);
    else if (name.toLowerCase() === 'fhirversion') range.fhirVersion = value.replace(/^"|"$/g, '');
  }
  return range;
}

const servesVersionOf = (range: MediaRange) => range.fhirVersion === undefined || SERVED_FHIR_VERSION.test(range.fhirVersion);

/** A request body's Content-Type naming another FHIR version is a 415 (R4 http.html#version-parameter). */
export function assertServedContentVersion(contentType: string): void {
  const range = parseMediaRange(contentType);
  if (!servesVersionOf(range)) {
    throw new FhirError('invalid-content-type', `Content-Type "${contentType}" sends FHIR version ${range.fhirVersion}; ${SERVED_VERSION_TEXT}`);
  }
}

function negotiate(format: string | undefined, accept: string | undefined): string {
  if (format !== undefined) {
    const range = parseMediaRange(format);
    // an unencoded `+` in the query string arrives as a space: _format=application/fhir+json
    const mediaType = FORMAT_ALIASES[range.type.replace(/\s+/g, '+')];
    if (!mediaType) throw new FhirError('not-acceptable', `_format "${format}" is not supported; this server speaks JSON (json, application/fhir+json, application/json)`);
    if (!servesVersionOf(range)) throw new FhirError('not-acceptable', `_format "${format}" asks for FHIR version ${range.fhirVersion}; ${SERVED_VERSION_TEXT}`);
    return mediaType;
  }
  if (!accept || !accept.trim()) return FHIR_JSON;
  const stated = accept.split(',').map(parseMediaRange).filter((range) => range.type);
  if (stated.length === 0) return FHIR_JSON;
  // RFC 7231 5.3.1: q=0 means "not acceptable", so an Accept of only such ranges accepts nothing we produce
  const ranges = stated.filter((range) => range.quality > 0);
  const jsonRanges = ranges.filter((range) => JSON_ACCEPT.test(range.type));
  if (jsonRanges.length === 0) {
    throw new FhirError('not-acceptable', `Accept "${accept}" asks for a format this server does not produce; it serves application/fhir+json`);
  }
  const servedRanges = jsonRanges.filter(servesVersionOf);
  if (servedRanges.length === 0) {
    throw new FhirError('not-acceptable', `Accept "${accept}" asks for FHIR version ${jsonRanges[0].fhirVersion}; ${SERVED_VERSION_TEXT}`);
  }
  const onlyPlainJson = servedRanges.every((range) => range.type === PLAIN_JSON);
  return onlyPlainJson ? PLAIN_JSON : FHIR_JSON;
}

/** Prefer header (R4 http.html#ops, RFC 7240): return, handling, respond-async. Unknown tokens are ignored. */
export function parsePrefer(header: string | undefined): InteractionRequest['prefer'] {
  const prefer: InteractionRequest['prefer'] = {};
  if (!header) return prefer;
  for (const token of header.split(/[,;]/)) {
    const [rawName, rawValue] = token.split('=').map((part) => part.trim());
    const name = rawName.toLowerCase();
    const value = rawValue?.replace(/^"|"$/g, '');
    if (name === 'return' && (value === 'minimal' || value === 'representation' || value === 'OperationOutcome')) {
      prefer.return = value as PreferReturn;
    } else if (name === 'handling' && (value === 'strict' || value === 'lenient')) {
      prefer.handling = value;
    } else if (name === 'respond-async') {
      prefer.respondAsync = true;
    }
  }
  return prefer;
}
