/**
 * Content negotiation (R4 http.html#mime-type, #format): JSON only. `_format` wins over Accept.
 * XML (or any other format) asked for explicitly is a 406; a body in another media type is a 415
 * (raised by Fastify's content-type parsing, mapped in error-mapper.ts).
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

function negotiate(format: string | undefined, accept: string | undefined): string {
  if (format !== undefined) {
    const mediaType = FORMAT_ALIASES[format.split(';')[0].trim().toLowerCase()];
    if (!mediaType) throw new FhirError('not-acceptable', `_format "${format}" is not supported; this server speaks JSON (json, application/fhir+json, application/json)`);
    return mediaType;
  }
  if (!accept || !accept.trim()) return FHIR_JSON;
  const stated = accept.split(',').map((range) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return { type, quality: q ? Number(q.slice(2)) : 1 };
  }).filter((range) => range.type);
  if (stated.length === 0) return FHIR_JSON;
  // RFC 7231 5.3.1: q=0 means "not acceptable", so an Accept of only such ranges accepts nothing we produce
  const ranges = stated.filter((range) => range.quality > 0);
  const jsonRanges = ranges.filter((range) => JSON_ACCEPT.test(range.type));
  if (jsonRanges.length === 0) {
    throw new FhirError('not-acceptable', `Accept "${accept}" asks for a format this server does not produce; it serves application/fhir+json`);
  }
  const onlyPlainJson = jsonRanges.every((range) => range.type === PLAIN_JSON);
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
