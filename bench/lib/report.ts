/** The results table printed after a run, and the JSON written to bench/results/. */
import type { Measurement } from './load.js';

export interface BenchReport {
  startedAt: string;
  engine: string;
  durationSeconds: number;
  host: { cpus: number; node: string };
  server: { startupWithSeedMs: number; rssAfterSeedMb?: number; rssAfterRunMb?: number };
  measurements: Measurement[];
  readToBareRatio: { connections: number; ratio: number }[];
}

export function readToBareRatios(measurements: Measurement[]): BenchReport['readToBareRatio'] {
  return measurements
    .filter((m) => m.workload === 'read-by-id')
    .flatMap((read) => {
      const bare = measurements.find((m) => m.workload === 'bare-fastify' && m.connections === read.connections);
      return bare && bare.requestsPerSecond > 0
        ? [{ connections: read.connections, ratio: Math.round((read.requestsPerSecond / bare.requestsPerSecond) * 1000) / 1000 }]
        : [];
    });
}

export function formatReport(report: BenchReport): string {
  const header = ['workload', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'errors', 'non-2xx'];
  const rows = report.measurements.map((m) => [
    m.workload, String(m.connections), String(m.requestsPerSecond), m.p50Ms.toFixed(2), m.p99Ms.toFixed(2), String(m.requests), String(m.errors), String(m.non2xx),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  const lines = [
    `engine ${report.engine}, ${report.durationSeconds} s per run, ${report.host.cpus} CPUs, Node ${report.host.node}`,
    `server start with demo hospital seed: ${report.server.startupWithSeedMs} ms; RSS after seed ${report.server.rssAfterSeedMb ?? '?'} MB, after run ${report.server.rssAfterRunMb ?? '?'} MB`,
    '',
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
    '',
    ...report.readToBareRatio.map((r) => `read-by-id / bare Fastify at ${r.connections} connections: ${(r.ratio * 100).toFixed(1)} %`),
  ];
  return lines.join('\n');
}
