/**
 * A job this node claimed (store.jobs, src/storage/job-port.ts) and holds while it runs: the lease is renewed
 * at every checkpoint with the job's position, and in between by a heartbeat, so a page or batch that takes
 * longer than a checkpoint interval does not let the lease lapse. When a renewal finds the lease gone (the job
 * was cancelled, or another node took it over after this one stalled past the lease), `lost` is aborted and
 * every later save answers false: the job must stop at once and write nothing more.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { JobLease, JobRecord, JobStore } from '../storage/job-port.js';

export interface LeaseTiming {
  /** how long a claim or renewal holds the job; another node takes it over once this passes without a renewal */
  leaseMs: number;
  /** heartbeat period (renewal without a checkpoint), well inside the lease */
  heartbeatMs: number;
}

export const DEFAULT_LEASE_MS = 60_000;

export function leaseTiming(leaseMs: number = DEFAULT_LEASE_MS): LeaseTiming {
  return { leaseMs, heartbeatMs: Math.max(10, Math.floor(leaseMs / 3)) };
}

/** This process as a job owner: host and pid for the operator, a random part so a restarted pid never matches. */
export function newNodeId(): string {
  return `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export class HeldJob {
  readonly lease: JobLease;
  private readonly lostController = new AbortController();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly jobs: JobStore,
    record: JobRecord,
    owner: string,
    private readonly timing: LeaseTiming,
    private readonly log: (message: string, error?: unknown) => void = () => {},
  ) {
    this.lease = { id: record.id, owner, fence: record.fence };
    this.heartbeat = setInterval(() => void this.renew(undefined).catch((error: unknown) => this.log(`could not renew the lease of job ${record.id}`, error)), timing.heartbeatMs);
    this.heartbeat.unref();
  }

  /** aborted once a renewal found the lease gone */
  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  /** checkpoint: saves the payload and renews the lease; false when the lease is gone (nothing was saved) */
  save(payload: unknown): Promise<boolean> {
    return this.renew(payload);
  }

  private async renew(payload: unknown): Promise<boolean> {
    if (this.lost.aborted) return false;
    const held = await this.jobs.renew(this.lease, this.timing.leaseMs, payload);
    if (!held) this.lose();
    return held;
  }

  async finish(state: 'completed' | 'failed', payload: unknown): Promise<boolean> {
    this.end();
    if (this.lost.aborted) return false;
    return this.jobs.finish(this.lease, state, payload);
  }

  /** gives the job back (shutdown): any node, this one after a restart included, resumes it from the last save */
  async release(): Promise<boolean> {
    this.end();
    if (this.lost.aborted) return false;
    return this.jobs.release(this.lease);
  }

  /** stops the heartbeat; the lease lapses on its own */
  end(): void {
    clearInterval(this.heartbeat);
  }

  private lose(): void {
    this.end();
    this.lostController.abort();
  }
}
