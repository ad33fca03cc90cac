/**
 * $reindex jobs: recompute the index entries of every current resource of some types with today's search
 * parameters, creating no versions (FhirStore.reindex). A job walks each type in _id order with the store's
 * keyset cursor, one page per store transaction. The job is a record in the database (store.jobs, kind
 * 'reindex'; src/storage/job-port.ts): the node that runs it holds its lease and saves its position and counts
 * after every page (renewing the lease), so every node reports its progress, and a job whose node stopped or
 * died is resumed from its last page by any node (resumeReindexJobs polls for them). When a type is done, the
 * custom parameters of that type that changed before the job started become searchable (custom-parameters.ts).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { FhirError } from '../../fhir/errors.js';
import { HeldJob, leaseTiming, newNodeId, DEFAULT_LEASE_MS } from '../../jobs/job-lease.js';
import { adoptReindexJobFiles } from '../../jobs/legacy-job-files.js';
import { customParametersOf } from '../../search/custom-parameters-store.js';
import type { JobRecord } from '../../storage/job-port.js';
import type { FhirStore, StoredVersion } from '../../storage/port.js';
import type { ServerContext } from '../types.js';

export const REINDEX_PAGE = 200;
export const REINDEX_KIND = 'reindex';

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

/** A job as the database holds it: whether a node holds its lease now, and whether no node has started it yet. */
export interface StoredReindexJob extends ReindexJob { leased: boolean; queued: boolean }

/** This node as the owner of reindex jobs on one store (two contexts in one process are two nodes). */
interface ReindexNode { owner: string; leaseMs: number }
const nodes = new WeakMap<FhirStore, ReindexNode>();

function nodeOf(ctx: ServerContext): ReindexNode {
  let node = nodes.get(ctx.store);
  if (!node) nodes.set(ctx.store, (node = { owner: newNodeId(), leaseMs: DEFAULT_LEASE_MS }));
  return node;
}

function fromRecord(record: JobRecord): StoredReindexJob | undefined {
  if (record.kind !== REINDEX_KIND || record.state === 'cancelled') return undefined;
  const job = record.payload as ReindexJob;
  const status = record.state === 'completed' || record.state === 'failed' ? record.state : 'running';
  return { ...job, status, leased: record.leased, queued: record.state === 'queued' };
}

/** what is saved: the job without the view's lease flag, stamped with the time of the save */
function payloadOf(ctx: ServerContext, job: ReindexJob): ReindexJob {
  const { leased: _leased, queued: _queued, ...saved } = job as StoredReindexJob;
  saved.updatedAt = ctx.now().toISOString();
  job.updatedAt = saved.updatedAt;
  return saved;
}

export async function loadJob(ctx: ServerContext, id: string): Promise<StoredReindexJob | undefined> {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(id)) return undefined;
  const record = await ctx.store.jobs.get(id);
  return record && fromRecord(record);
}

/** every job, oldest first */
export async function listJobs(ctx: ServerContext): Promise<StoredReindexJob[]> {
  return (await ctx.store.jobs.list([REINDEX_KIND])).flatMap((record) => fromRecord(record) ?? []);
}

async function newJob(ctx: ServerContext, scope: string, types: string[]): Promise<ReindexJob> {
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
  return job;
}

/** Counts the resources of each type and queues the job; runJob (or any node's poller) runs it. */
export async function createJob(ctx: ServerContext, scope: string, types: string[]): Promise<ReindexJob> {
  const job = await newJob(ctx, scope, types);
  await ctx.store.jobs.create({ id: job.id, kind: REINDEX_KIND, payload: job });
  return job;
}

/**
 * Creates a job already held by this node and runs it here: the node a client asked is the one that indexes
 * (custom parameters become searchable in the registry of the node that ran the job), and no other node's
 * poller can take it in between.
 */
