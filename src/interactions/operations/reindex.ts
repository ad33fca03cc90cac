/**
 * $reindex (issue 3 item 7): recompute the index entries of current resources with today's search
 * parameters, without creating versions, so custom SearchParameters that changed after resources were
 * stored become searchable (R4 operations.html: an operation that affects state, invoked with POST).
 *
 *   POST [base]/$reindex                 every type (restrict with _type=A,B)
 *   POST [base]/Patient/$reindex         one type
 *   POST [base]/Patient/123/$reindex     one resource (answers at once; makes no parameter ready)
 *   POST [base]/$reindex?job=<id>        resume a job that stopped (failed, or the server stopped)
 *   GET  [base]/$reindex?job=<id>        progress of a job: 202 + X-Progress while running, 200 when done
 *   GET  [base]/$reindex                 parameters still building, and the jobs
 *
 * Without Prefer: respond-async the request runs the job to its end and answers 200 with a Parameters
 * resource (counts per type, the parameters it made searchable). With Prefer: respond-async it answers
 * 202 Accepted at once with Content-Location [base]/$reindex?job=<id>, the job runs in the background.
 * Either way the job is a record in the database (reindex-job.ts): progress is saved there after every page, any
 * node answers GET for it, and a job whose node stopped or died is resumed by another node (or the same one
 * after a restart).
 */
import { FhirError } from '../../fhir/errors.js';
import { informationalOutcome } from '../../fhir/operation-outcome.js';
import type { Resource } from '../../fhir/types.js';
import { customParametersOf } from '../../search/custom-parameters-store.js';
import type { InteractionRequest, InteractionResult, ServerContext } from '../types.js';
import { listJobs, loadJob, reindexOne, runJob, startJob, type ReindexJob, type StoredReindexJob } from './reindex-job.js';

type Parameter = { name: string; valueString?: string; valueCode?: string; valueId?: string; valueInteger?: number; valueBoolean?: boolean; part?: Parameter[] };

const sum = (job: ReindexJob, field: 'total' | 'processed' | 'updated' | 'skipped') => job.progress.reduce((n, p) => n + p[field], 0);

function building(ctx: ServerContext): Parameter[] {
  return (customParametersOf(ctx.store)?.building() ?? []).map((b) => ({ name: 'building', valueString: `${b.resourceType}.${b.code}` }));
}

/** running and no node holds it: it stopped with its node (another node, or a restart, resumes it) */
const isStopped = (job: StoredReindexJob) => job.status === 'running' && !job.leased && !job.queued;

function jobParameters(job: StoredReindexJob): Parameter[] {
  const parameters: Parameter[] = [
    { name: 'job', valueId: job.id },
    { name: 'status', valueCode: isStopped(job) ? 'stopped' : job.status },
    { name: 'scope', valueString: job.scope },
    { name: 'total', valueInteger: sum(job, 'total') },
    { name: 'processed', valueInteger: sum(job, 'processed') },
    { name: 'updated', valueInteger: sum(job, 'updated') },
    { name: 'skipped', valueInteger: sum(job, 'skipped') },
    { name: 'typesDone', valueInteger: job.progress.filter((p) => p.done).length },
    { name: 'typesTotal', valueInteger: job.progress.length },
  ];
  for (const p of job.progress) {
    if (p.total === 0 && p.processed === 0) continue;
    parameters.push({
      name: 'type', part: [
        { name: 'type', valueCode: p.type }, { name: 'total', valueInteger: p.total }, { name: 'processed', valueInteger: p.processed },
        { name: 'updated', valueInteger: p.updated }, { name: 'skipped', valueInteger: p.skipped }, { name: 'done', valueBoolean: p.done },
      ],
    });
  }
  for (const ready of job.ready) parameters.push({ name: 'ready', valueString: ready });
  if (job.error) parameters.push({ name: 'error', valueString: job.error });
  return parameters;
}

const parametersResource = (parameter: Parameter[]) => ({ resourceType: 'Parameters', parameter }) as unknown as Resource;

/** a parameter from the query or from a Parameters body */
function argument(req: InteractionRequest, name: string): string | undefined {
  const fromQuery = req.query[name]?.at(-1);
  if (fromQuery !== undefined) return fromQuery;
  const body = req.body as { resourceType?: string; parameter?: Parameter[] } | undefined;
  if (body?.resourceType !== 'Parameters') return undefined;
  const found = body.parameter?.find((p) => p.name === name);
  return found?.valueString ?? found?.valueCode ?? found?.valueId;
}

