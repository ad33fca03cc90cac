/**
 * Background jobs ($export, $import, $reindex) coordinated through the database, so that several server
 * nodes over one database never run the same job (docs/scale-out.md "Background jobs"). A job is one record:
 * its kind, its state, an opaque JSON payload (the request and its resumable position), and, while a node
 * runs it, that node's lease.
 *
 * Every change that matters is one conditional statement in the database (UPDATE ... WHERE, or
 * findOneAndUpdate), so of two nodes racing for a job exactly one wins:
 *  - claim: a queued job, or a running job whose lease lapsed (its node died or stopped), becomes running
 *    with the claimer as owner, a lease of `leaseMs` and the fence incremented;
 *  - renew / finish / release: only while the caller still holds the lease it claimed (same owner and fence,
 *    state running). A false answer means the job was taken over or cancelled: the caller must stop.
 * Lease times are the database's clock, never a node's, so nodes with skewed clocks still agree.
 * Each call commits on its own and never joins a withTransaction; call it outside one (on SQLite, inside one
 * it would wait for the writer lock that very transaction holds).
 */

export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface JobRecord {
  id: string;
  /** which runner takes the job: 'export', 'import', 'reindex' */
  kind: string;
  state: JobState;
  /** the job's own JSON (request, progress, resumable position), as last saved */
  payload: unknown;
  /** the node that holds or last held the lease; undefined when released or never claimed */
  owner?: string;
  /** incremented by every claim: a lease is (owner, fence), so a node that lost the job cannot save over the next owner */
  fence: number;
  /** true while some node holds an unexpired lease (judged by the database clock) */
  leased: boolean;
  /** epoch ms, database clock */
  createdAt: number;
  updatedAt: number;
}

/** What a node holds after a successful claim. */
export interface JobLease {
  id: string;
  owner: string;
  fence: number;
}

export interface NewJob {
  id: string;
  kind: string;
  payload: unknown;
}

/** the node a new job starts held by, for a job that must run where it was asked for */
export interface JobHolder {
  owner: string;
  leaseMs: number;
}

export interface JobStore {
  /** records a job, queued, or with `holder` already running under that node's lease (fence 1); throws if the id exists */
  create(job: NewJob, holder?: JobHolder): Promise<JobRecord>;
  get(id: string): Promise<JobRecord | undefined>;
  /** jobs of these kinds in every state but cancelled, oldest first */
  list(kinds: string[]): Promise<JobRecord[]>;
  /** atomically takes the oldest queued job of these kinds, or a running one whose lease lapsed */
  claimNext(kinds: string[], owner: string, leaseMs: number): Promise<JobRecord | undefined>;
  /** atomically takes this job if it is queued, failed (a retry), or running with a lapsed lease */
  claim(id: string, owner: string, leaseMs: number): Promise<JobRecord | undefined>;
  /** extends the lease by leaseMs from now, saving the payload when given; false when the lease is lost */
  renew(lease: JobLease, leaseMs: number, payload?: unknown): Promise<boolean>;
  /** ends the job with its final payload; false when the lease is lost (nothing is written then) */
  finish(lease: JobLease, state: 'completed' | 'failed', payload: unknown): Promise<boolean>;
  /** gives the lease up at once (graceful stop): still running, any node resumes it from the last renew's payload */
  release(lease: JobLease): Promise<boolean>;
  /** marks the job cancelled (its owner stops at its next renew); false when unknown or already cancelled */
  cancel(id: string): Promise<boolean>;
}
