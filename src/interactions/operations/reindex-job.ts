/**
 * $reindex jobs: recompute the index entries of every current resource of some types with today's search
 * parameters, creating no versions (FhirStore.reindex). A job walks each type in _id order with the store's
 * keyset cursor, one page per store transaction, and persists its position and counts after every page
 * (dataDir/search-index/jobs/<id>.json), so a job cut short by a stop resumes where it was. When a type is
 * done, the custom parameters of that type that changed before the job started become searchable
 * (custom-parameters.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { FhirError } from '../../fhir/errors.js';
import { customParametersOf } from '../../search/custom-parameters-store.js';
import type { FhirStore, StoredVersion } from '../../storage/port.js';
import type { ServerContext } from '../types.js';

export const REINDEX_PAGE = 200;

export interface TypeProgress { type: string; total: number; processed: number; updated: number; skipped: number; done: boolean }

export interface ReindexJob {
  id: string;
  status: 'running' | 'completed' | 'failed';
  /** "system", "Patient" or a system job restricted with _type */
  scope: string;
  /** the custom-parameter generation when the job started: later changes are not covered by it */
  since: number;
  createdAt: string;
  updatedAt: string;
  /** index into progress of the type being walked, and the cursor of its next page */
  position: { type: number; cursor?: string };
  progress: TypeProgress[];
  /** "Type.code" parameters this job made searchable */
  ready: string[];
  error?: string;
}

const jobsDirectory = (ctx: ServerContext) => path.join(ctx.config.dataDir, 'search-index', 'jobs');
const jobFile = (ctx: ServerContext, id: string) => path.join(jobsDirectory(ctx), `${id}.json`);

export function saveJob(ctx: ServerContext, job: ReindexJob): void {
  job.updatedAt = ctx.now().toISOString();
  fs.mkdirSync(jobsDirectory(ctx), { recursive: true });
  const file = jobFile(ctx, job.id);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(job, null, 1));
  fs.renameSync(`${file}.tmp`, file);
}

export function loadJob(ctx: ServerContext, id: string): ReindexJob | undefined {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(jobFile(ctx, id), 'utf8')) as ReindexJob;
  } catch {
    return undefined;
  }
}

export function listJobs(ctx: ServerContext): ReindexJob[] {
  let files: string[];
  try {
    files = fs.readdirSync(jobsDirectory(ctx)).filter((file) => file.endsWith('.json'));
  } catch {
    return [];
  }
  return files.flatMap((file) => loadJob(ctx, file.slice(0, -5)) ?? []).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export async function createJob(ctx: ServerContext, scope: string, types: string[]): Promise<ReindexJob> {
  const now = ctx.now().toISOString();
  const progress: TypeProgress[] = [];
  for (const type of types) {
    const page = await ctx.store.search({ types: [type], where: [], sort: [], count: 0, total: 'accurate' });
    progress.push({ type, total: page.total ?? 0, processed: 0, updated: 0, skipped: 0, done: false });
  }
  const job: ReindexJob = {
    id: randomUUID(), status: 'running', scope, since: customParametersOf(ctx.store)?.generation ?? 0,
    createdAt: now, updatedAt: now, position: { type: 0 }, progress, ready: [],
  };
  saveJob(ctx, job);
  return job;
}

/** New index entries for one current version; whether the store applied them. */
export async function reindexOne(ctx: ServerContext, store: FhirStore, version: StoredVersion): Promise<boolean> {
  if (!version.resource) return false;
  const index = ctx.searchParameters.extract(version.resource);
  return store.reindex({ resourceType: version.resourceType, id: version.id, versionId: version.versionId, index });
}

/** One page in one transaction (one commit); if the transaction fails as a whole, resource by resource. */
async function reindexPage(ctx: ServerContext, items: StoredVersion[]): Promise<boolean[]> {
  try {
    return await ctx.store.withTransaction(async (tx) => {
      const applied: boolean[] = [];
      for (const item of items) applied.push(await reindexOne(ctx, tx, item));
      return applied;
    });
  } catch {
    const applied: boolean[] = [];
    for (const item of items) applied.push(await reindexOne(ctx, ctx.store, item));
    return applied;
  }
}

const running = new WeakMap<FhirStore, Map<string, Promise<ReindexJob>>>();
/** stores shutting down: their jobs stop at the next page boundary, still "running" on disk */
const stopping = new WeakSet<FhirStore>();

/** Runs (or joins the run of) a job to its end; `stop()` true ends it at the next page boundary. */
export function runJob(ctx: ServerContext, job: ReindexJob, stop: () => boolean = () => false): Promise<ReindexJob> {
  let jobs = running.get(ctx.store);
  if (!jobs) running.set(ctx.store, (jobs = new Map()));
  const existing = jobs.get(job.id);
  if (existing) return existing;
  const run = walk(ctx, job, stop).finally(() => jobs!.delete(job.id));
  jobs.set(job.id, run);
  return run;
}

export function isRunning(ctx: ServerContext, id: string): boolean {
  return running.get(ctx.store)?.has(id) ?? false;
}

async function walk(ctx: ServerContext, job: ReindexJob, stop: () => boolean): Promise<ReindexJob> {
  const custom = customParametersOf(ctx.store);
  try {
    while (job.position.type < job.progress.length) {
      if (stop() || stopping.has(ctx.store)) return job;
      const progress = job.progress[job.position.type]!;
      let page;
      try {
        page = await ctx.store.search({ types: [progress.type], where: [], sort: [{ param: '_id', descending: false }], count: REINDEX_PAGE, total: 'none', cursor: job.position.cursor });
      } catch (error) {
        // a cursor the engine no longer accepts: the type starts over (reindexing twice is harmless)
        if (!(error instanceof FhirError) || job.position.cursor === undefined) throw error;
        job.position.cursor = undefined;
        continue;
      }
      const applied = await reindexPage(ctx, page.items);
      progress.processed += page.items.length;
      progress.updated += applied.filter(Boolean).length;
      progress.skipped += applied.filter((done) => !done).length;
      if (page.nextCursor && page.items.length > 0) {
        job.position.cursor = page.nextCursor;
      } else {
        progress.done = true;
        const ready = (await custom?.markIndexed([progress.type], job.since)) ?? [];
        job.ready.push(...ready.map((r) => `${r.resourceType}.${r.code}`));
        job.position = { type: job.position.type + 1 };
      }
      saveJob(ctx, job);
    }
    job.status = 'completed';
  } catch (error) {
    job.status = 'failed';
    job.error = (error as Error).message;
  }
  saveJob(ctx, job);
  return job;
}

/** Stops every job of the context's store at a page boundary (shutdown); they resume on the next start. */
export async function stopReindexJobs(ctx: ServerContext): Promise<void> {
  stopping.add(ctx.store);
  await Promise.allSettled([...(running.get(ctx.store)?.values() ?? [])]);
}

/**
 * Resumes, in the background, the jobs a previous server left running. Returns the function that stops
 * them (and any job started since) on shutdown; they resume on the next start.
 */
export function resumeReindexJobs(ctx: ServerContext, log: (message: string) => void = () => {}): () => Promise<void> {
  for (const job of listJobs(ctx).filter((candidate) => candidate.status === 'running')) {
    log(`resuming $reindex job ${job.id} (${job.scope}) at ${job.progress[job.position.type]?.type ?? 'its end'}`);
    runJob(ctx, job).catch(() => undefined);
  }
  return () => stopReindexJobs(ctx);
}
