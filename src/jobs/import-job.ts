/**
 * Runs a $import job: each input NDJSON file is streamed through the import CLI's write path
 * (import-runner.ts: transactions of NDJSON lines, references resolved, ids kept, a failed batch replayed
 * line by line). Each line that fails becomes one OperationOutcome in `errors.ndjson`, listed in the
 * manifest's `error` array (Bulk Data Access IG 2.0 manifest shape). After every batch the job records the
 * last line done and the size of the error file; a resumed job skips those lines and cuts the error file
 * back, so a restart neither loses nor repeats an outcome (re-writing a line is harmless: imports are idempotent).
 */
import { open, truncate, writeFile } from 'node:fs/promises';
import type { IssueType } from '../fhir/errors.js';
import { toOperationOutcome } from '../fhir/operation-outcome.js';
import type { ServerContext } from '../interactions/types.js';
import { checkpointer, type ImportInput, type ImportJob, type InputPosition, type JobRun } from './bulk-job.js';
import { importNdjsonLines, type ImportIssue } from './import-runner.js';
import { readNdjsonFileText, type NdjsonText } from './ndjson-reader.js';

export const IMPORT_ERROR_FILE = 'errors.ndjson';

/** Lines already done are skipped. */
async function* linesToImport(input: ImportInput, linesDone: number): AsyncGenerator<NdjsonText> {
  for await (const line of readNdjsonFileText(input.path)) {
    if (line.line > linesDone) yield line;
  }
}

function issueType(status: number): IssueType {
  if (status === 409 || status === 412) return 'conflict';
  if (status === 404 || status === 410) return 'not-found';
  if (status >= 500) return 'exception';
  return 'invalid';
}

export function issueOutcomeLine(issue: ImportIssue): string {
  const outcome = toOperationOutcome([{
    severity: 'error', code: issueType(issue.status), diagnostics: `${issue.source} ${issue.location}: ${issue.diagnostics}`, expression: issue.expression,
  }]);
  return JSON.stringify(outcome);
}

export function importedSoFar(job: ImportJob): { resources: number; errors: number; percent: number } {
  const { progress } = job;
  const resources = progress.inputs.reduce((sum, input) => sum + input.resources, 0);
  const errors = progress.inputs.reduce((sum, input) => sum + input.errors, 0);
  const percent = progress.totalBytes > 0 ? Math.min(100, (100 * progress.bytesDone) / progress.totalBytes) : 100;
  return { resources, errors, percent };
}

export async function runImportJob(ctx: ServerContext, run: JobRun, job: ImportJob): Promise<void> {
  const save = checkpointer(run);
  const errorPath = run.outputFile(IMPORT_ERROR_FILE);
  if (job.progress.errorBytes === 0) await writeFile(errorPath, '');
  else await truncate(errorPath, job.progress.errorBytes);
  const errors = await open(errorPath, 'a');
  try {
    for (const [index, input] of job.inputs.entries()) {
      const position: InputPosition = job.progress.inputs[index]!;
      if (position.done) continue;
      let pending: string[] = [];
      const flush = async () => {
        if (pending.length === 0) return;
        const bytes = Buffer.from(pending.map((line) => `${line}\n`).join(''), 'utf8');
        position.errors += pending.length;
        pending = [];
        await errors.write(bytes);
        job.progress.errorBytes += bytes.length;
      };
      await importNdjsonLines(ctx, job.baseUrl, input.url, linesToImport(input, position.linesDone), {
        onBytes: (bytes) => { job.progress.bytesDone += bytes; },
        onResources: (count) => { position.resources += count; },
        onIssue: (issue) => { pending.push(issueOutcomeLine(issue)); },
        onChunkDone: async (lastLine) => {
          await flush();
          position.linesDone = lastLine;
          await save();
        },
      }, { batchSize: run.options.importBatchSize, declaredType: input.type });
      await flush();
      position.done = true;
      await save(true);
    }
  } finally {
    await errors.close();
  }
  job.output = job.inputs.map((input, index) => ({ type: input.type, inputUrl: input.url, count: job.progress.inputs[index]!.resources }));
  const errorCount = job.progress.inputs.reduce((sum, input) => sum + input.errors, 0);
  job.error = errorCount > 0 ? [{ type: 'OperationOutcome', file: IMPORT_ERROR_FILE, count: errorCount }] : [];
}
