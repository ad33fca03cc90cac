/** Fastify request -> framework-free InteractionRequest (src/interactions/types.ts). */
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { InteractionRequest } from '../interactions/types.js';
import { isFormBody, parseForm } from './body-parsers.js';
import { parsePrefer } from './negotiation.js';

export interface RouteTarget {
  resourceType?: string;
  id?: string;
  versionId?: string;
  compartment?: { resourceType: string; id: string };
}

/** Query parameters with every repeated value kept, in order. */
export function parseQuery(url: string): Record<string, string[]> {
  const questionMark = url.indexOf('?');
  return questionMark < 0 ? {} : parseForm(url.slice(questionMark + 1));
}

export function baseUrlOf(request: FastifyRequest, config: Config): string {
  if (config.publicBaseUrl) return config.publicBaseUrl;
  return `${request.protocol}://${request.host}${config.basePath}`;
}

/** Node gives header names in lower case; only a repeated header (set-cookie) arrives as an array. */
function singleValuedHeaders(request: FastifyRequest): Record<string, string | undefined> {
  const headers = { ...request.headers };
  for (const name in headers) {
    const value = headers[name];
    if (Array.isArray(value)) headers[name] = value.join(', ');
  }
  return headers as Record<string, string | undefined>;
}

export function toInteractionRequest(request: FastifyRequest, config: Config, target: RouteTarget): InteractionRequest {
  const query = parseQuery(request.url);
  let body: unknown = request.body;
  if (isFormBody(body)) {
    for (const [name, values] of Object.entries(body.params)) (query[name] ??= []).push(...values);
    body = undefined;
  }
  const headers = singleValuedHeaders(request);
  return {
    baseUrl: baseUrlOf(request, config),
    method: request.method as InteractionRequest['method'],
    resourceType: target.resourceType,
    id: target.id,
    versionId: target.versionId,
    ...(target.compartment ? { compartment: target.compartment } : {}),
    query,
    headers,
    body,
    prefer: parsePrefer(headers.prefer),
  };
}
