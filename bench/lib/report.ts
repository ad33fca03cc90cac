/** The results of one engine's run: the tables printed after it, and the JSON written to bench/results/. */
import type { JobRow } from '../workloads/workload.js';
import { round } from './figures.js';
import type { Measurement } from './load.js';
import type { TargetCheck } from './targets.js';

export interface BenchReport {
  startedAt: string;
  engine: string;
  engineDescription: string;
  durationSeconds: number;
  host: { cpus: number; node: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  server: { startupWithSeedMs: number; rssAfterSeedMb?: number; rssAfterRunMb?: number };
  measurements: Measurement[];
  readToBareRatio: { connections: number; ratio: number }[];
  /** each search row's req/s over read-by-id's at the same connection level */
  searchToReadRatio: { workload: string; connections: number; ratio: number }[];
  jobs: JobRow[];
  targets: TargetCheck[];
  skipped: { workload: string; reason: string }[];
  notes: string[];
}

export function readToBareRatios(measurements: Measurement[]): BenchReport['readToBareRatio'] {
  return measurements
    .filter((m) => m.workload === 'read-by-id')
    .flatMap((read) => {
      const bare = measurements.find((m) => m.workload === 'bare-fastify' && m.connections === read.connections);
      return bare && bare.requestsPerSecond > 0 ? [{ connections: read.connections, ratio: round(read.requestsPerSecond / bare.requestsPerSecond, 3) }] : [];
    });
}

export function searchToReadRatios(measurements: Measurement[]): BenchReport['searchToReadRatio'] {
  return measurements
    .filter((m) => m.workload.startsWith('search-mix:'))
    .flatMap((search) => {
      const read = measurements.find((m) => m.workload === 'read-by-id' && m.connections === search.connections);
      return read && read.requestsPerSecond > 0
        ? [{ workload: search.workload, connections: search.connections, ratio: round(search.requestsPerSecond / read.requestsPerSecond, 3) }]
        : [];
    });
}

/** Columns padded to their widest cell; the first column left-aligned, the others right-aligned. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
}

export function percent(value: number | undefined): string {
  return value === undefined ? '-' : `${(value * 100).toFixed(1)} %`;
}

function measurementTable(report: BenchReport): string[] {
  const header = ['workload', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'errors', 'non-2xx', 'vs read-by-id', 'load 1m'];
  const rows = report.measurements.map((m) => {
    const toRead = report.searchToReadRatio.find((r) => r.workload === m.workload && r.connections === m.connections)?.ratio;
    return [
      m.workload, String(m.connections), String(m.requestsPerSecond), m.p50Ms.toFixed(2), m.p99Ms.toFixed(2),
      String(m.requests), String(m.errors), String(m.non2xx), percent(toRead), m.loadAverage.toFixed(2),
    ];
  });
  return formatTable(header, rows);
}

function jobTable(jobs: JobRow[]): string[] {
  const header = ['job', 'resources', 'seconds', 'resources/s', 'raw insert/s', 'vs raw', 'peak RSS MB', 'counts', 'load 1m'];
  const rows = jobs.map((row) => [
    row.label, String(row.resources), row.seconds.toFixed(2), String(row.resourcesPerSecond), String(row.rawInsertPerSecond ?? '-'),
    percent(row.ratioToRawInsert), String(row.peakRssMb ?? '-'), row.countsMatch === undefined ? '-' : row.countsMatch ? 'match' : 'WRONG',
    row.loadAverage.toFixed(2),
  ]);
  return formatTable(header, rows);
}

export function formatReport(report: BenchReport): string {
  const lines = [
    `engine ${report.engine}: ${report.engineDescription}`,
    `${report.durationSeconds} s per load run, ${report.host.cpus} CPUs, Node ${report.host.node}, load average ` +
      `${report.host.loadAverageAtStart.join(' ')} at start, ${report.host.loadAverageAtEnd.join(' ')} at end`,
    `server start with demo hospital seed: ${report.server.startupWithSeedMs} ms; RSS after seed ${report.server.rssAfterSeedMb ?? '?'} MB, after run ${report.server.rssAfterRunMb ?? '?'} MB`,
  ];
  if (report.measurements.length > 0) lines.push('', ...measurementTable(report));
  lines.push(...report.readToBareRatio.map((r) => `read-by-id / bare Fastify at ${r.connections} connections: ${percent(r.ratio)}`));
  if (report.jobs.length > 0) lines.push('', ...jobTable(report.jobs));
  if (report.targets.length > 0) lines.push('', 'targets:', ...report.targets.map((t) => `  ${t.met ? 'met    ' : 'MISSED '} ${t.target}: ${t.figure}`));
  if (report.skipped.length > 0) lines.push('', ...report.skipped.map((s) => `skipped ${s.workload}: ${s.reason}`));
  if (report.notes.length > 0) lines.push('', ...report.notes);
  return lines.join('\n');
}
