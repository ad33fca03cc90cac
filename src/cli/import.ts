/**
 * npm run import -- [--report <file>] [--batch-size <n>] [--workers <n>] <files or folders>...
 *
 * Loads Bundles (.json, through the transaction/batch interactions) and NDJSON (.ndjson, streamed in
 * transactions of --batch-size lines, imported by --workers threads) into the store configured by the FHIR_* environment (src/config.ts).
 * Shows a progress line, writes every failed entry or line to the report file (NDJSON), and exits 1
 * when anything failed. Re-running it creates no duplicates (see src/jobs/import-runner.ts).
 */
import { createWriteStream, statSync, unlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { createServerContext, publicBaseUrl } from '../jobs/server-context.js';
import { importJsonFile, importNdjsonFiles, listImportFiles, type ImportIssue } from '../jobs/import-runner.js';
import { startImportWriters } from '../jobs/import-writers.js';
import { Progress, formatDuration } from '../jobs/progress.js';
import type { ServerContext } from '../interactions/types.js';

const isNdjson = (file: string) => /\.ndjson$/i.test(file);

async function holdsSearchParameters(ctx: ServerContext): Promise<boolean> {
  return ((await ctx.store.search({ types: ['SearchParameter'], where: [], sort: [], count: 0, total: 'accurate' })).total ?? 0) > 0;
}

/** `workers` undefined: chosen from the cores and the size of the load (defaultWorkers) */
interface Arguments { paths: string[]; report: string; batchSize: number; workers?: number }

const USAGE = 'usage: npm run import -- [--report <file>] [--batch-size <n>] [--workers <n>] <files or folders>...';

/**
 * Threads that, like this one, each prepare and write chunks (import-writers.ts): preparing one chunk overlaps writing
 * another. Each holds its own definitions, registry and store connection (~0.5 s of CPU to start, ~300 MB at its
 * peak), so one pays for itself on two cores only over a long load. Measured on two cores, Synthea NDJSON into SQLite:
 * 12,789 resources (16.5 MB) 5,556/s alone, 4,797/s with one thread; 38,367 (48 MB) 6,317 and 6,510/s;
 * 102,312 (133 MB) 6,412 and 7,472-8,175/s. A second thread added nothing on two cores.
 */
function defaultWorkers(ndjsonBytes: number): number {
  const spare = Math.max(0, Math.min(4, availableParallelism() - 2));
  if (spare > 0) return spare;
  return availableParallelism() >= 2 && ndjsonBytes >= LONG_LOAD_BYTES ? 1 : 0;
}

const LONG_LOAD_BYTES = 64e6;

/** NDJSON lines are guessed from file sizes (Synthea's average 1,250 bytes), only to judge whether a load is large */
const ESTIMATED_BYTES_PER_LINE = 1000;

function parseArguments(argv: string[]): Arguments {
  const args: Arguments = { paths: [], report: `import-report-${new Date().toISOString().replace(/[:.]/g, '-')}.ndjson`, batchSize: 1000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--report') args.report = argv[++i] ?? '';
    else if (arg === '--batch-size') args.batchSize = Number(argv[++i]);
    else if (arg === '--workers') args.workers = Number(argv[++i]);
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (arg.startsWith('--')) throw new ConfigError(`unknown option ${arg}\n${USAGE}`);
    else args.paths.push(arg);
  }
  if (args.paths.length === 0) throw new ConfigError(`no files or folders given\n${USAGE}`);
  if (!args.report) throw new ConfigError('--report needs a file name');
  if (!Number.isInteger(args.batchSize) || args.batchSize < 1) throw new ConfigError('--batch-size must be a positive integer');
  if (args.workers !== undefined && (!Number.isInteger(args.workers) || args.workers < 0)) throw new ConfigError('--workers must be 0 (import on this thread) or more');
  return args;
}

async function main(): Promise<number> {
  let args: Arguments;
  let files: string[];
  const config = (() => {
    try {
      return loadConfig();
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
  })();
  try {
    if (config instanceof ConfigError) throw config;
    args = parseArguments(process.argv.slice(2));
    files = listImportFiles(args.paths);
  } catch (error) {
    process.stderr.write(`import: ${(error as Error).message}\n`);
    return 2;
  }
  if (files.length === 0) {
    process.stderr.write('import: no .json or .ndjson files found\n');
    return 2;
  }
  const baseUrl = publicBaseUrl(config);
  // started first: the threads build their contexts while this one builds its own
  const sizes = new Map(files.map((file) => [file, statSync(file).size]));
  const ndjsonBytes = files.filter(isNdjson).reduce((sum, file) => sum + sizes.get(file)!, 0);
  const workers = args.workers ?? defaultWorkers(ndjsonBytes);
  const writers = workers > 0 && files.some(isNdjson) ? startImportWriters(workers, baseUrl, config) : undefined;
  const ctx = await createServerContext(config);
  const totalBytes = files.reduce((sum, file) => sum + sizes.get(file)!, 0);
  const progress = new Progress(totalBytes, (text) => process.stderr.write(text), process.stderr.isTTY === true);
  const report = createWriteStream(args.report);
  let matchedByIdentifier = 0;
  const counters = {
    onBytes: (bytes: number) => { progress.bytesDone += bytes; },
    onResources: (count: number) => { progress.resources += count; },
    onMatchedByIdentifier: (count: number) => { matchedByIdentifier += count; },
    onIssue: (issue: ImportIssue) => {
      progress.errors++;
      report.write(`${JSON.stringify(issue)}\n`);
    },
  };
  process.stderr.write(`Importing ${files.length} files (${(totalBytes / 1e6).toFixed(1)} MB) into ${config.store}\n`);
  progress.start();
  // a thread opening the store runs the schema statements, which would build the lookups again
  await writers?.started();
  let lookupsDeferred = await ctx.store.deferIndexLookups(Math.round(ndjsonBytes / ESTIMATED_BYTES_PER_LINE));
  if (lookupsDeferred) {
    process.stderr.write('The load is large for this store: search lookups are built once at the end\n');
    process.once('SIGINT', () => {
      if (lookupsDeferred) process.stderr.write('\nInterrupted: the search lookups are built by the next server start on this store (searches are slow until then)\n');
      process.exit(130);
    });
  }
  const buildLookups = async () => {
    if (!lookupsDeferred) return;
    await ctx.store.buildIndexLookups();
    lookupsDeferred = false;
  };
  try {
    for (let n = 0; n < files.length;) {
      if (!isNdjson(files[n]!)) {
        // a Bundle goes through the transaction interaction, whose conditional references and creates search
        await buildLookups();
        await importJsonFile(ctx, baseUrl, files[n++]!, counters);
        continue;
      }
      const ndjson: string[] = [];
      while (n < files.length && isNdjson(files[n]!)) ndjson.push(files[n++]!);
      // the threads know the pristine search parameters only: custom ones are indexed by this thread's registry
      if (writers && !(await holdsSearchParameters(ctx))) await writers.importFiles(ctx, baseUrl, ndjson, counters, { batchSize: args.batchSize });
      else await importNdjsonFiles(ctx, baseUrl, ndjson, counters, { batchSize: args.batchSize });
    }
  } finally {
    await writers?.close();
    await buildLookups();
    progress.stop();
    await new Promise<void>((resolve) => report.end(resolve));
    await ctx.store.close();
  }
  const matched = matchedByIdentifier > 0
    ? ` (${matchedByIdentifier} of them POSTs without ifNoneExist that found a stored resource with the same identifier: kept as stored, not created again)`
    : '';
  const summary = `${progress.resources} resources in ${formatDuration(progress.elapsedSeconds())} (${Math.round(progress.rate())}/s)${matched}`;
  if (progress.errors > 0) {
    process.stderr.write(`${summary}; ${progress.errors} failed: see ${path.resolve(args.report)}\n`);
    return 1;
  }
  unlinkSync(args.report);
  process.stderr.write(`${summary}; no errors\n`);
  return 0;
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`import failed: ${(error as Error)?.stack ?? inspect(error)}\n`);
  process.exit(1);
});
