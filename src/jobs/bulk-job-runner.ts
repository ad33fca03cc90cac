/**
 * The Bulk Data job runner: one per ServerContext (one per node), running $export and $import jobs one at a
 * time in the background. Jobs are records in the database (store.jobs, src/storage/job-port.ts), so several
 * nodes over one database share them: a kick-off on any node queues a record, and whichever runner claims it
 * first runs it under a lease (job-lease.ts) that it renews at every checkpoint. A runner claims right after a
 * kick-off on its node, after each job it finishes, and every `pollMs` when idle; a claim also takes a running
 * job whose lease lapsed (its node died), which then resumes from its last checkpoint.
 *
 * `stop()` (shutdown) interrupts the running job at its next checkpoint and releases it, so any node (this one
 * after a restart included) resumes it at once. `cancel()` (DELETE on the status URL, on any node) marks the
 * record cancelled; the owning node stops at its next checkpoint, and the files are removed.
 *
 * The HTTP routes start the runner on first registration and stop it when Fastify closes
 * (src/http/routes-operations.ts); a process without HTTP calls startBulkJobRunner(ctx) and stop().
 */
import type { ServerContext } from '../interactions/types.js';
import type { JobRecord } from '../storage/job-port.js';
import {
  BULK_JOB_KINDS, BulkJobFiles, DEFAULT_RUNNER_OPTIONS, isJobId, JobInterrupted, type BulkJob, type BulkRunnerOptions, type JobRun,
} from './bulk-job.js';
import { runExportJob } from './export-job.js';
import { HeldJob, leaseTiming, newNodeId } from './job-lease.js';
import { adoptBulkJobFiles } from './legacy-job-files.js';
import { runImportJob } from './import-job.js';

interface RunningJob { id: string; abort: AbortController; finished: Promise<void> }

/** The job as the record holds it: the payload, with the record's state (the record's is the one that counts). */
function bulkJobOf(record: JobRecord): BulkJob | undefined {
  if (!(BULK_JOB_KINDS as string[]).includes(record.kind) || record.state === 'cancelled') return undefined;
  return { ...(record.payload as BulkJob), state: record.state };
}

export class BulkJobRunner {
  readonly files: BulkJobFiles;
  readonly options: BulkRunnerOptions;
  readonly nodeId: string;
  private running: RunningJob | undefined;
  /** a claim in flight: cancel waits for it, so a job claimed just before its cancel is seen running */
  private claiming: Promise<void> | undefined;
  private stopped = false;
  private readonly poll: NodeJS.Timeout;
  private readonly adopted: Promise<void>;

  constructor(
    private readonly ctx: ServerContext,
    options: Partial<BulkRunnerOptions> = {},
    private readonly log: (message: string, error?: unknown) => void = () => {},
    private readonly onStop: () => void = () => {},
  ) {
    this.files = new BulkJobFiles(ctx.config.dataDir);
    this.options = { ...DEFAULT_RUNNER_OPTIONS, ...options };
    this.nodeId = this.options.nodeId ?? newNodeId();
    this.poll = setInterval(() => this.pump(), this.options.pollMs);
    this.poll.unref();
    this.adopted = adoptBulkJobFiles(ctx.store.jobs, this.files.root, isJobId, log).finally(() => this.pump());
  }

  /** Resolves once the jobs an older server kept as job.json files are job records (legacy-job-files.ts). */
  ready(): Promise<void> {
    return this.adopted;
  }

  /** Queues the job in the database; this node tries to claim it at once. */
  async submit(job: BulkJob): Promise<void> {
    if (this.stopped) throw new Error('the bulk job runner is stopped');
    await this.files.create(job.id);
    await this.ctx.store.jobs.create({ id: job.id, kind: job.kind, payload: job });
    this.pump();
  }

  /** The job as last saved, whichever node runs it; undefined when unknown or cancelled. */
  async get(id: string): Promise<BulkJob | undefined> {
    return (await this.find(id))?.job;
  }

  /** The job, and the fence of its latest claim (which folder holds its files: BulkJobFiles.outputDir). */
  async find(id: string): Promise<{ job: BulkJob; fence: number } | undefined> {
    await this.adopted;
    const record = await this.ctx.store.jobs.get(id);
    const job = record && bulkJobOf(record);
    return job && { job, fence: record.fence };
  }

  /**
   * Marks the job cancelled, stops it when this node runs it (another owner stops at its next checkpoint) and
   * removes its files; false when there is no such job (or it was cancelled before).
   */
  async cancel(id: string): Promise<boolean> {
    if (!(await this.get(id))) return false;
    if (!(await this.ctx.store.jobs.cancel(id))) return false;
    await this.claiming;
    if (this.running?.id === id) {
      this.running.abort.abort();
      await this.running.finished;
    }
    await this.files.remove(id);
    return true;
  }

