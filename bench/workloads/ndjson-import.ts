/**
 * NDJSON bulk import through the import command (`npm run import`, src/cli/import.ts) into a fresh store of the
 * run's engine: one NDJSON file per resource type made from the Synthea resources (ids kept, references as
 * `Type/id`), written before the clock starts. Reports wall time (including the command's start-up), the command's
 * own rate, its peak RSS, the counts a server then finds on that store, and the ratio to a raw insert.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { compareCounts } from '../lib/fhir-http.js';
import { loadAverageNow, ratio, round } from '../lib/figures.js';
import { fhirEnvironment, peakResidentMegabytes, projectRoot } from '../lib/processes.js';
import { countByType, syntheaMissing, syntheaResources, type Resource } from '../lib/synthea.js';
import type { JobRow, Workload } from './workload.js';

const IMPORT_COMMAND = 'src/cli/import.ts';

function importUnavailable(): string | undefined {
  const scripts = (JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  if (!scripts.import || !fs.existsSync(path.join(projectRoot, IMPORT_COMMAND))) return `no "npm run import" (${IMPORT_COMMAND}) in this checkout`;
  return syntheaMissing();
}

/** Writes <Type>.ndjson files into `folder`; returns their total size in bytes. */
function writeNdjson(resources: readonly Resource[], folder: string): number {
  fs.mkdirSync(folder, { recursive: true });
  const byType = new Map<string, string[]>();
  for (const resource of resources) {
    if (!byType.has(resource.resourceType)) byType.set(resource.resourceType, []);
    byType.get(resource.resourceType)!.push(JSON.stringify(resource));
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

export const ndjsonImport: Workload = {
  name: 'ndjson-import',
  description: 'npm run import over NDJSON files made from the Synthea resources, into a fresh store',
  unavailable: async () => importUnavailable(),
  async run(context) {
    const resources = syntheaResources();
    const folder = path.join(context.scratchDir, `ndjson-${context.engine.kind}`);
    const bytes = writeNdjson(resources, folder);
    const raw = await context.rawInsertBaseline();
    const store = await context.freshStore('ndjson-import');
    const notes: string[] = [`ndjson input: ${resources.length} resources in ${fs.readdirSync(folder).length} files, ${(bytes / 1e6).toFixed(1)} MB`];
    try {
      context.log(`ndjson-import: ${resources.length} resources into a fresh ${context.engine.kind} store`);
      const reportFile = path.join(context.scratchDir, `import-report-${context.engine.kind}.ndjson`);
      const run = await runImportCommand(fhirEnvironment({ store: store.store, dataDir: store.dataDir, seed: false }), ['--report', reportFile, folder]);
      const loadAverage = loadAverageNow();
      const summary = /(\d+) resources in [^(]*\((\d+)\/s\)/.exec(run.stderr);
      const imported = summary ? Number(summary[1]) : 0;
      notes.push(`import command: exit ${run.exitCode}; "${run.stderr.trim().split('\n').pop()?.replace(/\r/g, '').trim() ?? ''}"`);
      if (run.exitCode !== 0 && fs.existsSync(reportFile)) {
        for (const line of fs.readFileSync(reportFile, 'utf8').split('\n').filter(Boolean).slice(0, 5)) notes.push(`import issue: ${line}`);
      }
      const verifier = await context.startFreshServer('ndjson-verify', store);
      let mismatches: string[];
      try {
        mismatches = await compareCounts(verifier.server.base, countByType(resources));
        notes.push(`server start on the imported store: ${verifier.server.startupMs} ms`);
      } finally {
        await verifier.dispose();
      }
      for (const mismatch of mismatches) notes.push(`ndjson-import count mismatch: ${mismatch}`);
      const common = {
        workload: 'ndjson-import', resources: imported, rawInsertPerSecond: raw?.resourcesPerSecond, peakRssMb: run.peakRssMb,
        countsMatch: mismatches.length === 0 && run.exitCode === 0, failures: run.exitCode === 0 ? 0 : 1, loadAverage,
      };
      const wallRate = Math.round(imported / run.seconds);
      const ownRate = summary ? Number(summary[2]) : 0;
      const rows: JobRow[] = [
        { ...common, label: 'ndjson-import (wall, with start-up)', seconds: round(run.seconds), resourcesPerSecond: wallRate, ratioToRawInsert: ratio(wallRate, raw?.resourcesPerSecond) },
        { ...common, label: 'ndjson-import (as it reports)', seconds: round(ownRate ? imported / ownRate : 0), resourcesPerSecond: ownRate, ratioToRawInsert: ratio(ownRate, raw?.resourcesPerSecond) },
      ];
      return { rows, notes };
    } finally {
      await store.dispose();
    }
  },
};
