/**
 * Operation routes (R4 operations.html): $everything on Patient and Encounter. Fastify prefers these
 * static paths over the generic /:type/:id/:compartmentType pattern, so they can live beside it.
 *
 * POST [base] (batch/transaction) and PATCH share URLs with the generic REST routes, so they are bound
 * in route-table.ts instead: POST '/' -> batchOrTransaction (interactions/bundle-dispatch.ts) and
 * `restRoutePatterns(template, { patch })` (interactions/patch.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { everything } from '../interactions/operations/everything.js';
import type { InteractionRequest, InteractionResult, ServerContext } from '../interactions/types.js';
import { toInteractionRequest, type RouteTarget } from './interaction-request.js';
import { writeResult } from './reply.js';

type Operation = (ctx: ServerContext, req: InteractionRequest) => Promise<InteractionResult>;

function handler(ctx: ServerContext, operation: Operation, target: (request: FastifyRequest) => RouteTarget) {
  return async (request: FastifyRequest, reply: FastifyReply) =>
    writeResult(request, reply, await operation(ctx, toInteractionRequest(request, ctx.config, target(request))));
}

/** Call inside the FHIR base-path scope, after registerBodyParsers. */
export function registerOperationRoutes(app: FastifyInstance, ctx: ServerContext): void {
  for (const compartmentType of ['Patient', 'Encounter']) {
    app.route({
      method: ['GET', 'POST'],
      url: `/${compartmentType}/:id/$everything`,
      handler: handler(ctx, everything, (request) => ({ resourceType: compartmentType, id: (request.params as { id: string }).id })),
    });
  }
}
