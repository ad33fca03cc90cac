/**
 * Bulk Data jobs ($export, $import; Bulk Data Access IG 2.0, "Asynchronous Bulk Data Request Pattern"). The
 * job itself (request, state, resumable position) is a job record in the database (store.jobs, kinds
 * 'export' and 'import'; bulk-job-runner.ts), so every node answers for every job and only the node holding
 * its lease runs it. Its NDJSON files are under `<dataDir>/bulk/<jobId>/`; nodes share that directory
 * (docs/scale-out.md), so the node that takes a job over finds the files its checkpoint counts. Each later
 * claim of a job (fence 2, 3, ...) writes into a folder of its own, `fence-<n>/`, starting from a copy of the
 * previous owner's files: an owner that stalled past its lease and still writes a page cannot touch them.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Condition } from '../search/ir.js';

export type BulkJobState = 'queued' | 'running' | 'completed' | 'failed';

/** One NDJSON file of a finished job, as listed in the manifest's output or error array. */
/** One entry of a finished job's manifest: an NDJSON file of the job, or ($import output) the input it loaded. */
export interface BulkFile { type: string; file?: string; count: number; inputUrl?: string }

export interface ExportSpec {
  level: 'system' | 'patient' | 'group';
  groupId?: string;
  /** _type; undefined = every type the level allows */
  types?: string[];
  /** _since as an ISO instant */
  since?: string;
  /** _typeFilter values, "Type?query", already checked at kick-off */
  typeFilters: string[];
  /** the `patient` parameter (POST, Patient and Group level): only these patients */
  patients?: string[];
  /** OperationOutcome diagnostics for parameters ignored under Prefer: handling=lenient */
  warnings: string[];
  /** the requester's access rules (SMART), ANDed into every query of the job */
  accessConditions?: Condition[];
}

/** Where an export of one type stands: patient chunk, engine cursor, resources and bytes written. */
export interface TypePosition { chunk: number; cursor?: string; count: number; bytes: number; done: boolean }

export interface ExportProgress {
  /** fixed when the job starts, so a resumed job pages through the same plan */
  types: string[];
  patientIds?: string[];
  expected: Record<string, number>;
  positions: Record<string, TypePosition>;
}

export interface ImportInput { type: string; url: string; /** resolved local path */ path: string }

export interface InputPosition { linesDone: number; resources: number; errors: number; done: boolean }

export interface ImportProgress { inputs: InputPosition[]; errorBytes: number; totalBytes: number; bytesDone: number }

interface JobCommon {
  id: string;
  state: BulkJobState;
  createdAt: string;
  /** Bulk Data manifest transactionTime: the export holds resources as of this instant */
  transactionTime: string;
  /** the kick-off request URL, echoed in the manifest */
  request: string;
  /** base URL file links are built on */
  baseUrl: string;
  completedAt?: string;
  /** why the job failed (state failed) */
  failure?: string;
  output: BulkFile[];
  error: BulkFile[];
}

export interface ExportJob extends JobCommon { kind: 'export'; spec: ExportSpec; progress?: ExportProgress }
export interface ImportJob extends JobCommon { kind: 'import'; inputs: ImportInput[]; progress: ImportProgress }
export type BulkJob = ExportJob | ImportJob;

const JOB_ID = /^[0-9a-f-]{36}$/;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*\.ndjson$/;

export function newJobId(): string {
  return randomUUID();
}

export function isJobId(value: string): boolean {
  return JOB_ID.test(value);
}

export function isOutputFileName(value: string): boolean {
  return FILE_NAME.test(value);
}

/** The job kinds the bulk runner claims. */
export const BULK_JOB_KINDS: BulkJob['kind'][] = ['export', 'import'];

