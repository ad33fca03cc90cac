/**
 * npm run bench [-- --engine sqlite,postgres --duration 5 --connections 1,8,32 --workloads read-by-id,search-mix,...
 *                   --postgres-url postgres://...]
 * For each engine: starts the real server (src/main.ts, demo hospital seeded, on a fresh store) and a bare Fastify
 * baseline as child processes, runs the selected workloads (in the order of WORKLOADS below, whatever the order
 * given), prints a table per engine and, for several engines, one side by side; writes bench/results/<time>-<engine>.json.
 * Workloads over ../shared/data/synthea are skipped with a message when that folder is absent.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { engineUnavailable, resolveEngine, type Engine } from './lib/engines.js';
import type { Measurement } from './lib/load.js';
import { projectRoot, residentMegabytes } from './lib/processes.js';
import { formatReport, readToBareRatios, searchToReadRatios, type BenchReport } from './lib/report.js';
import { openSession } from './lib/session.js';
import { formatSideBySide } from './lib/side-by-side.js';
import { checkTargets } from './lib/targets.js';
import { createPatient } from './workloads/create.js';
import { exportResources } from './workloads/export.js';
import { ingest } from './workloads/ingest.js';
import { ndjsonImport } from './workloads/ndjson-import.js';
import { bareRead, readById } from './workloads/read-by-id.js';
import { searchCount } from './workloads/search-count.js';
import { searchScale } from './workloads/search-scale.js';
import { searchMix } from './workloads/search-mix.js';
import { startup } from './workloads/startup.js';
import type { JobRow, Workload } from './workloads/workload.js';

/**
 * Run order: reads, searches and export before create writes to the shared server (more Patients would change the
 * searches' answers, and creates still in flight when autocannon stops would land in the middle of an export).
 */
const WORKLOADS: Workload[] = [readById, bareRead, searchMix, searchCount, searchScale, exportResources, createPatient, ingest, ndjsonImport, startup];
/** build databases of a million resources (startup), 100,000 Observations (search-count) or 50,000 Patients (search-scale): only when asked for */
const OPT_IN = new Set([startup.name, searchCount.name, searchScale.name]);

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'sqlite' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '1,8,32' },
    workloads: { type: 'string', default: WORKLOADS.filter((w) => !OPT_IN.has(w.name)).map((w) => w.name).join(',') },
    'postgres-url': { type: 'string' },
  },
});
const durationSeconds = Number(values.duration);
const connectionLevels = values.connections!.split(',').map(Number);
const requested = values.workloads!.split(',').map((name) => name.trim()).filter(Boolean);
for (const name of requested) {
  if (!WORKLOADS.some((w) => w.name === name)) throw new Error(`unknown workload "${name}"; known: ${WORKLOADS.map((w) => w.name).join(', ')}`);
}
// search-mix is reported against read-by-id of the same run
if (requested.includes('search-mix') && !requested.includes('read-by-id')) requested.push('read-by-id');
const selected = WORKLOADS.filter((workload) => requested.includes(workload.name));

/** A typical Patient: the R4 example without its id and references to resources the server does not hold. */
function typicalPatient(): Record<string, unknown> {
  const file = path.join(projectRoot, 'node_modules/hl7.fhir.r4.examples/Patient-example.json');
  const { id: _id, managingOrganization: _organization, contact, ...patient } = JSON.parse(fs.readFileSync(file, 'utf8'));
  return { ...patient, contact: (contact as Record<string, unknown>[]).map(({ organization: _o, ...rest }) => rest) };
}

const loadAverage = () => os.loadavg().map((value) => Math.round(value * 100) / 100);

async function runEngine(engine: Engine, scratchDir: string): Promise<BenchReport> {
  const loadAverageAtStart = loadAverage();
  const session = await openSession(engine, { scratchDir, durationSeconds, patient: typicalPatient() });
  const { context } = session;
  const measurements: Measurement[] = [];
  const jobs: JobRow[] = [];
  const notes: string[] = [];
  const skipped: BenchReport['skipped'] = [];
  try {
    const runnable: Workload[] = [];
    for (const workload of selected) {
      const reason = await workload.unavailable?.(context);
      if (reason) {
        process.stdout.write(`skipping ${workload.name}: ${reason}\n`);
        skipped.push({ workload: workload.name, reason });
      } else runnable.push(workload);
    }
    for (const workload of runnable) await workload.prepare?.(context);
    if (runnable.includes(bareRead)) await session.startBaseline();
    for (const workload of runnable) {
      if (workload.measure) {
        for (const connections of connectionLevels) {
          for (const measurement of await workload.measure(context, connections)) {
            process.stdout.write(`${measurement.workload} x${connections}: ${measurement.requestsPerSecond} req/s, p99 ${measurement.p99Ms} ms (load ${measurement.loadAverage})\n`);
            measurements.push(measurement);
          }
        }
      }
      if (workload.run) {
        const result = await workload.run(context);
        for (const row of result.rows) process.stdout.write(`${row.label}: ${row.resourcesPerSecond} resources/s (load ${row.loadAverage})\n`);
        jobs.push(...result.rows);
        notes.push(...result.notes);
      }
    }
    return {
      startedAt: new Date().toISOString(),
      engine: engine.kind,
      engineDescription: engine.describe(),
      durationSeconds,
      host: { cpus: os.cpus().length, node: process.version, loadAverageAtStart, loadAverageAtEnd: loadAverage() },
      server: { startupWithSeedMs: session.shared.startupMs, rssAfterSeedMb: session.rssAfterSeedMb, rssAfterRunMb: residentMegabytes(session.shared.pid) },
      measurements,
      readToBareRatio: readToBareRatios(measurements),
      searchToReadRatio: searchToReadRatios(measurements),
      jobs,
      targets: checkTargets(measurements, jobs),
      skipped,
      notes: [...session.notes, ...notes],
    };
  } finally {
    await session.close();
  }
}

function writeResult(report: BenchReport): string {
  const resultsDir = path.join(projectRoot, 'bench/results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const resultFile = path.join(resultsDir, `${report.startedAt.replace(/[:.]/g, '-')}-${report.engine}.json`);
  fs.writeFileSync(resultFile, JSON.stringify(report, null, 2) + '\n');
  return path.relative(projectRoot, resultFile);
}

async function main(): Promise<void> {
  const scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-bench-'));
  try {
    const engines = values.engine!.split(',').map((spec) => resolveEngine(spec.trim(), scratchDir, values['postgres-url']));
    const reports: BenchReport[] = [];
    for (const engine of engines) {
      const reason = await engineUnavailable(engine);
      if (reason) {
        process.stdout.write(`skipping engine ${engine.kind}: ${reason}\n`);
        continue;
      }
      const report = await runEngine(engine, scratchDir);
      process.stdout.write(`\n${formatReport(report)}\nresults: ${writeResult(report)}\n\n`);
      reports.push(report);
    }
    if (reports.length > 1) process.stdout.write(`${formatSideBySide(reports)}\n`);
  } finally {
    fs.rmSync(scratchDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
