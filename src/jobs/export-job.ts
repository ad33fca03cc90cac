/**
 * Runs an export (Bulk Data Access IG 2.0, export.html): one NDJSON file per type, written page by page
 * from the store with its cursors, so memory holds one page whatever the data size. The position of
 * every type (patient chunk, cursor, resources and bytes written) is checkpointed; a resumed job cuts the
 * file back to the checkpointed size and carries on from the cursor, so no line is written twice.
 */
import { open, truncate, unlink } from 'node:fs/promises';
import { toOperationOutcome } from '../fhir/operation-outcome.js';
import type { ServerContext } from '../interactions/types.js';
import { checkpointer, type ExportJob, type ExportProgress, type JobRun, type TypePosition } from './bulk-job.js';
import { defaultExportTypes, EXPORT_ORDER, groupPatientIds, patientChunks, typeConditions } from './export-plan.js';

export const EXPORT_ERROR_FILE = 'errors.ndjson';

export function exportFileName(type: string): string {
  return `${type}.ndjson`;
}

/** Fixes the types, the patients and the expected counts (types with nothing to export are done at once). */
export async function planExport(ctx: ServerContext, job: ExportJob): Promise<ExportProgress> {
  const { spec } = job;
  const types = spec.types ?? defaultExportTypes(ctx, spec.level);
  let patientIds = spec.patients;
  if (spec.level === 'group') {
    const members = await groupPatientIds(ctx, spec.groupId!);
    patientIds = spec.patients ? members.filter((id) => spec.patients!.includes(id)) : members;
  }
  const progress: ExportProgress = { types, expected: {}, positions: {} };
  if (patientIds) progress.patientIds = patientIds;
  for (const type of types) {
    let expected = 0;
    for (const chunk of patientChunks(patientIds)) {
      const where = await typeConditions(ctx, spec, job.transactionTime, job.baseUrl, type, chunk);
      expected += (await ctx.store.search({ types: [type], where, sort: [], count: 0, total: 'accurate' })).total ?? 0;
    }
    progress.expected[type] = expected;
    progress.positions[type] = { chunk: 0, count: 0, bytes: 0, done: expected === 0 };
  }
  return progress;
}

export function exportedSoFar(progress: ExportProgress | undefined): { done: number; expected: number } {
  if (!progress) return { done: 0, expected: 0 };
  let done = 0;
  let expected = 0;
  for (const type of progress.types) {
    done += progress.positions[type]?.count ?? 0;
    expected += progress.expected[type] ?? 0;
  }
  return { done, expected };
}

/** Opens the type's file where the checkpoint left it: new, or cut back to the bytes already accounted for. */
async function openAtCheckpoint(file: string, position: TypePosition) {
  const fresh = position.bytes === 0 && position.chunk === 0 && position.cursor === undefined;
  if (fresh) return open(file, 'w');
  await truncate(file, position.bytes);
  return open(file, 'a');
}

async function exportType(ctx: ServerContext, run: JobRun, job: ExportJob, type: string, position: TypePosition, save: (force?: boolean) => Promise<void>): Promise<void> {
  const progress = job.progress!;
  const chunks = patientChunks(progress.patientIds);
  const handle = await openAtCheckpoint(run.outputFile(exportFileName(type)), position);
  try {
    while (position.chunk < chunks.length) {
      const where = await typeConditions(ctx, job.spec, job.transactionTime, job.baseUrl, type, chunks[position.chunk]);
      for (;;) {
        const page = await ctx.store.search({ types: [type], where, sort: EXPORT_ORDER, count: run.options.pageSize, cursor: position.cursor, total: 'none' });
        if (page.items.length > 0) {
          let text = '';
          // the stored text when the engine has it (SQLite): it is what JSON.stringify would give, without parsing it first
          for (const version of page.items) text += `${version.json ?? JSON.stringify(version.resource)}\n`;
          const bytes = Buffer.from(text, 'utf8');
          await handle.write(bytes);
          position.bytes += bytes.length;
          position.count += page.items.length;
        }
        if (!page.nextCursor || page.items.length === 0) break;
        position.cursor = page.nextCursor;
        await save();
      }
      position.chunk++;
      delete position.cursor;
      await save();
    }
  } finally {
    await handle.close();
  }
  position.done = true;
  await save();
}

/** The manifest's error file: one OperationOutcome per parameter ignored under handling=lenient (IG 2.0 kick-off). */
async function writeWarnings(run: JobRun, job: ExportJob): Promise<void> {
  if (job.spec.warnings.length === 0) return;
  const lines = job.spec.warnings.map((diagnostics) => JSON.stringify(toOperationOutcome([{ severity: 'warning', code: 'not-supported', diagnostics }])));
  const handle = await open(run.outputFile(EXPORT_ERROR_FILE), 'w');
  try {
    await handle.write(`${lines.join('\n')}\n`);
  } finally {
    await handle.close();
  }
  job.error = [{ type: 'OperationOutcome', file: EXPORT_ERROR_FILE, count: lines.length }];
}

export async function runExportJob(ctx: ServerContext, run: JobRun, job: ExportJob): Promise<void> {
  const save = checkpointer(run);
  if (!job.progress) {
    job.progress = await planExport(ctx, job);
    await writeWarnings(run, job);
    await save(true);
  }
  const progress = job.progress;
  for (const type of progress.types) {
    const position = progress.positions[type]!;
    if (!position.done) await exportType(ctx, run, job, type, position, save);
  }
  job.output = [];
  for (const type of progress.types) {
    const count = progress.positions[type]!.count;
    if (count > 0) job.output.push({ type, file: exportFileName(type), count });
    else await unlink(run.outputFile(exportFileName(type))).catch(() => undefined);
  }
}
