/** The benchmark targets of issues 3 and 4, checked against one engine's figures (issue 5's are in side-by-side.ts). */
import type { JobRow } from '../workloads/workload.js';
import type { Measurement } from './load.js';

export interface TargetCheck { target: string; met: boolean; figure: string }

function find(measurements: Measurement[], workload: string, connections: number): Measurement | undefined {
  return measurements.find((m) => m.workload === workload && m.connections === connections);
}

function searchTargets(measurements: Measurement[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const mix = find(measurements, 'search-mix:all', 32);
  if (mix) {
    checks.push({ target: 'search mix at 32 connections >= 2,000 req/s', met: mix.requestsPerSecond >= 2000, figure: `${mix.requestsPerSecond} req/s` });
    checks.push({ target: 'search mix at 32 connections p99 < 50 ms', met: mix.p99Ms < 50, figure: `p99 ${mix.p99Ms} ms` });
  }
  const shapes = measurements.filter((m) => m.workload.startsWith('search-mix:') && m.workload !== 'search-mix:all' && m.connections === 32);
  if (shapes.length > 0) {
    const worst = shapes.reduce((a, b) => (b.p99Ms > a.p99Ms ? b : a));
    checks.push({ target: 'no search shape over 250 ms p99 (32 connections)', met: worst.p99Ms <= 250, figure: `worst ${worst.workload.slice('search-mix:'.length)} p99 ${worst.p99Ms} ms` });
  }
  const byPatient = find(measurements, 'search-mix:observation-patient-code-date', 8);
  if (byPatient) {
    checks.push({ target: 'Observation?patient=&code=&date= p99 < 5 ms at 8 connections', met: byPatient.p99Ms < 5, figure: `p99 ${byPatient.p99Ms} ms` });
  }
  const errors = measurements.filter((m) => m.workload.startsWith('search-mix:') && (m.non2xx > 0 || m.errors > 0));
  if (measurements.some((m) => m.workload.startsWith('search-mix:'))) {
    checks.push({ target: 'every search answered 2xx', met: errors.length === 0, figure: errors.length ? errors.map((m) => `${m.workload} x${m.connections}`).join(', ') : 'all 2xx' });
  }
  return checks;
}

function jobTarget(jobs: JobRow[], workload: string, floor: number, what: string): TargetCheck[] {
  const rows = jobs.filter((row) => row.workload === workload);
  if (rows.length === 0) return [];
  const best = rows.reduce((a, b) => (b.resourcesPerSecond > a.resourcesPerSecond ? b : a));
  const checks = [{ target: `${what} >= ${floor.toLocaleString('en')} resources/s`, met: best.resourcesPerSecond >= floor, figure: `best ${best.resourcesPerSecond}/s (${best.label})` }];
  const wrong = rows.filter((row) => row.countsMatch === false);
  checks.push({ target: `${what}: resource counts match the input`, met: wrong.length === 0, figure: wrong.length ? wrong.map((r) => r.label).join(', ') : 'all match' });
  return checks;
}

function countTargets(jobs: JobRow[]): TargetCheck[] {
  const rows = jobs.filter((row) => row.workload === 'search-count' && row.resources >= 100_000);
  if (rows.length === 0) return [];
  const slowest = rows.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  return [{ target: '_summary=count over 100,000 matches < 100 ms', met: slowest.seconds < 0.1, figure: `slowest ${Math.round(slowest.seconds * 1000)} ms (${slowest.label})` }];
}

export function checkTargets(measurements: Measurement[], jobs: JobRow[]): TargetCheck[] {
  return [
    ...searchTargets(measurements),
    ...countTargets(jobs),
    ...jobTarget(jobs, 'ingest', 4000, 'transaction ingest'),
    ...jobTarget(jobs, 'ndjson-import', 15000, 'NDJSON import'),
    ...jobTarget(jobs, 'export', 30000, 'export'),
  ];
}