function progressHeader(job: ReindexJob): string {
  const total = sum(job, 'total');
  return `${sum(job, 'processed')} of ${total} resources (${job.progress.filter((p) => p.done).length} of ${job.progress.length} types)`;
}

function statusResult(ctx: ServerContext, job: StoredReindexJob): InteractionResult {
  const headers: Record<string, string> = job.status === 'running' ? { 'x-progress': progressHeader(job) } : {};
  return { status: job.status === 'running' && !isStopped(job) ? 202 : 200, headers, body: parametersResource([...jobParameters(job), ...building(ctx)]) };
}

function typesToIndex(ctx: ServerContext, req: InteractionRequest): { scope: string; types: string[] } {
  if (req.resourceType) return { scope: req.resourceType, types: [req.resourceType] };
  const requested = argument(req, '_type')?.split(',').map((t) => t.trim()).filter(Boolean);
  if (!requested?.length) return { scope: 'system', types: [...ctx.definitions.resourceTypes].sort() };
  const unknown = requested.filter((t) => !ctx.definitions.resourceTypes.has(t));
  if (unknown.length) throw new FhirError('invalid-parameter', `Unknown resource type(s) in _type: ${unknown.join(', ')}`, { expression: ['_type'] });
  return { scope: `system (${requested.join(',')})`, types: requested };
}

async function reindexInstance(ctx: ServerContext, resourceType: string, id: string): Promise<InteractionResult> {
  const current = await ctx.store.read(resourceType, id);
  if (!current) throw new FhirError('not-found', `${resourceType}/${id} is not known`);
  if (current.deleted) throw new FhirError('gone', `${resourceType}/${id} is deleted`);
  const updated = await reindexOne(ctx, ctx.store, current);
  return {
    status: 200, headers: {},
    body: parametersResource([
      { name: 'status', valueCode: 'completed' }, { name: 'scope', valueString: `${resourceType}/${id}` },
      { name: 'processed', valueInteger: 1 }, { name: 'updated', valueInteger: updated ? 1 : 0 },
    ]),
  };
}

export async function reindex(ctx: ServerContext, req: InteractionRequest): Promise<InteractionResult> {
  const jobId = argument(req, 'job');
  if (req.method === 'GET' || req.method === 'HEAD') {
    if (req.resourceType) throw new FhirError('method-not-allowed', '$reindex changes the index: use POST', { headers: { allow: 'POST' } });
    if (jobId === undefined) {
      const jobs = (await listJobs(ctx)).map((job): Parameter => ({ name: 'job', part: jobParameters(job) }));
      return { status: 200, headers: {}, body: parametersResource([...building(ctx), ...jobs]) };
    }
    const job = await loadJob(ctx, jobId);
    if (!job) throw new FhirError('not-found', `There is no $reindex job "${jobId}"`);
    return statusResult(ctx, job);
  }
  if (req.resourceType && req.id) return reindexInstance(ctx, req.resourceType, req.id);
  let job: ReindexJob;
  let run: Promise<StoredReindexJob>;
  if (jobId !== undefined) {
    const found = await loadJob(ctx, jobId);
    if (!found) throw new FhirError('not-found', `There is no $reindex job "${jobId}"`);
    // completed, or another node runs it: nothing to resume
    if (found.status === 'completed' || found.leased) return statusResult(ctx, found);
    job = found;
    run = runJob(ctx, job);
  } else {
    const { scope, types } = typesToIndex(ctx, req);
    ({ job, run } = await startJob(ctx, scope, types));
  }
  if (req.prefer.respondAsync) {
    run.catch(() => undefined);
    const location = `${req.baseUrl}/$reindex?job=${job.id}`;
    return {
      status: 202, headers: { 'content-location': location },
      body: informationalOutcome(`$reindex job ${job.id} started (${job.scope}); its progress is at ${location}`) as unknown as Resource,
    };
  }
  const done = await run;
  if (done.status === 'failed') {
    throw new FhirError('internal', `$reindex job ${done.id} failed: ${done.error ?? 'unknown error'}; POST $reindex?job=${done.id} resumes it`);
  }
  return statusResult(ctx, done);
}
