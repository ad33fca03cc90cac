/**
 * NDJSON bulk import through the import command (`npm run import`, src/cli/import.ts) into a fresh store of the
 * run's engine: one NDJSON file per resource type made from the Synthea resources (ids kept, references as
 * `Type/id`), written before the clock starts. Reports wall time (including the command's start-up), the command's
 * own rate, its peak RSS, the counts a server then finds on that store, and the ratio to a raw insert.
 *
 * The Synthea set (~12,800 resources) takes the command about as long as its start-up, so a larger load follows:
 * FHIR_BENCH_NDJSON_COPIES copies of every resource (8 by default, ~102,000 resources; 0 leaves it out), ids
 * suffixed `-c<k>`, references unchanged, imported with no writer thread and with one.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { compareCounts } from '../lib/fhir-http.js';
import { loadAverageNow, ratio, round } from '../lib/figures.js';
import { fhirEnvironment, peakResidentMegabytes, projectRoot } from '../lib/processes.js';
import { countByType, syntheaMissing, syntheaResources, type Resource } from '../lib/synthea.js';
import type { JobRow, Workload, WorkloadContext } from './workload.js';

const IMPORT_COMMAND = 'src/cli/import.ts';

function importUnavailable(): string | undefined {
  const scripts = (JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  if (!scripts.import || !fs.existsSync(path.join(projectRoot, IMPORT_COMMAND))) return `no "npm run import" (${IMPORT_COMMAND}) in this checkout`;
  return syntheaMissing();
}

/** Writes <Type>.ndjson files into `folder`, `copies` of each resource (the first with its own id); returns their total size in bytes. */
function writeNdjson(resources: readonly Resource[], folder: string, copies = 1): number {
  fs.mkdirSync(folder, { recursive: true });
  const byType = new Map<string, string[]>();
  for (const resource of resources) {
    if (!byType.has(resource.resourceType)) byType.set(resource.resourceType, []);
    const lines = byType.get(resource.resourceType)!;
    lines.push(JSON.stringify(resource));
    for (let k = 1; k < copies; k++) lines.push(JSON.stringify({ ...resource, id: `${resource.id}-c${k}` }));
  }
  let bytes = 0;
  for (const [type, lines] of byType) {
    const text = `${lines.join('\n')}\n`;
    fs.writeFileSync(path.join(folder, `${type}.ndjson`), text);
    bytes += Buffer.byteLength(text);
  }
  return bytes;
}

interface ImportRun { exitCode: number | null; seconds: number; peakRssMb?: number; stderr: string }

/** Runs the import command as `npm run import` would (node + tsx), sampling its peak RSS until it exits. */
async function runImportCommand(env: NodeJS.ProcessEnv, args: string[]): Promise<ImportRun> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', IMPORT_COMMAND, ...args], { cwd: projectRoot, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  let peakRssMb: number | undefined;
  const sampler = setInterval(() => { peakRssMb = peakResidentMegabytes(child.pid!) ?? peakRssMb; }, 100);
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  return { exitCode, seconds: (performance.now() - started) / 1000, peakRssMb, stderr };
}

const DEFAULT_COPIES = 8;

function copiesWanted(): number {
  const value = Number(process.env.FHIR_BENCH_NDJSON_COPIES ?? DEFAULT_COPIES);
  return Number.isInteger(value) && value >= 0 ? value : DEFAULT_COPIES;
}

interface ImportCase { label: string; folder: string; resources: number; expected: Map<string, number>; workers?: number }

