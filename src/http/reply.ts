/**
 * Writing responses: resources are serialised with plain JSON.stringify (no Fastify response schemas,
 * which would drop extensions), in the negotiated JSON media type, indented when `_pretty=true`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Resource } from '../fhir/types.js';
import type { InteractionResult } from '../interactions/types.js';
import { serializeBody } from '../response/raw-json.js';
import { FHIR_JSON, negotiateResponseType } from './negotiation.js';

function queryValue(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, string | string[] | undefined> | undefined)?.[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function responseType(request: FastifyRequest): string {
  try {
    return negotiateResponseType(queryValue(request, '_format'), request.headers.accept);
  } catch {
    // the 406 itself (and any error found before negotiation) is still answered in FHIR JSON
    return FHIR_JSON;
  }
}

const pretty = (request: FastifyRequest) => queryValue(request, '_pretty') === 'true';

function writeJson(request: FastifyRequest, reply: FastifyReply, status: number, json: string): FastifyReply {
  reply.code(status);
  reply.header('content-type', `${responseType(request)}; charset=utf-8`);
  return reply.send(json);
}

export function writeResource(request: FastifyRequest, reply: FastifyReply, status: number, body: Resource | undefined): FastifyReply {
  if (body === undefined || status === 204 || status === 304) return reply.code(status).send();
  return writeJson(request, reply, status, serializeBody(body, pretty(request)));
}

export function writeResult(request: FastifyRequest, reply: FastifyReply, result: InteractionResult): FastifyReply {
  for (const [name, value] of Object.entries(result.headers)) reply.header(name, value);
  // the stored text is looked at before `body`, whose getter would give it up
  const text = result.bodyText;
  if (text !== undefined && !pretty(request)) return writeJson(request, reply, result.status, text);
  return writeResource(request, reply, result.status, result.body);
}
