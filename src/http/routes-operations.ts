/**
 * Operation routes (R4 operations.html): $everything on Patient and Encounter; Bulk Data (Bulk Data
 * Access IG 2.0) $export at system, Patient and Group level, $import, the job status URL and the output
 * files. Fastify prefers these static paths over the generic /:type/:id/:compartmentType pattern, so they
 * can live beside it.
 *
 * The first registration for a ServerContext starts its bulk job runner (resuming jobs a previous server
 * left unfinished); closing the Fastify instance stops it at a checkpoint, so the job resumes next start.
 *
 * POST [base] (batch/transaction) and PATCH share URLs with the generic REST routes, so they are bound
 * in route-table.ts instead: POST '/' -> batchOrTransaction (interactions/bundle-dispatch.ts) and
 * `restRoutePatterns(template, { patch })` (interactions/patch.ts).
 */
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { startBulkJobRunner } from '../jobs/bulk-job-runner.js';
import { bulkCancel, bulkFile, bulkStatus, type BulkReply } from '../interactions/operations/bulk-status.js';
import { NDJSON_CONTENT_TYPE } from '../interactions/operations/bulk-parameters.js';
import { everything } from '../interactions/operations/everything.js';
import { bulkExport } from '../interactions/operations/export.js';
import { bulkImport } from '../interactions/operations/import.js';
import type { InteractionRequest, InteractionResult, ServerContext } from '../interactions/types.js';
import { baseUrlOf, toInteractionRequest, type RouteTarget } from './interaction-request.js';
import { negotiateResponseType } from './negotiation.js';
import { writeResult } from './reply.js';

type Operation = (ctx: ServerContext, req: InteractionRequest) => Promise<InteractionResult>;

function lastQueryValue(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, string | string[] | undefined> | undefined)?.[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function handler(ctx: ServerContext, operation: Operation, target: (request: FastifyRequest) => RouteTarget) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    negotiateResponseType(lastQueryValue(request, '_format'), request.headers.accept);
    return writeResult(request, reply, await operation(ctx, toInteractionRequest(request, ctx.config, target(request))));
  };
}

/** Status replies carry their own content type: the manifest is application/json, outcomes FHIR JSON. */
function writeBulkReply(reply: FastifyReply, result: BulkReply): FastifyReply {
  reply.code(result.status);
  for (const [name, value] of Object.entries(result.headers)) reply.header(name, value);
  return result.body === undefined ? reply.send() : reply.send(JSON.stringify(result.body));
}

function registerBulkDataRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const runner = startBulkJobRunner(ctx, {}, (message, error) => (error ? app.log.error({ err: error }, message) : app.log.info(message)));
  app.addHook('onClose', async () => runner.stop());

  app.route({ method: ['GET', 'POST'], url: '/$export', handler: handler(ctx, bulkExport, () => ({})) });
  app.route({ method: ['GET', 'POST'], url: '/Patient/$export', handler: handler(ctx, bulkExport, () => ({ resourceType: 'Patient' })) });
  app.route({
    method: ['GET', 'POST'],
    url: '/Group/:id/$export',
    handler: handler(ctx, bulkExport, (request) => ({ resourceType: 'Group', id: (request.params as { id: string }).id })),
  });
  app.route({ method: 'POST', url: '/$import', handler: handler(ctx, bulkImport, () => ({})) });

  app.route({
    method: ['GET', 'DELETE'],
    url: '/$bulk-status/:jobId',
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const { jobId } = request.params as { jobId: string };
      const result = request.method === 'DELETE'
        ? await bulkCancel(ctx, jobId)
        : await bulkStatus(ctx, jobId, baseUrlOf(request, ctx.config));
      return writeBulkReply(reply, result);
    },
  });
  app.route({
    method: 'GET',
    url: '/$bulk-file/:jobId/:file',
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const { jobId, file } = request.params as { jobId: string; file: string };
      const found = await bulkFile(ctx, jobId, file);
      reply.code(200).header('content-type', NDJSON_CONTENT_TYPE).header('content-length', String(found.size));
      return reply.send(createReadStream(found.path));
    },
  });
}

/** Call inside the FHIR base-path scope, after registerBodyParsers. */
export function registerOperationRoutes(app: FastifyInstance, ctx: ServerContext): void {
  for (const compartmentType of ['Patient', 'Encounter']) {
    app.route({
      method: ['GET', 'POST'],
      url: `/${compartmentType}/:id/$everything`,
      handler: handler(ctx, everything, (request) => ({ resourceType: compartmentType, id: (request.params as { id: string }).id })),
    });
    // the type level, so that it is answered as the operation (not supported) rather than as a read of id "$everything"
    app.route({ method: ['GET', 'POST'], url: `/${compartmentType}/$everything`, handler: handler(ctx, everything, () => ({ resourceType: compartmentType })) });
  }
  registerBulkDataRoutes(app, ctx);
}
