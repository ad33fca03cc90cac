/**
 * A benchmark workload: what it measures against a running server. New workloads (search mix over synthea,
 * transaction ingest, NDJSON import, ...) are files in this folder exporting a Workload, listed in run.ts.
 */
import type { Measurement } from '../lib/load.js';

export interface WorkloadContext {
  /** FHIR endpoint of the server under test, e.g. http://127.0.0.1:41234/fhir */
  fhirBase: string;
  /** base of the bare Fastify baseline serving the same Patient JSON at GET /Patient/:id */
  bareBase: string;
  /** a typical Patient (no id) used for create and as the baseline's payload */
  patient: Record<string, unknown>;
  durationSeconds: number;
  /** ids of Patients present on the server, filled by workloads that create them */
  patientIds: string[];
}

export interface Workload {
  name: string;
  description: string;
  /** runs once before the measurements, e.g. to load data */
  prepare?(context: WorkloadContext): Promise<void>;
  measure(context: WorkloadContext, connections: number): Promise<Measurement>;
}