/** The output folders of the jobs, under `<dataDir>/bulk`. */
export class BulkJobFiles {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'bulk');
  }

  dir(id: string): string {
    if (!isJobId(id)) throw new Error(`not a job id: ${id}`);
    return path.join(this.root, id);
  }

  /** where the owner holding `fence` writes: the job folder for the first claim, a folder of its own for each later one */
  outputDir(id: string, fence: number): string {
    return fence <= 1 ? this.dir(id) : path.join(this.dir(id), `fence-${fence}`);
  }

  file(id: string, name: string, fence = 1): string {
    if (!isOutputFileName(name)) throw new Error(`not an output file name: ${name}`);
    return path.join(this.outputDir(id, fence), name);
  }

  async create(id: string): Promise<void> {
    await mkdir(this.dir(id), { recursive: true });
  }

  /**
   * Prepares the folder of the owner holding `fence`: a copy of the files of the latest earlier owner that
   * wrote any (the job cuts them back to its checkpoint itself), made under a temporary name and renamed, so a
   * folder that exists is complete even if this node dies while copying.
   */
  async takeOver(id: string, fence: number): Promise<void> {
    await this.create(id);
    if (fence <= 1 || (await exists(this.outputDir(id, fence)))) return;
    let source: string | undefined;
    for (let earlier = fence - 1; earlier >= 1 && source === undefined; earlier--) {
      if (await exists(this.outputDir(id, earlier))) source = this.outputDir(id, earlier);
    }
    const temporary = `${this.outputDir(id, fence)}.${randomUUID()}.tmp`;
    await mkdir(temporary);
    for (const name of source ? (await readdir(source)).filter(isOutputFileName) : []) {
      await copyFile(path.join(source!, name), path.join(temporary, name));
    }
    await rename(temporary, this.outputDir(id, fence));
  }

  async remove(id: string): Promise<void> {
    await rm(this.dir(id), { recursive: true, force: true });
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

/** Tuning of the job runner; tests slow it down to stop a job half-way. */
export interface BulkRunOptions {
  /** resources per store page (export) */
  pageSize: number;
  /** NDJSON lines per transaction (import) */
  importBatchSize: number;
  /** at most one checkpoint (job record saved, lease renewed) per this many ms (always one at the end of a type or input) */
  checkpointMs: number;
  /** pause after every page or import batch (0 in production) */
  pageDelayMs: number;
}

export const DEFAULT_RUN_OPTIONS: BulkRunOptions = { pageSize: 1000, importBatchSize: 1000, checkpointMs: 250, pageDelayMs: 0 };

/** The runner's timing on top of the job tuning. */
export interface BulkRunnerOptions extends BulkRunOptions {
  /** the lease of a running job (job-lease.ts): how long a dead node's job waits before another node takes it over */
  leaseMs: number;
  /** how often an idle runner looks for queued jobs (other nodes' kick-offs) and lapsed leases */
  pollMs: number;
  /** this node's name as a job owner; a fresh one per runner when unset */
  nodeId?: string;
}

export const DEFAULT_RUNNER_OPTIONS: BulkRunnerOptions = { ...DEFAULT_RUN_OPTIONS, leaseMs: 60_000, pollMs: 2_000 };

/** What a running job may use: where its files go, how to checkpoint, and when to stop. */
export interface JobRun {
  options: BulkRunOptions;
  /** absolute path of one of the job's output files */
  outputFile(name: string): string;
  /** persist the job as it is now (its position included); throws JobInterrupted when this node no longer holds the job */
  save(): Promise<void>;
  /** aborted on cancel, server shutdown or a lost lease: the job checkpoints and throws JobInterrupted */
  signal: AbortSignal;
  /** called after every page or batch, for progress displays */
  onProgress?(): void;
}

/** Thrown by a job that stopped at a checkpoint because its signal was aborted. */
export class JobInterrupted extends Error {
  constructor() {
    super('the job was interrupted at a checkpoint');
    this.name = 'JobInterrupted';
  }
}

/** Saves at most every `checkpointMs`, or at once when forced; throws JobInterrupted after saving on abort. */
export function checkpointer(run: JobRun): (force?: boolean) => Promise<void> {
  let last = Date.now();
  return async (force = false) => {
    const interrupted = run.signal.aborted;
    if (force || interrupted || Date.now() - last >= run.options.checkpointMs) {
      await run.save();
      last = Date.now();
    }
    run.onProgress?.();
    if (interrupted) throw new JobInterrupted();
    if (run.options.pageDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, run.options.pageDelayMs));
    else await new Promise((resolve) => setImmediate(resolve));
  };
}

/**
 * The one directory `$import` reads `file://` inputs from (no outbound fetches): `config.bulkImportDir`
 * (FHIR_BULK_IMPORT_DIR) when set, else `<dataDir>/import`.
 */
export function bulkImportDirectory(config: { dataDir: string; bulkImportDir?: string }): string {
  return path.resolve(config.bulkImportDir ?? path.join(config.dataDir, 'import'));
}