/** one import into a fresh store, its counts then checked by a server on that store */
async function importCase(context: WorkloadContext, importCase: ImportCase, notes: string[]): Promise<JobRow[]> {
  const raw = await context.rawInsertBaseline();
  const store = await context.freshStore('ndjson-import');
  try {
    context.log(`${importCase.label}: ${importCase.resources} resources into a fresh ${context.engine.kind} store`);
    const reportFile = path.join(context.scratchDir, `import-report-${context.engine.kind}.ndjson`);
    const workers = importCase.workers === undefined ? [] : ['--workers', String(importCase.workers)];
    const run = await runImportCommand(fhirEnvironment({ store: store.store, dataDir: store.dataDir, seed: false }), ['--report', reportFile, ...workers, importCase.folder]);
    const loadAverage = loadAverageNow();
    const summary = /(\d+) resources in [^(]*\((\d+)\/s\)/.exec(run.stderr);
    const imported = summary ? Number(summary[1]) : 0;
    notes.push(`${importCase.label}: exit ${run.exitCode}; "${run.stderr.trim().split('\n').pop()?.replace(/\r/g, '').trim() ?? ''}"`);
    if (run.exitCode !== 0 && fs.existsSync(reportFile)) {
      for (const line of fs.readFileSync(reportFile, 'utf8').split('\n').filter(Boolean).slice(0, 5)) notes.push(`import issue: ${line}`);
    }
    const verifier = await context.startFreshServer('ndjson-verify', store);
    let mismatches: string[];
    try {
      mismatches = await compareCounts(verifier.server.base, importCase.expected);
      notes.push(`${importCase.label}: server start on the imported store: ${verifier.server.startupMs} ms`);
    } finally {
      await verifier.dispose();
    }
    for (const mismatch of mismatches) notes.push(`${importCase.label} count mismatch: ${mismatch}`);
    const common = {
      workload: 'ndjson-import', resources: imported, rawInsertPerSecond: raw?.resourcesPerSecond, peakRssMb: run.peakRssMb,
      countsMatch: mismatches.length === 0 && run.exitCode === 0, failures: run.exitCode === 0 ? 0 : 1, loadAverage,
    };
    const wallRate = Math.round(imported / run.seconds);
    const ownRate = summary ? Number(summary[2]) : 0;
    return [
      { ...common, label: `${importCase.label} (wall, with start-up)`, seconds: round(run.seconds), resourcesPerSecond: wallRate, ratioToRawInsert: ratio(wallRate, raw?.resourcesPerSecond) },
      { ...common, label: `${importCase.label} (as it reports)`, seconds: round(ownRate ? imported / ownRate : 0), resourcesPerSecond: ownRate, ratioToRawInsert: ratio(ownRate, raw?.resourcesPerSecond) },
    ];
  } finally {
    await store.dispose();
  }
}

export const ndjsonImport: Workload = {
  name: 'ndjson-import',
  description: 'npm run import over NDJSON files made from the Synthea resources, into a fresh store',
  unavailable: async () => importUnavailable(),
  async run(context) {
    const resources = syntheaResources();
    const folder = path.join(context.scratchDir, `ndjson-${context.engine.kind}`);
    const bytes = writeNdjson(resources, folder);
    const notes: string[] = [`ndjson input: ${resources.length} resources in ${fs.readdirSync(folder).length} files, ${(bytes / 1e6).toFixed(1)} MB`];
    const counts = countByType(resources);
    const rows = await importCase(context, { label: 'ndjson-import', folder, resources: resources.length, expected: counts }, notes);
    const copies = copiesWanted();
    if (copies > 1) {
      const large = path.join(context.scratchDir, `ndjson-x${copies}-${context.engine.kind}`);
      const largeBytes = writeNdjson(resources, large, copies);
      notes.push(`ndjson input x${copies}: ${resources.length * copies} resources, ${(largeBytes / 1e6).toFixed(1)} MB`);
      const expected = new Map([...counts].map(([type, count]) => [type, count * copies]));
      try {
        for (const workers of [0, 1]) {
          const label = `ndjson-import x${copies}, ${workers} writer thread${workers === 1 ? '' : 's'}`;
          rows.push(...await importCase(context, { label, folder: large, resources: resources.length * copies, expected, workers }, notes));
        }
      } finally {
        fs.rmSync(large, { recursive: true, force: true });
      }
    }
    return { rows, notes };
  },
};
