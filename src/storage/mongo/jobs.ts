/**
 * The JobStore of MongoDB (job-port.ts): one document per job in the `jobs` collection. Every state change
 * is one findOneAndUpdate or updateOne whose filter states the condition (claimable, or still held by this
 * lease), so MongoDB's single-document atomicity decides which of two racing nodes wins. Updates are
 * pipelines so lease times come from the server's `$$NOW`, never from a node's clock. The filters and
 * updates are built by exported functions so tests can evaluate them with mingo.
 */
import { ObjectId, type Document, type IndexDescription } from 'mongodb';
import type { JobHolder, JobLease, JobRecord, JobState, JobStore, NewJob } from '../job-port.js';

export const JOBS = 'jobs';

export const JOB_INDEXES: IndexDescription[] = [{ key: { kind: 1, state: 1, order: 1 }, name: 'kind_state_order' }];

export interface JobDocument {
  _id: string;
  kind: string;
  state: JobState;
  /** the payload as JSON text: opaque to MongoDB, so no key of it can be read as an operator or a path */
  payload: string;
  owner: string | null;
  fence: number;
  leaseUntil: Date | null;
  /** creation order: increasing within a node, and across nodes by the second (ObjectId: time, then node, then counter) */
  order: ObjectId;
  createdAt: Date;
  updatedAt: Date;
}

/** the subset of a driver Collection the job store uses (tests pass a mingo-backed double) */
export interface JobCollection {
  findOneAndUpdate(filter: Document, update: Document[], options: { sort?: Document; upsert?: boolean; returnDocument: 'after' }): Promise<JobDocument | null>;
  updateOne(filter: Document, update: Document[]): Promise<{ matchedCount: number }>;
  aggregate(pipeline: Document[]): { toArray(): Promise<Document[]> };
}

export const CREATION_ORDER = { order: 1 } as const;

const leaseFromNow = (leaseMs: number) => ({ $add: ['$$NOW', leaseMs] });

/** running, and nobody holds it: released (no lease), or the lease ran out by the server's clock */
const LAPSED: Document = { state: 'running', $or: [{ leaseUntil: null }, { $expr: { $lt: ['$leaseUntil', '$$NOW'] } }] };

/**
 * Creation is an upsert whose filter no stored job matches (fences are never negative): the insert takes the
 * times from `$$NOW` like every other change, and a second job with the same _id fails on the unique _id
 * (the server does not retry such an upsert, its filter being more than the _id).
 */
export function createFilter(id: string): Document {
  return { _id: id, fence: -1 };
}

export function createUpdate(job: NewJob, holder?: JobHolder): Document[] {
  return [{
    $set: {
      kind: { $literal: job.kind }, payload: { $literal: JSON.stringify(job.payload) },
      state: holder ? 'running' : 'queued', owner: holder ? { $literal: holder.owner } : null, fence: holder ? 1 : 0,
      leaseUntil: holder ? leaseFromNow(holder.leaseMs) : null, order: { $literal: new ObjectId() }, createdAt: '$$NOW', updatedAt: '$$NOW',
    },
  }];
}

export function claimableFilter(kinds: string[]): Document {
  return { kind: { $in: kinds }, $or: [{ state: 'queued' }, LAPSED] };
}

export function claimableByIdFilter(id: string): Document {
  return { _id: id, $or: [{ state: { $in: ['queued', 'failed'] } }, LAPSED] };
}

export function heldFilter(lease: JobLease): Document {
  return { _id: lease.id, owner: lease.owner, fence: lease.fence, state: 'running' };
}


export function claimUpdate(owner: string, leaseMs: number): Document[] {
  return [{ $set: { state: 'running', owner: { $literal: owner }, fence: { $add: ['$fence', 1] }, leaseUntil: leaseFromNow(leaseMs), updatedAt: '$$NOW' } }];
}

export function renewUpdate(leaseMs: number, payload?: unknown): Document[] {
  const set: Document = { leaseUntil: leaseFromNow(leaseMs), updatedAt: '$$NOW' };
  if (payload !== undefined) set.payload = { $literal: JSON.stringify(payload) };
  return [{ $set: set }];
}

