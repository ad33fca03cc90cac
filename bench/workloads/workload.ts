/**
 * A benchmark workload: what it measures against a running server. Workloads are files in this folder
 * exporting a Workload, listed in run.ts. Two kinds:
 *  - `measure`: an autocannon load at each connection level (create, read-by-id, search-mix), one or more rows;
 *  - `run`: a job timed once per engine (ingest, ndjson-import, export), in resources per second.
 */
import type { Engine } from '../lib/engines.js';
import type { Measurement } from '../lib/load.js';
import type { RunningServer } from '../lib/processes.js';
import type { RawInsertResult } from '../lib/raw-insert.js';
import type { SyntheaLoadResult } from '../lib/synthea-load.js';

export interface FreshServer {
  server: RunningServer;
  /** FHIR_STORE and FHIR_DATA_DIR of its store, e.g. to run the import CLI on the same store */
  store: string;
  dataDir: string;
  /** stops the server and removes its store */
  dispose(): Promise<void>;
}

export interface WorkloadContext {
  /** FHIR endpoint of the shared server under test, e.g. http://127.0.0.1:41234/fhir */
  fhirBase: string;
  /** base of the bare Fastify baseline serving the same Patient JSON at GET /Patient/:id */
  bareBase: string;
  /** a typical Patient (no id) used for create and as the baseline's payload */
  patient: Record<string, unknown>;
  durationSeconds: number;
  /** ids of Patients present on the server, filled by workloads that create them */
  patientIds: string[];
  engine: Engine;
  /** a folder removed at the end of the run */
  scratchDir: string;
  /** a store of the run's engine that no server uses yet (for the import CLI) */
  freshStore(purpose: string): Promise<{ store: string; dataDir: string; dispose(): Promise<void> }>;
  /** another server of the same engine on a fresh store, without the demo seed (or on `existing`) */
  startFreshServer(purpose: string, existing?: { store: string; dataDir: string }): Promise<FreshServer>;
  /** loads the Synthea bundles into the shared server, once per run (search-mix and export share it) */
  ensureSyntheaLoaded(): Promise<SyntheaLoadResult>;
  /** the raw-insert floor for the Synthea resources on this engine, measured once per run */
  rawInsertBaseline(): Promise<RawInsertResult | undefined>;
  log(line: string): void;
}

/** One timed job: resources moved in how long, and how that compares with a raw insert of the same JSON. */
export interface JobRow {
  workload: string;
  label: string;
  resources: number;
  seconds: number;
  resourcesPerSecond: number;
  rawInsertPerSecond?: number;
  /** resourcesPerSecond / rawInsertPerSecond */
  ratioToRawInsert?: number;
  peakRssMb?: number;
  /** true when the server's counts per type equal the input's; undefined when not checked */
  countsMatch?: boolean;
  failures: number;
  loadAverage: number;
}

export interface JobResult {
  rows: JobRow[];
  notes: string[];
}

export interface Workload {
  name: string;
  description: string;
  /** why the workload cannot run here (data or feature absent); it is then skipped with that message */
  unavailable?(context: WorkloadContext): Promise<string | undefined>;
  /** runs once before the measurements, e.g. to load data */
  prepare?(context: WorkloadContext): Promise<void>;
  measure?(context: WorkloadContext, connections: number): Promise<Measurement[]>;
  run?(context: WorkloadContext): Promise<JobResult>;
}
