/**
 * npm run export -- <outdir> [--type Patient,Observation] [--since 2024-01-01T00:00:00Z] [--page-size 1000]
 *
 * A system-level Bulk Data export (Bulk Data Access IG 2.0 $export, no HTTP): one NDJSON file per resource
 * type in <outdir>, written page by page from the store configured by the FHIR_* environment (src/config.ts),
 * with a progress line (resources done, resources/s, time left). The files load back with
 * `npm run import -- <outdir>` or $import.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { FhirError } from '../fhir/errors.js';
import { readSince } from '../interactions/operations/bulk-parameters.js';
import type { ExportJob } from '../jobs/bulk-job.js';
import { DEFAULT_RUN_OPTIONS, JobInterrupted, newJobId, type JobRun } from '../jobs/bulk-job.js';
import { exportedSoFar, runExportJob } from '../jobs/export-job.js';
import { formatDuration } from '../jobs/progress.js';
import { createServerContext, publicBaseUrl } from '../jobs/server-context.js';

interface Arguments { outdir: string; types?: string[]; since?: string; pageSize: number }

const USAGE = 'usage: npm run export -- <outdir> [--type Type,...] [--since <instant>] [--page-size <n>]';

function parseArguments(argv: string[]): Arguments {
  let outdir: string | undefined;
  const args: Omit<Arguments, 'outdir'> = { pageSize: DEFAULT_RUN_OPTIONS.pageSize };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--type') args.types = [...(args.types ?? []), ...(argv[++i] ?? '').split(',').map((t) => t.trim()).filter(Boolean)];
    else if (arg === '--since') args.since = argv[++i] ?? '';
    else if (arg === '--page-size') args.pageSize = Number(argv[++i]);
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (arg.startsWith('--')) throw new ConfigError(`unknown option ${arg}\n${USAGE}`);
    else if (outdir === undefined) outdir = arg;
    else throw new ConfigError(`only one output folder may be given\n${USAGE}`);
  }
  if (!outdir) throw new ConfigError(`no output folder given\n${USAGE}`);
  if (args.types?.length === 0) throw new ConfigError('--type needs resource types, e.g. --type Patient,Observation');
  if (!Number.isInteger(args.pageSize) || args.pageSize < 1) throw new ConfigError('--page-size must be a positive integer');
  if (args.since !== undefined) {
    try {
      args.since = readSince({ _since: [args.since] });
    } catch (error) {
      throw new ConfigError(error instanceof FhirError ? error.message.replace('_since', '--since') : String(error));
    }
  }
  return { outdir: path.resolve(outdir), ...args };
}

function exportJob(config: Config, args: Arguments, now: Date): ExportJob {
  const job: ExportJob = {
    id: newJobId(), kind: 'export', state: 'running', createdAt: now.toISOString(), transactionTime: now.toISOString(),
    request: 'npm run export', baseUrl: publicBaseUrl(config), output: [], error: [],
    spec: { level: 'system', typeFilters: [], warnings: [] },
  };
  if (args.types) job.spec.types = args.types;
  if (args.since) job.spec.since = args.since;
  return job;
}

function progressLine(job: ExportJob, startedMs: number): string {
  const { done, expected } = exportedSoFar(job.progress);
  if (!job.progress) return 'planning: counting resources per type';
  const seconds = (Date.now() - startedMs) / 1000;
  const rate = seconds > 0 ? done / seconds : 0;
  const current = job.progress.types.find((type) => !job.progress!.positions[type]!.done) ?? 'done';
  const percent = expected > 0 ? (100 * done) / expected : 100;
  return `${done} of ${expected} resources (${percent.toFixed(1)}%), ${Math.round(rate)}/s, ${formatDuration(rate > 0 ? (expected - done) / rate : Number.NaN)} left, ${current}`;
}

async function main(): Promise<number> {
  let config: Config;
  let args: Arguments;
  try {
    config = loadConfig();
    args = parseArguments(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`export: ${error.message}\n`);
    return 2;
  }
  const ctx = await createServerContext(config);
  try {
    const unknown = (args.types ?? []).filter((type) => !ctx.definitions.resourceTypes.has(type));
    if (unknown.length) {
      process.stderr.write(`export: unknown resource type(s): ${unknown.join(', ')}\n`);
      return 2;
    }
    mkdirSync(args.outdir, { recursive: true });
    const job = exportJob(config, args, ctx.now());
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    const interactive = process.stderr.isTTY === true;
    const started = Date.now();
    const render = () => process.stderr.write(interactive ? `\r${progressLine(job, started)}\x1b[K` : `${progressLine(job, started)}\n`);
    const run: JobRun = {
      options: { ...DEFAULT_RUN_OPTIONS, pageSize: args.pageSize },
      outputFile: (name) => path.join(args.outdir, name),
      save: async () => {},
      signal: abort.signal,
    };
    process.stderr.write(`Exporting ${args.types?.join(', ') ?? 'every resource type'} from ${config.store} to ${args.outdir}\n`);
    const timer = setInterval(render, 500);
    try {
      await runExportJob(ctx, run, job);
    } catch (error) {
      if (error instanceof JobInterrupted) {
        process.stderr.write('\nexport: interrupted; the files in the output folder are incomplete\n');
        return 130;
      }
      throw error;
    } finally {
      clearInterval(timer);
      render();
      if (interactive) process.stderr.write('\n');
    }
    const total = job.output.reduce((sum, file) => sum + file.count, 0);
    const seconds = (Date.now() - started) / 1000;
    for (const file of job.output) process.stdout.write(`${file.type}\t${file.count}\t${path.join(args.outdir, file.file!)}\n`);
    process.stderr.write(`${total} resources in ${formatDuration(seconds)} (${Math.round(total / Math.max(seconds, 0.001))}/s), ${job.output.length} files\n`);
    return 0;
  } finally {
    await ctx.store.close();
  }
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`export failed: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
