/** read (R4 http.html#read): GET [base]/Patient/[id] over a set of stored ids, and the same against bare Fastify. */
import { postgresMaintenanceSettled } from '../lib/engines.js';
import { cyclingPaths, runLoad } from '../lib/load.js';
import type { Workload, WorkloadContext } from './workload.js';

const READ_SET_SIZE = 1000;

async function ensurePatients(context: WorkloadContext): Promise<void> {
  const missing = context.patientIds.length < READ_SET_SIZE;
  while (context.patientIds.length < READ_SET_SIZE) {
    const response = await fetch(`${context.fhirBase}/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', prefer: 'return=representation' },
      body: JSON.stringify(context.patient),
    });
    if (response.status !== 201) throw new Error(`creating a Patient for the read set answered ${response.status}`);
    context.patientIds.push(((await response.json()) as { id: string }).id);
  }
  // the creates set off the PostgreSQL store's VACUUM ANALYZE once they pause (src/storage/postgres/statistics.ts):
  // measured at once, the reads shared the machine with it (load average 1.8 against SQLite's 1.1 in one run)
  if (missing && context.engine.kind === 'postgres' && context.engine.baseUrl) await postgresMaintenanceSettled(context.engine.baseUrl);
}

export const readById: Workload = {
  name: 'read-by-id',
  description: `GET /Patient/<id> over ${READ_SET_SIZE} stored Patients`,
  prepare: ensurePatients,
  async measure(context, connections) {
    const ids = context.patientIds.slice(0, READ_SET_SIZE);
    return [await runLoad(this.name, {
      url: context.fhirBase,
      connections,
      duration: context.durationSeconds,
      requests: cyclingPaths(ids.map((id) => `${new URL(context.fhirBase).pathname}/Patient/${id}`), { accept: 'application/fhir+json' }),
    })];
  },
};

export const bareRead: Workload = {
  name: 'bare-fastify',
  description: 'GET /Patient/<id> on a bare Fastify route serving the same JSON (baseline)',
  async measure(context, connections) {
    const paths = Array.from({ length: READ_SET_SIZE }, (_, index) => `/Patient/p${index}`);
    return [await runLoad(this.name, { url: context.bareBase, connections, duration: context.durationSeconds, requests: cyclingPaths(paths) })];
  },
};
