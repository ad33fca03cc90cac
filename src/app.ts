/**
 * buildApp(ctx): the Fastify instance serving the FHIR endpoint under config.basePath. It never listens
 * (main.ts does; tests use app.inject). One log line per request, written when the response is done.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { loadCapabilityTemplate } from './interactions/capability-template.js';
import type { ServerContext } from './interactions/types.js';
import { registerBodyParsers } from './http/body-parsers.js';
import { sendClientError, sendError, sendRouteNotFound } from './http/error-mapper.js';
import { registerOperationRoutes } from './http/routes-operations.js';
import { restRoutePatterns } from './http/route-table.js';
import { registerRestRoutes } from './http/routes.js';

export interface BuildAppOptions {
  /** false for silence, pino options, or a ready logger instance */
  logger?: boolean | Exclude<FastifyServerOptions['logger'], undefined> | FastifyBaseLogger;
}

function isLoggerInstance(logger: BuildAppOptions['logger']): logger is FastifyBaseLogger {
  return typeof logger === 'object' && logger !== null && typeof (logger as FastifyBaseLogger).info === 'function' && typeof (logger as FastifyBaseLogger).child === 'function';
}

export function buildApp(ctx: ServerContext, options: BuildAppOptions = {}): FastifyInstance {
  const logger = options.logger ?? false;
  // Above level info no request line is written: neither a per-request child logger nor the hook (~3% of a read's CPU)
  const quiet = isLoggerInstance(logger) && (logger as FastifyBaseLogger & { isLevelEnabled?(level: string): boolean }).isLevelEnabled?.('info') === false;
  const app = Fastify({
    ...(isLoggerInstance(logger) ? { loggerInstance: logger } : { logger: logger as FastifyServerOptions['logger'] }),
    ...(quiet ? { childLoggerFactory: (parent: FastifyBaseLogger) => parent } : {}),
    bodyLimit: ctx.config.bodyLimit,
    clientErrorHandler: sendClientError,
    frameworkErrors: (error, request, reply) => sendError(error, request, reply),
    disableRequestLogging: true,
    exposeHeadRoutes: false,
  }) as unknown as FastifyInstance;

  if (!quiet) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.info({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 }, 'request');
      done();
    });
  }
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) => sendRouteNotFound(request, reply));

  const template = loadCapabilityTemplate();
  app.register(async (scope) => {
    registerBodyParsers(scope);
    registerOperationRoutes(scope, ctx);
    registerRestRoutes(scope, ctx, template, restRoutePatterns(template));
  }, { prefix: ctx.config.basePath });
  return app;
}
