/**
 * Jobs that a server from before job records moved into the database kept as files: Bulk Data jobs as
 * `<dataDir>/bulk/<id>/job.json`, $reindex jobs as `<dataDir>/search-index/jobs/<id>.json`. At start each one
 * becomes a job record once: an unfinished job is queued and resumes from the position its file holds, and a
 * finished one keeps answering its status URL. The file is then renamed `*.adopted`. Several nodes starting at
 * once may race for a file: the record's unique id lets one of them create it, and the others find it there.
 */
import { readdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { JobStore } from '../storage/job-port.js';
import { newNodeId } from './job-lease.js';

/** `state` of the file's job as a record state: queued (to run), completed or failed */
type Adoption = 'queued' | 'completed' | 'failed';

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

type Log = (message: string, error?: unknown) => void;

async function adopt(jobs: JobStore, kind: string, file: string, id: string, payload: unknown, as: Adoption, log: Log): Promise<void> {
  try {
    if (as === 'queued') await jobs.create({ id, kind, payload });
    else {
      const owner = newNodeId();
      const record = await jobs.create({ id, kind, payload }, { owner, leaseMs: 60_000 });
      await jobs.finish({ id, owner, fence: record.fence }, as, payload);
    }
    log(`${kind} job ${id} (${as}) moved from ${file} into the database`);
  } catch (error) {
    if (!(await jobs.get(id).catch(() => undefined))) {
      log(`could not move the ${kind} job in ${file} into the database`, error);
      return;
    }
  }
  await rename(file, `${file}.adopted`).catch(() => undefined);
}

async function names(directory: string): Promise<string[]> {
  return readdir(directory).catch(() => [] as string[]);
}

export async function adoptBulkJobFiles(jobs: JobStore, root: string, isJobId: (name: string) => boolean, log: Log): Promise<void> {
  for (const name of (await names(root)).filter(isJobId)) {
    const file = path.join(root, name, 'job.json');
    const job = await readJson(file);
    if (!job || job.id !== name || (job.kind !== 'export' && job.kind !== 'import')) continue;
    const as: Adoption = job.state === 'completed' ? 'completed' : job.state === 'failed' ? 'failed' : 'queued';
    await adopt(jobs, job.kind, file, name, job, as, log);
  }
}

export async function adoptReindexJobFiles(jobs: JobStore, directory: string, log: Log): Promise<void> {
  for (const name of (await names(directory)).filter((file) => file.endsWith('.json'))) {
    const file = path.join(directory, name);
    const job = await readJson(file);
    if (!job || typeof job.id !== 'string' || `${job.id}.json` !== name) continue;
    const as: Adoption = job.status === 'completed' ? 'completed' : job.status === 'failed' ? 'failed' : 'queued';
    await adopt(jobs, 'reindex', file, job.id, job, as, log);
  }
}
