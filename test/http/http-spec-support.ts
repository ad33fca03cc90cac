/**
 * Test support (not a test) for the http-spec-*.test.ts suites: an inject wrapper that records every
 * response, and a check that each OperationOutcome and Bundle the server returned is valid R4:
 * the server's own validator (ctx.validator) plus the Bundle invariants of R4 bundle.html#invs
 * (bdl-1..bdl-8) and the response rules of R4 http.html (errors carry an OperationOutcome in
 * application/fhir+json; charset=utf-8, search.html#Paging links and fullUrls are absolute).
 */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { TestServer } from './context.js';

export interface Recorded { request: string; status: number; contentType?: string; body: any }

export interface Recorder {
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  responses: Recorded[];
}

export function recorder(server: TestServer): Recorder {
  const responses: Recorded[] = [];
  return {
    responses,
    async inject(options) {
      const response = await server.app.inject(options);
      let body: unknown;
      try {
        body = response.body ? JSON.parse(response.body) : undefined;
      } catch {
        body = response.body;
      }
      responses.push({
        request: `${options.method ?? 'GET'} ${String(options.url)}`,
        status: response.statusCode,
        contentType: response.headers['content-type'] as string | undefined,
        body,
      });
      return response;
    },
  };
}

const ABSOLUTE = /^https?:\/\//;

/** R4 bundle.html#invs bdl-1..bdl-8, plus absolute links and fullUrls (search.html#Paging, bundle.html#bundle-unique). */
export function bundleProblems(bundle: any): string[] {
  const problems: string[] = [];
  const type: string = bundle.type;
  const entries: any[] = bundle.entry ?? [];
  if (bundle.total !== undefined && type !== 'searchset' && type !== 'history') problems.push('bdl-1: total only on searchset/history');
  for (const link of bundle.link ?? []) if (!ABSOLUTE.test(link.url)) problems.push(`link ${link.relation} is not absolute: ${link.url}`);
  const seen = new Map<string, Set<string | undefined>>();
  entries.forEach((entry, index) => {
    const at = `entry[${index}]`;
    if (entry.search !== undefined && type !== 'searchset') problems.push(`bdl-2: ${at}.search only in a searchset`);
    const needsRequest = ['batch', 'transaction', 'history'].includes(type);
    if (needsRequest !== (entry.request !== undefined)) problems.push(`bdl-3: ${at}.request ${needsRequest ? 'required' : 'prohibited'} in ${type}`);
    const needsResponse = ['batch-response', 'transaction-response', 'history'].includes(type);
    if (needsResponse !== (entry.response !== undefined)) problems.push(`bdl-4: ${at}.response ${needsResponse ? 'required' : 'prohibited'} in ${type}`);
    if (entry.resource === undefined && entry.request === undefined && entry.response === undefined) problems.push(`bdl-5: ${at} has no resource, request or response`);
    if (entry.fullUrl !== undefined) {
      if (/\/_history\//.test(entry.fullUrl)) problems.push(`bdl-8: ${at}.fullUrl is version specific`);
      if (!ABSOLUTE.test(entry.fullUrl) && !/^urn:(uuid|oid):/.test(entry.fullUrl)) problems.push(`${at}.fullUrl is not absolute`);
      const resource = entry.resource;
      if (resource?.id !== undefined && ABSOLUTE.test(entry.fullUrl) && !entry.fullUrl.endsWith(`/${resource.resourceType}/${resource.id}`)) {
        problems.push(`${at}.fullUrl ${entry.fullUrl} does not name ${resource.resourceType}/${resource.id}`);
      }
      if (type !== 'history') {
        const versions = seen.get(entry.fullUrl) ?? new Set();
        const versionId = resource?.meta?.versionId;
        if (versions.has(versionId)) problems.push(`bdl-7: ${at}.fullUrl ${entry.fullUrl} repeats with the same versionId`);
        versions.add(versionId);
        seen.set(entry.fullUrl, versions);
      }
    }
    if (type === 'searchset' && entry.resource !== undefined && entry.search?.mode === undefined) problems.push(`${at}.search.mode missing`);
    if (entry.response?.status !== undefined && !/^\d{3}( .*)?$/.test(entry.response.status)) problems.push(`${at}.response.status "${entry.response.status}" does not start with a 3-digit code`);
    if (entry.resource?.resourceType === 'Bundle') problems.push(...bundleProblems(entry.resource).map((p) => `${at}.resource: ${p}`));
  });
  return problems;
}

/** Every recorded OperationOutcome and Bundle (and every error response) checked; returns the failures. */
export function responseProblems(server: TestServer, responses: Recorded[]): string[] {
  const problems: string[] = [];
  for (const recorded of responses) {
    const where = `${recorded.request} -> ${recorded.status}`;
    const body = recorded.body;
    if (recorded.status >= 400) {
      if (body?.resourceType !== 'OperationOutcome') problems.push(`${where}: an error without an OperationOutcome body`);
      if (!/^application\/fhir\+json; charset=utf-8$/.test(recorded.contentType ?? '')) problems.push(`${where}: error Content-Type ${recorded.contentType}`);
    }
    if (body?.resourceType !== 'OperationOutcome' && body?.resourceType !== 'Bundle') continue;
    for (const issue of server.ctx.validator.validate(body)) {
      if (issue.severity === 'error' || issue.severity === 'fatal') problems.push(`${where}: invalid ${body.resourceType}: ${issue.diagnostics}`);
    }
    if (body.resourceType === 'Bundle') problems.push(...bundleProblems(body).map((p) => `${where}: ${p}`));
  }
  return problems;
}
