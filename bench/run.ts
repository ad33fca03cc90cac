/**
 * npm run bench [-- --engine sqlite|postgres://...|mongodb://... --duration 5 --connections 1,8,32 --workloads create,read-by-id,bare-fastify]
 * Starts the real server (src/main.ts, demo hospital seeded) and a bare Fastify baseline as child processes, runs
 * each workload at each concurrency with autocannon, prints a table with ratios and writes bench/results/<time>.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createPatient } from './workloads/create.js';
import { bareRead, readById } from './workloads/read-by-id.js';
import type { Workload, WorkloadContext } from './workloads/workload.js';
import type { Measurement } from './lib/load.js';
import { projectRoot, residentMegabytes, startBareServer, startFhirServer, type RunningServer } from './lib/processes.js';
import { formatReport, readToBareRatios, type BenchReport } from './lib/report.js';

const WORKLOADS: Workload[] = [createPatient, readById, bareRead];

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'sqlite' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '1,8,32' },
    workloads: { type: 'string', default: WORKLOADS.map((w) => w.name).join(',') },
  },
});
const durationSeconds = Number(values.duration);
const connectionLevels = values.connections!.split(',').map(Number);
const selected = values.workloads!.split(',').map((name) => {
  const workload = WORKLOADS.find((candidate) => candidate.name === name);
  if (!workload) throw new Error(`unknown workload "${name}"; known: ${WORKLOADS.map((w) => w.name).join(', ')}`);
  return workload;
});

/** A typical Patient: the R4 example without its id and references to resources the server does not hold. */
function typicalPatient(): Record<string, unknown> {
  const file = path.join(projectRoot, 'node_modules/hl7.fhir.r4.examples/Patient-example.json');
  const { id: _id, managingOrganization: _organization, contact, ...patient } = JSON.parse(fs.readFileSync(file, 'utf8'));
  return { ...patient, contact: (contact as Record<string, unknown>[]).map(({ organization: _o, ...rest }) => rest) };
}

async function main(): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-bench-'));
  const servers: RunningServer[] = [];
  try {
    const store = values.engine === 'sqlite' ? 'sqlite' : values.engine!;
    const fhir = await startFhirServer({ store, dataDir: path.join(scratch, 'data') });
    servers.push(fhir);
    const rssAfterSeedMb = residentMegabytes(fhir.pid);
    process.stdout.write(`server up in ${fhir.startupMs} ms (pid ${fhir.pid}, ${rssAfterSeedMb} MB)\n`);

    const context: WorkloadContext = { fhirBase: fhir.base, bareBase: '', patient: typicalPatient(), durationSeconds, patientIds: [] };
    for (const workload of selected) await workload.prepare?.(context);

    // The baseline serves byte for byte what the server answers for a read of one stored Patient.
    const sample = await fetch(`${fhir.base}/Patient/${context.patientIds[0] ?? 'pat-alice-johnson'}`);
    const payloadFile = path.join(scratch, 'patient.json');
    fs.writeFileSync(payloadFile, await sample.text());
    const bare = await startBareServer(payloadFile);
    servers.push(bare);
    context.bareBase = bare.base;

    const measurements: Measurement[] = [];
    for (const workload of selected) {
      for (const connections of connectionLevels) {
        const measurement = await workload.measure(context, connections);
        process.stdout.write(`${workload.name} x${connections}: ${measurement.requestsPerSecond} req/s, p99 ${measurement.p99Ms} ms\n`);
        measurements.push(measurement);
      }
    }

    const report: BenchReport = {
      startedAt: new Date().toISOString(),
      engine: values.engine!,
      durationSeconds,
      host: { cpus: os.cpus().length, node: process.version },
      server: { startupWithSeedMs: fhir.startupMs, rssAfterSeedMb, rssAfterRunMb: residentMegabytes(fhir.pid) },
      measurements,
      readToBareRatio: readToBareRatios(measurements),
    };
    process.stdout.write(`\n${formatReport(report)}\n`);
    const resultsDir = path.join(projectRoot, 'bench/results');
    fs.mkdirSync(resultsDir, { recursive: true });
    const resultFile = path.join(resultsDir, `${report.startedAt.replace(/[:.]/g, '-')}-${values.engine!.split(':')[0]}.json`);
    fs.writeFileSync(resultFile, JSON.stringify(report, null, 2) + '\n');
    process.stdout.write(`results: ${path.relative(projectRoot, resultFile)}\n`);
  } finally {
    for (const server of servers.reverse()) await server.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