export function finishUpdate(state: 'completed' | 'failed', payload: unknown): Document[] {
  return [{ $set: { state: { $literal: state }, payload: { $literal: JSON.stringify(payload) }, owner: null, leaseUntil: null, updatedAt: '$$NOW' } }];
}

/** still running, nobody holds it: claimable at once */
export const RELEASE_UPDATE: Document[] = [{ $set: { owner: null, leaseUntil: null, updatedAt: '$$NOW' } }];

export function cancelFilter(id: string): Document {
  return { _id: id, state: { $ne: 'cancelled' } };
}

export const CANCEL_UPDATE: Document[] = [{ $set: { state: 'cancelled', owner: null, leaseUntil: null, updatedAt: '$$NOW' } }];

/** adds `leased`: an unexpired lease by the server's clock */
export const LEASED_STAGE: Document = {
  $addFields: { leased: { $cond: [{ $eq: [{ $ifNull: ['$leaseUntil', null] }, null] }, false, { $gte: ['$leaseUntil', '$$NOW'] }] } },
};

export function toJobRecord(doc: Document, leased: boolean = doc.leased === true): JobRecord {
  const record: JobRecord = {
    id: doc._id as string,
    kind: doc.kind as string,
    state: doc.state as JobState,
    payload: JSON.parse(doc.payload as string),
    fence: Number(doc.fence),
    leased,
    createdAt: (doc.createdAt as Date).getTime(),
    updatedAt: (doc.updatedAt as Date).getTime(),
  };
  if (typeof doc.owner === 'string') record.owner = doc.owner;
  return record;
}

export class MongoJobStore implements JobStore {
  constructor(private readonly jobs: JobCollection) {}

  async create(job: NewJob, holder?: JobHolder): Promise<JobRecord> {
    const doc = await this.jobs.findOneAndUpdate(createFilter(job.id), createUpdate(job, holder), { upsert: true, returnDocument: 'after' });
    if (!doc) throw new Error(`job ${job.id} was not created`);
    return toJobRecord(doc, holder !== undefined);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const [doc] = await this.jobs.aggregate([{ $match: { _id: id } }, LEASED_STAGE]).toArray();
    return doc && toJobRecord(doc);
  }

  async list(kinds: string[]): Promise<JobRecord[]> {
    const docs = await this.jobs.aggregate([{ $match: { kind: { $in: kinds }, state: { $ne: 'cancelled' } } }, { $sort: CREATION_ORDER }, LEASED_STAGE]).toArray();
    return docs.map((doc) => toJobRecord(doc));
  }

  async claimNext(kinds: string[], owner: string, leaseMs: number): Promise<JobRecord | undefined> {
    if (kinds.length === 0) return undefined;
    const doc = await this.jobs.findOneAndUpdate(claimableFilter(kinds), claimUpdate(owner, leaseMs), { sort: CREATION_ORDER, returnDocument: 'after' });
    return doc ? toJobRecord(doc, true) : undefined;
  }

  async claim(id: string, owner: string, leaseMs: number): Promise<JobRecord | undefined> {
    const doc = await this.jobs.findOneAndUpdate(claimableByIdFilter(id), claimUpdate(owner, leaseMs), { returnDocument: 'after' });
    return doc ? toJobRecord(doc, true) : undefined;
  }

  async renew(lease: JobLease, leaseMs: number, payload?: unknown): Promise<boolean> {
    return (await this.jobs.updateOne(heldFilter(lease), renewUpdate(leaseMs, payload))).matchedCount === 1;
  }

  async finish(lease: JobLease, state: 'completed' | 'failed', payload: unknown): Promise<boolean> {
    return (await this.jobs.updateOne(heldFilter(lease), finishUpdate(state, payload))).matchedCount === 1;
  }

  async release(lease: JobLease): Promise<boolean> {
    return (await this.jobs.updateOne(heldFilter(lease), RELEASE_UPDATE)).matchedCount === 1;
  }

  async cancel(id: string): Promise<boolean> {
    return (await this.jobs.updateOne(cancelFilter(id), CANCEL_UPDATE)).matchedCount === 1;
  }
}
