/**
 * REST routes registered from capability-statement.json (R4 http.html#summary). Each URL pattern answers
 * every method: a method the pattern or the resource type does not serve is a 405 with Allow, an unknown
 * resource type a 404, so no request reaches an interaction it was not declared for.
 */
import http from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { FhirError } from '../fhir/errors.js';
import type { InteractionRequest, InteractionResult, ServerContext } from '../interactions/types.js';
import { systemInteractions, typeInteractions, type CapabilityTemplate } from '../interactions/capability-template.js';
import { isFormBody } from './body-parsers.js';
import { toInteractionRequest, type RouteTarget } from './interaction-request.js';
import { negotiateResponseType } from './negotiation.js';
import { writeResult } from './reply.js';

export type Interaction = (ctx: ServerContext, req: InteractionRequest) => Promise<InteractionResult>;

/** One method of one URL pattern: the capability code that must be declared, and the interaction. */
export interface MethodBinding {
  /** capability interaction code required; undefined = always served (metadata) */
  capability?: string;
  /** an extra condition on the type's capability entry, e.g. conditional update */
  allowed?: (resourceType: string) => boolean;
  handler: Interaction;
}

export interface RoutePattern {
  /** relative to the base path, e.g. "/:type/:id" */
  url: string;
  /** whether a resource type (from the URL) decides, through its capability entry */
  typed: boolean;
  /** URL parameters -> the interaction's target; defaults to :type, :id, :vid */
  target?: (params: RouteParams) => RouteTarget;
  methods: Partial<Record<'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH', MethodBinding>>;
  /**
   * takes its parameters as an application/x-www-form-urlencoded body (POST _search, R4 http.html#search), and no
   * other body; elsewhere a form body is a 415
   */
  formBody?: boolean;
}

/** Every method Node's HTTP parser accepts except CONNECT (a proxy's), OPTIONS, TRACE and WebDAV's included. */
const ALL_METHODS: HTTPMethods[] = http.METHODS.filter((method) => method !== 'CONNECT');

export interface RouteParams { type?: string; id?: string; vid?: string; compartmentType?: string }

export function registerRestRoutes(app: FastifyInstance, ctx: ServerContext, template: CapabilityTemplate, patterns: RoutePattern[]): void {
  for (const method of ALL_METHODS) if (!app.supportedMethods.includes(method)) app.addHttpMethod(method);
  const systemCodes = systemInteractions(template);
  const typeCodes = new Map<string, Set<string>>();
  const codesFor = (resourceType: string) => {
    let codes = typeCodes.get(resourceType);
    if (!codes) typeCodes.set(resourceType, (codes = typeInteractions(template, resourceType)));
    return codes;
  };

  for (const pattern of patterns) {
    const served = (method: string, resourceType: string | undefined): boolean => {
      const binding = pattern.methods[method as keyof RoutePattern['methods']];
      if (!binding) return false;
      if (binding.capability === undefined) return true;
      const declared = pattern.typed ? codesFor(resourceType!).has(binding.capability) : systemCodes.has(binding.capability);
      return declared && (binding.allowed?.(resourceType!) ?? true);
    };
    const allowHeader = (resourceType: string | undefined) => {
      const methods = Object.keys(pattern.methods).filter((method) => served(method, resourceType));
      if (methods.includes('GET')) methods.push('HEAD');
      return methods.join(', ');
    };
    app.route({
      method: ALL_METHODS,
      url: pattern.url,
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const params = request.params as RouteParams;
        negotiateResponseType(lastQueryValue(request, '_format'), request.headers.accept);
        // an operation this server does not serve, which the pattern would otherwise read as a type or an id
        const operation = Object.values(params).find((segment) => segment?.startsWith('$'));
        if (operation !== undefined) {
          throw new FhirError('not-found', `The operation ${operation} is not served at ${request.url.split('?')[0]} (see the CapabilityStatement's operations)`, { issueCode: 'not-supported' });
        }
        assertBodyKind(request, pattern.formBody === true);
        const target: RouteTarget = pattern.target?.(params) ?? { resourceType: params.type, id: params.id, versionId: params.vid };
        if (pattern.typed) {
          // GET [base]/Patient/123/* searches every type of the compartment (R4 compartmentdefinition.html)
          const allOfCompartment = target.compartment !== undefined && target.resourceType === '*';
          for (const resourceType of [allOfCompartment ? undefined : target.resourceType, target.compartment?.resourceType]) {
            if (resourceType !== undefined && !ctx.definitions.resourceTypes.has(resourceType)) {
              throw new FhirError('unknown-resource-type', `"${resourceType}" is not a resource type this server knows (R4 resource types are case-sensitive, e.g. Patient)`);
            }
          }
        }
        const method = request.method === 'HEAD' ? 'GET' : request.method;
        if (!served(method, target.resourceType)) {
          const what = pattern.typed ? `${target.resourceType} at ${pattern.url}` : pattern.url;
          throw new FhirError('method-not-allowed', `${request.method} is not supported for ${what}`, { headers: { allow: allowHeader(target.resourceType) } });
        }
        const binding = pattern.methods[method as keyof RoutePattern['methods']]!;
        const interactionRequest = toInteractionRequest(request, ctx.config, target);
        return writeResult(request, reply, await binding.handler(ctx, interactionRequest));
      },
    });
  }
}

/** A form body is the parameters of POST _search and nothing else's body, and POST _search takes no other body. */
function assertBodyKind(request: FastifyRequest, formBody: boolean): void {
  if (request.body === undefined || isFormBody(request.body) === formBody) return;
  throw new FhirError('invalid-content-type', formBody
    ? `POST _search takes its parameters as application/x-www-form-urlencoded, not "${request.headers['content-type'] ?? ''}"`
    : `${request.method} here takes a resource as application/fhir+json; application/x-www-form-urlencoded is for POST _search`);
}

function lastQueryValue(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}
