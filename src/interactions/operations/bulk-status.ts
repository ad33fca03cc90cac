/**
 * The status URL and output files of Bulk Data jobs (Bulk Data Access IG 2.0, export.html "Bulk Data
 * Status Request", "Bulk Data Delete Request", "Bulk Data Output File Request"), for $export and $import:
 *  - GET status while queued or running: 202 with X-Progress and Retry-After;
 *  - GET status when done: 200 with the JSON manifest (transactionTime, request, requiresAccessToken,
 *    output, error), file links built on the base URL of the polling request;
 *  - GET status of a job that failed: 500 with an OperationOutcome (only a real job failure is a 5xx);
 *  - DELETE status: 202, the job record is marked cancelled (the node running it stops at its next checkpoint)
 *    and its files are removed; later polls are 404;
 *  - GET file: the NDJSON file of a completed job, streamed from disk by the HTTP layer.
 * The job is read from its record in the database (bulk-job-runner.ts), so any node answers for any job.
 */
import { stat } from 'node:fs/promises';
import { FhirError } from '../../fhir/errors.js';
import { informationalOutcome, toOperationOutcome } from '../../fhir/operation-outcome.js';
import { isJobId, isOutputFileName, type BulkFile, type BulkJob } from '../../jobs/bulk-job.js';
import { startBulkJobRunner } from '../../jobs/bulk-job-runner.js';
import { exportedSoFar } from '../../jobs/export-job.js';
import { importedSoFar } from '../../jobs/import-job.js';
import type { ServerContext } from '../types.js';
import { fileUrl } from './bulk-parameters.js';

/** seconds a client should wait before polling again */
export const RETRY_AFTER_SECONDS = 1;

/** A status answer: the manifest is plain JSON (application/json), not a FHIR resource. */
export interface BulkReply { status: number; headers: Record<string, string>; body?: unknown }

const noSuchJob = (jobId: string) =>
  new FhirError('not-found', `There is no bulk data job ${jobId} (it may have been cancelled, or never existed)`);

/** The job as its record in the database holds it, so any node answers for any job. */
async function findJob(ctx: ServerContext, jobId: string): Promise<{ job: BulkJob; fence: number }> {
  const found = isJobId(jobId) ? await startBulkJobRunner(ctx).find(jobId) : undefined;
  if (!found) throw noSuchJob(jobId);
  return found;
}

export function progressText(job: BulkJob): string {
  if (job.state === 'queued') return 'queued';
  if (job.kind === 'export') {
    const { done, expected } = exportedSoFar(job.progress);
    if (!job.progress) return 'planning the export';
    const percent = expected > 0 ? Math.floor((100 * done) / expected) : 100;
    return `${percent}% (${done} of ${expected} resources exported)`;
  }
  const { resources, errors, percent } = importedSoFar(job);
  return `${Math.floor(percent)}% of the input read (${resources} resources imported, ${errors} failed)`;
}

function manifestEntries(files: BulkFile[], baseUrl: string, jobId: string) {
  return files.map((entry) => {
    const item: Record<string, unknown> = { type: entry.type };
    if (entry.file) item.url = fileUrl(baseUrl, jobId, entry.file);
    if (entry.inputUrl) item.inputUrl = entry.inputUrl;
    item.count = entry.count;
    return item;
  });
}

export function manifest(job: BulkJob, baseUrl: string): Record<string, unknown> {
  return {
    transactionTime: job.transactionTime,
    request: job.request,
    requiresAccessToken: false,
    output: manifestEntries(job.output, baseUrl, job.id),
    error: manifestEntries(job.error, baseUrl, job.id),
  };
}

export async function bulkStatus(ctx: ServerContext, jobId: string, baseUrl: string): Promise<BulkReply> {
  const { job } = await findJob(ctx, jobId);
  switch (job.state) {
    case 'queued':
    case 'running':
      return { status: 202, headers: { 'x-progress': progressText(job), 'retry-after': String(RETRY_AFTER_SECONDS) } };
    case 'failed': {
      const outcome = toOperationOutcome([{
        severity: 'fatal', code: 'exception', errorCode: 'internal', diagnostics: `The bulk data job ${job.id} failed: ${job.failure ?? 'unknown error'}`,
      }]);
      return { status: 500, headers: { 'content-type': 'application/fhir+json; charset=utf-8' }, body: outcome };
    }
    case 'completed':
      return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: manifest(job, baseUrl) };
  }
}

export async function bulkCancel(ctx: ServerContext, jobId: string): Promise<BulkReply> {
  if (!isJobId(jobId) || !(await startBulkJobRunner(ctx).cancel(jobId))) throw noSuchJob(jobId);
  return {
    status: 202,
    headers: { 'content-type': 'application/fhir+json; charset=utf-8' },
    body: informationalOutcome(`Bulk data job ${jobId} cancelled; its files were removed`),
  };
}

/** The path and size of a listed file of a completed job. */
export async function bulkFile(ctx: ServerContext, jobId: string, name: string): Promise<{ path: string; size: number }> {
  const { job, fence } = await findJob(ctx, jobId);
  const listed = [...job.output, ...job.error].some((entry) => entry.file === name);
  if (job.state !== 'completed' || !isOutputFileName(name) || !listed) {
    throw new FhirError('not-found', `Bulk data job ${jobId} has no file "${name}"${job.state === 'completed' ? '' : ' yet: it is not complete'}`);
  }
  const path = startBulkJobRunner(ctx).files.file(jobId, name, fence);
  return { path, size: (await stat(path)).size };
}
