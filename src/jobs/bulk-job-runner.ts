/**
 * The Bulk Data job runner: one per ServerContext, running queued $export and $import jobs one at a
 * time in the background. On start it resumes every job a previous server left queued or running (their
 * job.json holds the position); `stop()` interrupts the running job at its next checkpoint and leaves it
 * resumable. `cancel()` (DELETE on the status URL) interrupts it and removes its files.
 *
 * The HTTP routes start the runner on first registration and stop it when Fastify closes
 * (src/http/routes-operations.ts); a process without HTTP calls startBulkJobRunner(ctx) and stop().
 */
import type { ServerContext } from '../interactions/types.js';
import { BulkJobFiles, DEFAULT_RUN_OPTIONS, JobInterrupted, type BulkJob, type BulkRunOptions, type JobRun } from './bulk-job.js';
import { runExportJob } from './export-job.js';
import { runImportJob } from './import-job.js';

interface RunningJob { id: string; abort: AbortController; finished: Promise<void> }

export class BulkJobRunner {
  readonly files: BulkJobFiles;
  readonly options: BulkRunOptions;
  /** queued and running jobs, live (status polling reads their progress from here) */
  private readonly active = new Map<string, BulkJob>();
  private readonly queue: string[] = [];
  private running: RunningJob | undefined;
  private stopped = false;
  private readonly resumed: Promise<void>;

  constructor(
    private readonly ctx: ServerContext,
    options: Partial<BulkRunOptions> = {},
    private readonly log: (message: string, error?: unknown) => void = () => {},
    private readonly onStop: () => void = () => {},
  ) {
    this.files = new BulkJobFiles(ctx.config.dataDir);
    this.options = { ...DEFAULT_RUN_OPTIONS, ...options };
    this.resumed = this.resume();
  }

  /** Resolves once the jobs left by a previous server are queued again. */
  ready(): Promise<void> {
    return this.resumed;
  }

  private async resume(): Promise<void> {
    for (const job of await this.files.list()) {
      if (job.state !== 'queued' && job.state !== 'running') continue;
      this.log(`resuming bulk job ${job.id} (${job.kind}, ${job.state})`);
      this.enqueue(job);
    }
  }

  private enqueue(job: BulkJob): void {
    this.active.set(job.id, job);
    this.queue.push(job.id);
    this.pump();
  }

  async submit(job: BulkJob): Promise<void> {
    if (this.stopped) throw new Error('the bulk job runner is stopped');
    await this.files.save(job);
    this.enqueue(job);
  }

  /** The job as it is now: live while queued or running, from disk once finished. */
  async get(id: string): Promise<BulkJob | undefined> {
    return this.active.get(id) ?? (await this.files.load(id));
  }

  /** Stops the job if it runs, forgets it and removes its files; false when there is no such job. */
  async cancel(id: string): Promise<boolean> {
    const known = this.active.has(id) || (await this.files.load(id)) !== undefined;
    if (!known) return false;
    const queued = this.queue.indexOf(id);
    if (queued >= 0) this.queue.splice(queued, 1);
    if (this.running?.id === id) {
      this.running.abort.abort();
      await this.running.finished;
    }
    this.active.delete(id);
    await this.files.remove(id);
    return true;
  }

  /** Interrupts the running job at its next checkpoint; queued and interrupted jobs resume on the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.onStop();
    await this.resumed.catch(() => undefined);
    this.queue.length = 0;
    if (this.running) {
      this.running.abort.abort();
      await this.running.finished;
    }
  }

  private pump(): void {
    if (this.running || this.stopped) return;
    const id = this.queue.shift();
    if (id === undefined) return;
    const job = this.active.get(id);
    if (!job) return this.pump();
    const abort = new AbortController();
    const running: RunningJob = { id, abort, finished: Promise.resolve() };
    this.running = running;
    running.finished = this.run(job, abort.signal).finally(() => {
      this.running = undefined;
      this.pump();
    });
  }

  private async run(job: BulkJob, signal: AbortSignal): Promise<void> {
    const run: JobRun = {
      options: this.options,
      outputFile: (name) => this.files.file(job.id, name),
      save: () => this.files.save(job),
      signal,
    };
    try {
      job.state = 'running';
      await this.files.save(job);
      if (job.kind === 'export') await runExportJob(this.ctx, run, job);
      else await runImportJob(this.ctx, run, job);
      job.state = 'completed';
      job.completedAt = this.ctx.now().toISOString();
      await this.files.save(job);
    } catch (error) {
      if (error instanceof JobInterrupted || signal.aborted) return;
      this.log(`bulk job ${job.id} failed`, error);
      job.state = 'failed';
      job.failure = (error as Error)?.message ?? String(error);
      await this.files.save(job).catch((saveError: unknown) => this.log(`could not record the failure of bulk job ${job.id}`, saveError));
    } finally {
      if (job.state !== 'queued' && job.state !== 'running') this.active.delete(job.id);
    }
  }
}

const runners = new WeakMap<ServerContext, BulkJobRunner>();

/**
 * The context's runner, started (and resuming unfinished jobs) on first call. Options and the log apply
 * only to the call that starts it; tests start it first with slower options.
 */
export function startBulkJobRunner(ctx: ServerContext, options: Partial<BulkRunOptions> = {}, log?: (message: string, error?: unknown) => void): BulkJobRunner {
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
