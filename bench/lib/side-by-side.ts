/**
 * Several engines' reports of one `--engine a,b` run, printed side by side, with each engine's throughput as a
 * ratio of the first engine's and issue 5's targets (PostgreSQL within a factor of 2 of SQLite on every
 * workload, and ahead of it on writes at 32 connections).
 */
import { round } from './figures.js';
import { formatTable, type BenchReport } from './report.js';
import type { TargetCheck } from './targets.js';

interface Row { key: string; values: (number | undefined)[]; detail: (string | undefined)[] }

function loadRows(reports: BenchReport[]): Row[] {
  const keys = [...new Set(reports.flatMap((r) => r.measurements.map((m) => `${m.workload} x${m.connections}`)))];
  return keys.map((key) => {
    const found = reports.map((r) => r.measurements.find((m) => `${m.workload} x${m.connections}` === key));
    return { key, values: found.map((m) => m?.requestsPerSecond), detail: found.map((m) => (m ? `p99 ${m.p99Ms}` : undefined)) };
  });
}

function jobRows(reports: BenchReport[]): Row[] {
  const keys = [...new Set(reports.flatMap((r) => r.jobs.map((j) => j.label)))];
  return keys.map((key) => {
    const found = reports.map((r) => r.jobs.find((j) => j.label === key));
    return { key, values: found.map((j) => j?.resourcesPerSecond), detail: found.map((j) => (j ? percent(j.ratioToRawInsert) : undefined)) };
  });
}

function percent(value: number | undefined): string | undefined {
  return value === undefined ? undefined : `${(value * 100).toFixed(1)}% raw`;
}

function table(reports: BenchReport[], rows: Row[], unit: string, firstColumn: string): string[] {
  const engines = reports.map((r) => r.engine);
  const header = [firstColumn, ...engines.flatMap((engine) => [`${engine} ${unit}`, '']), ...engines.slice(1).map((engine) => `${engine}/${engines[0]}`)];
  const body = rows.map((row) => [
    row.key,
    ...row.values.flatMap((value, index) => [value === undefined ? '-' : String(value), row.detail[index] ?? '']),
    ...row.values.slice(1).map((value) => (value !== undefined && row.values[0] ? round(value / row.values[0], 2).toFixed(2) : '-')),
  ]);
  return formatTable(header, body);
}

function postgresTargets(reports: BenchReport[]): TargetCheck[] {
  const sqliteIndex = reports.findIndex((r) => r.engine === 'sqlite');
  const postgresIndex = reports.findIndex((r) => r.engine === 'postgres');
  if (sqliteIndex < 0 || postgresIndex < 0) return [];
  const rows = [...loadRows(reports), ...jobRows(reports)].filter((row) => !row.key.startsWith('bare-fastify'));
  const compared = rows.filter((row) => row.values[sqliteIndex] && row.values[postgresIndex] !== undefined);
  const slow = compared.filter((row) => row.values[postgresIndex]! * 2 < row.values[sqliteIndex]!);
  const checks: TargetCheck[] = [{
    target: 'PostgreSQL within a factor of 2 of SQLite on every workload',
    met: slow.length === 0,
    figure: slow.length ? `slower than half on: ${slow.map((row) => `${row.key} (${round(row.values[postgresIndex]! / row.values[sqliteIndex]!, 2)})`).join(', ')}` : `${compared.length} rows compared`,
  }];
  for (const key of ['create x32', 'ingest x4']) {
    const row = compared.find((candidate) => candidate.key === key);
    if (row) {
      checks.push({ target: `PostgreSQL ahead of SQLite on ${key}`, met: row.values[postgresIndex]! > row.values[sqliteIndex]!, figure: `${row.values[postgresIndex]} vs ${row.values[sqliteIndex]}` });
    }
  }
  return checks;
}

export function formatSideBySide(reports: BenchReport[]): string {
  const loads = loadRows(reports);
  const jobs = jobRows(reports);
  const lines = [`side by side: ${reports.map((r) => `${r.engine} (load average ${r.host.loadAverageAtStart[0]} -> ${r.host.loadAverageAtEnd[0]})`).join(', ')}`];
  if (loads.length > 0) lines.push('', ...table(reports, loads, 'req/s', 'load'));
  if (jobs.length > 0) lines.push('', ...table(reports, jobs, 'res/s', 'job'));
  const targets = postgresTargets(reports);
  if (targets.length > 0) lines.push('', 'targets (issue 5):', ...targets.map((t) => `  ${t.met ? 'met    ' : 'MISSED '} ${t.target}: ${t.figure}`));
  return lines.join('\n');
}