  /** Interrupts the running job at its next checkpoint and releases it; queued jobs stay queued for any node. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poll);
    this.onStop();
    await this.adopted;
    await this.claiming;
    if (this.running) {
      this.running.abort.abort();
      await this.running.finished;
    }
  }

  private pump(): void {
    if (this.running || this.claiming || this.stopped) return;
    this.claiming = this.claimNext().finally(() => { this.claiming = undefined; });
  }

  private async claimNext(): Promise<void> {
    let record: JobRecord | undefined;
    try {
      record = await this.ctx.store.jobs.claimNext(BULK_JOB_KINDS, this.nodeId, this.options.leaseMs);
    } catch (error) {
      this.log('could not look for bulk jobs to run (will try again)', error);
      return;
    }
    if (!record) return;
    if (this.stopped) {
      await this.ctx.store.jobs.release({ id: record.id, owner: this.nodeId, fence: record.fence }).catch(() => undefined);
      return;
    }
    const job = bulkJobOf(record)!;
    if (record.fence > 1) this.log(`resuming bulk job ${job.id} (${job.kind}) from its last checkpoint`);
    const held = new HeldJob(this.ctx.store.jobs, record, this.nodeId, leaseTiming(this.options.leaseMs), this.log);
    const abort = new AbortController();
    held.lost.addEventListener('abort', () => abort.abort(), { once: true });
    const running: RunningJob = { id: job.id, abort, finished: Promise.resolve() };
    this.running = running;
    running.finished = this.run(job, held, abort.signal, record.fence).finally(() => {
      held.end();
      this.running = undefined;
      this.pump();
    });
  }

  private async run(job: BulkJob, held: HeldJob, signal: AbortSignal, fence: number): Promise<void> {
    const run: JobRun = {
      options: this.options,
      outputFile: (name) => this.files.file(job.id, name, fence),
      // a node that lost the job stops before writing anything more: the new owner may already be writing its files
      save: async () => { if (!(await held.save(job))) throw new JobInterrupted(); },
      signal,
    };
    try {
      await this.files.takeOver(job.id, fence);
      if (job.kind === 'export') await runExportJob(this.ctx, run, job);
      else await runImportJob(this.ctx, run, job);
      job.completedAt = this.ctx.now().toISOString();
      if (await held.finish('completed', { ...job, state: 'completed' })) return;
      await this.afterLoss(job.id);
    } catch (error) {
      if (error instanceof JobInterrupted || signal.aborted) return await this.afterInterruption(job, held);
      this.log(`bulk job ${job.id} failed`, error);
      const failure = (error as Error)?.message ?? String(error);
      const recorded = await held.finish('failed', { ...job, state: 'failed', failure })
        .catch((saveError: unknown) => { this.log(`could not record the failure of bulk job ${job.id}`, saveError); return true; });
      if (!recorded) await this.afterLoss(job.id);
    }
  }

  private async afterInterruption(job: BulkJob, held: HeldJob): Promise<void> {
    if (held.lost.aborted) return this.afterLoss(job.id);
    // shutdown: the checkpoint before the interruption saved the position; any node may resume from it now
    const released = await held.release().catch((error: unknown) => {
      this.log(`could not release bulk job ${job.id}; another node resumes it once its lease lapses`, error);
      return true;
    });
    if (!released) await this.afterLoss(job.id);
  }

  /** The lease was gone: the job was cancelled (its files go) or another node runs it now (its files stay). */
  private async afterLoss(id: string): Promise<void> {
    const record = await this.ctx.store.jobs.get(id).catch(() => undefined);
    if (record?.state === 'cancelled') {
      await this.files.remove(id);
      return;
    }
    this.log(`bulk job ${id} was taken over by ${record?.owner ?? 'another node'}; this node stopped running it`);
  }
}

const runners = new WeakMap<ServerContext, BulkJobRunner>();

/**
 * The context's runner, started (and claiming queued jobs and jobs with lapsed leases) on first call. Options
 * and the log apply only to the call that starts it; tests start it first with slower options.
 */
export function startBulkJobRunner(ctx: ServerContext, options: Partial<BulkRunnerOptions> = {}, log?: (message: string, error?: unknown) => void): BulkJobRunner {
  let runner = runners.get(ctx);
  if (!runner) {
    const started: BulkJobRunner = new BulkJobRunner(ctx, options, log, () => {
      if (runners.get(ctx) === started) runners.delete(ctx);
    });
    runners.set(ctx, started);
    runner = started;
  }
  return runner;
}