export async function startJob(ctx: ServerContext, scope: string, types: string[]): Promise<{ job: ReindexJob; run: Promise<StoredReindexJob> }> {
  const job = await newJob(ctx, scope, types);
  const node = nodeOf(ctx);
  const record = await ctx.store.jobs.create({ id: job.id, kind: REINDEX_KIND, payload: job }, { owner: node.owner, leaseMs: node.leaseMs });
  return { job, run: track(ctx, job.id, () => walkClaimed(ctx, record, () => false)) };
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

const running = new WeakMap<FhirStore, Map<string, Promise<StoredReindexJob>>>();
/** stores whose jobs are being stopped: they stop at the next page boundary and are released for any node to resume */
const stopping = new WeakSet<FhirStore>();

function track(ctx: ServerContext, id: string, start: () => Promise<StoredReindexJob>): Promise<StoredReindexJob> {
  let jobs = running.get(ctx.store);
  if (!jobs) running.set(ctx.store, (jobs = new Map()));
  const existing = jobs.get(id);
  if (existing) return existing;
  const run = start().finally(() => jobs!.delete(id));
  jobs.set(id, run);
  return run;
}

/**
 * Claims the job for this node and runs it to its end (or joins this node's run of it); `stop()` true ends it at
 * the next page boundary, released for any node to resume. When another node holds the job, or it is completed,
 * answers the job as stored without running it.
 */
export function runJob(ctx: ServerContext, job: ReindexJob, stop: () => boolean = () => false): Promise<StoredReindexJob> {
  return track(ctx, job.id, async () => {
    const node = nodeOf(ctx);
    const record = stopping.has(ctx.store) ? undefined : await ctx.store.jobs.claim(job.id, node.owner, node.leaseMs);
    if (record) return walkClaimed(ctx, record, stop);
    const stored = await loadJob(ctx, job.id);
    if (!stored) throw new FhirError('not-found', `There is no $reindex job "${job.id}"`);
    return stored;
  });
}

async function walkClaimed(ctx: ServerContext, record: JobRecord, stop: () => boolean): Promise<StoredReindexJob> {
  const node = nodeOf(ctx);
  const { leased: _leased, queued: _queued, ...job } = fromRecord(record)!;
  job.status = 'running';
  delete job.error;
  const held = new HeldJob(ctx.store.jobs, record, node.owner, leaseTiming(node.leaseMs));
  try {
    await walk(ctx, job, held, stop);
  } finally {
    held.end();
  }
  return (await loadJob(ctx, job.id)) ?? { ...job, leased: false, queued: false };
}

async function walk(ctx: ServerContext, job: ReindexJob, held: HeldJob, stop: () => boolean): Promise<void> {
  const custom = customParametersOf(ctx.store);
  try {
    while (job.position.type < job.progress.length) {
      if (held.lost.aborted) return;
      if (stop() || stopping.has(ctx.store)) {
        await held.release();
        return;
      }
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
      // lost: cancelled, or another node took the job over after this one stalled past its lease
      if (!(await held.save(payloadOf(ctx, job)))) return;
    }
    job.status = 'completed';
  } catch (error) {
    job.status = 'failed';
    job.error = (error as Error).message;
  }
  await held.finish(job.status, payloadOf(ctx, job));
}

/** Stops every job this node runs on the context's store at a page boundary (shutdown); any node resumes them. */
export async function stopReindexJobs(ctx: ServerContext): Promise<void> {
  stopping.add(ctx.store);
  try {
    await Promise.allSettled([...(running.get(ctx.store)?.values() ?? [])]);
  } finally {
    stopping.delete(ctx.store);
  }
}

export interface ReindexNodeOptions {
  /** how often an idle node looks for reindex jobs nobody runs (queued, or their node stopped or died) */
  pollMs?: number;
  /** lease of a running job: how long a dead node's job waits before another node resumes it */
  leaseMs?: number;
}

/**
 * Makes this node take part in running reindex jobs: it claims, in the background, jobs no node runs (queued,
 * released by a node that stopped, or whose node died and let its lease lapse), one at a time, now and every
 * `pollMs`. Returns the function that stops it (and any job this node runs) on shutdown; those jobs are
 * released for any node to resume.
 */
export function resumeReindexJobs(ctx: ServerContext, log: (message: string) => void = () => {}, options: ReindexNodeOptions = {}): () => Promise<void> {
  const node = nodeOf(ctx);
  if (options.leaseMs !== undefined) node.leaseMs = options.leaseMs;
  let stopped = false;
  let polling: Promise<void> | undefined;
  const claimAndRun = async () => {
    while (!stopped && !stopping.has(ctx.store)) {
      const record = await ctx.store.jobs.claimNext([REINDEX_KIND], node.owner, node.leaseMs);
      if (!record) return;
      const job = record.payload as ReindexJob;
      log(`running $reindex job ${job.id} (${job.scope}) from ${job.progress[job.position.type]?.type ?? 'its end'}`);
      await track(ctx, record.id, () => walkClaimed(ctx, record, () => stopped));
    }
  };
  const tick = () => {
    if (polling || stopped) return;
    polling = claimAndRun()
      .catch((error: unknown) => log(`could not look for $reindex jobs to run (will try again): ${(error as Error)?.message ?? String(error)}`))
      .finally(() => { polling = undefined; });
  };
  const timer = setInterval(tick, options.pollMs ?? 5_000);
  timer.unref();
  // jobs an older server kept as files under search-index/jobs become job records first
  const adopted = adoptReindexJobFiles(ctx.store.jobs, path.join(ctx.config.dataDir, 'search-index', 'jobs'), log).finally(tick);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await adopted;
    await stopReindexJobs(ctx);
    await polling;
  };
}
