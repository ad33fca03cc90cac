/**
 * FhirStore on MongoDB (official driver). Current state in `resources` (one document per resource with its
 * index entries embedded, document.ts), every version in the append-only `history`. Each write runs in a
 * transaction of its own unless it is part of withTransaction, whose store binds every operation to the
 * transaction's session.
 */
import { MongoClient, MongoError, type ClientSession, type Collection, type Db, type Document } from 'mongodb';
import { FhirError } from '../../fhir/errors.js';
import type { SearchQuery } from '../../search/ir.js';
import type { FhirStore, HistoryQuery, Page, ReadManyOptions, ReindexWrite, SearchPage, StoredVersion, VersionWrite } from '../port.js';
import {
  buildHistoryDocument, buildResourceDocument, createSequence, historyKey, resourceKey, toStoredVersion, VERSION_PROJECTION,
  type HistoryDocument, type ResourceDocument,
} from './document.js';
import type { JobStore } from '../job-port.js';
import { readHistory } from './history.js';
import { JOBS, MongoJobStore, type JobCollection } from './jobs.js';
import { reindexResource } from './reindex.js';
import { executeSearch, type DocumentSource } from './search.js';
import { HISTORY, LOCKS, prepareDatabase, RESOURCES } from './startup.js';

/** targets per query for _revinclude, keeping each $or small */
const TARGETS_PER_QUERY = 500;
const DUPLICATE_KEY = 11000;

interface Shared {
  client: MongoClient;
  db: Db;
  resources: Collection<ResourceDocument>;
  history: Collection<HistoryDocument>;
  locks: Collection<{ _id: string; n: number }>;
  nextSeq: () => number;
}

/**
 * MongoDB transactions are snapshot isolated: two transactions that both search, find nothing, and then create
 * would both commit (write skew), breaking conditional create. So a transaction that writes after searching
 * first bumps one lock document per searched resource type; two such transactions write the same document,
 * the later one gets a transient WriteConflict, and the driver reruns it against the committed state.
 */
class SearchLocks {
  private readonly searched = new Set<string>();
  private readonly bumped = new Set<string>();

  noteSearch(types: string[] | null): void {
    for (const type of types ?? ['*']) this.searched.add(`search:${type}`);
  }

  async bumpBeforeWrite(locks: Shared['locks'], session: ClientSession): Promise<void> {
    for (const key of this.searched) {
      if (this.bumped.has(key)) continue;
      try {
        await locks.updateOne({ _id: key }, { $inc: { n: 1 } }, { upsert: true, session });
      } catch (error) {
        // two first-ever upserts of one lock race: a conflict like any other, so let the driver rerun
        if (error instanceof MongoError && error.code === DUPLICATE_KEY) error.addErrorLabel('TransientTransactionError');
        throw error;
      }
      this.bumped.add(key);
    }
  }
}

/** The database named in the URL path, else "fhir". */
export function databaseName(url: string): string {
  const path = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]*)/.exec(url)?.[1];
  return path ? decodeURIComponent(path) : 'fhir';
}

export async function createMongoStore(url: string): Promise<FhirStore> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 15_000 });
  const db = client.db(databaseName(url));
  return new MongoStore({
    client,
    db,
    resources: db.collection<ResourceDocument>(RESOURCES),
    history: db.collection<HistoryDocument>(HISTORY),
    locks: db.collection<{ _id: string; n: number }>(LOCKS),
    nextSeq: createSequence(),
  });
}

const versionConflict = (version: VersionWrite, detail: string) =>
  new FhirError('version-conflict', `${version.resourceType}/${version.id} ${detail}`);

export class MongoStore implements FhirStore {
  readonly engine = 'mongo' as const;
  private jobStore?: JobStore;

  constructor(
    private readonly shared: Shared,
    private readonly session?: ClientSession,
    private readonly searchLocks?: SearchLocks,
  ) {}

  /** made on first use: a store bound to a transaction is made per transaction and rarely needs it */
  get jobs(): JobStore {
    return (this.jobStore ??= new MongoJobStore(this.shared.db.collection(JOBS) as unknown as JobCollection));
  }

  async init(): Promise<void> {
    await prepareDatabase(this.shared.db);
  }

  close(): Promise<void> {
    return this.shared.client.close();
  }

  async read(resourceType: string, id: string): Promise<StoredVersion | undefined> {
    const doc = await this.shared.resources.findOne(
      { _id: resourceKey(resourceType, id) },
      { projection: VERSION_PROJECTION, session: this.session },
    );
    return doc ? toStoredVersion(doc as ResourceDocument) : undefined;
  }

  async vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion | undefined> {
    const doc = await this.shared.history.findOne(
      { _id: historyKey(resourceType, id, versionId) },
      { projection: VERSION_PROJECTION, session: this.session },
    );
    return doc ? toStoredVersion(doc as HistoryDocument) : undefined;
  }

  write(version: VersionWrite): Promise<void> {
    if (this.session) return this.writeIn(this.session, version);
    return this.runTransaction((session) => this.writeIn(session, version));
  }

  private async writeIn(session: ClientSession, version: VersionWrite): Promise<void> {
    const { resources, history } = this.shared;
    await this.searchLocks?.bumpBeforeWrite(this.shared.locks, session);
    const key = resourceKey(version.resourceType, version.id);
    const current = await resources.findOne({ _id: key }, { projection: { version: 1, deleted: 1, seq: 1 }, session });
    const acceptable = version.expectedPreviousVersion === 0
      ? !current || current.deleted
      : current?.version === version.expectedPreviousVersion;
    if (!acceptable) {
      throw versionConflict(version, `is at version ${current?.version ?? 0}, the write expected version ${version.expectedPreviousVersion}`);
    }
    const seq = this.shared.nextSeq();
    try {
      if (current) {
        const replaced = await resources.replaceOne(
          { _id: key, version: current.version },
          buildResourceDocument(version, current.seq),
          { session },
        );
        if (replaced.matchedCount === 0) throw versionConflict(version, 'was written concurrently');
      } else {
        await resources.insertOne(buildResourceDocument(version, seq), { session });
      }
      await history.insertOne(buildHistoryDocument(version, seq), { session });
    } catch (error) {
      if ((error as { code?: number }).code === DUPLICATE_KEY) {
        throw versionConflict(version, `was written concurrently (version ${version.versionId} exists)`);
      }
      throw error;
    }
  }

  history(query: HistoryQuery & { total?: boolean }): Promise<Page<StoredVersion>> {
    return readHistory(query, {
      aggregate: (pipeline) => this.shared.history.aggregate(pipeline, { session: this.session, allowDiskUse: true }).toArray(),
    });
  }

  search(query: SearchQuery): Promise<SearchPage> {
    this.searchLocks?.noteSearch(query.types);
    return executeSearch(query, this.source());
  }

  private source(): DocumentSource {
    const resources = this.shared.resources as unknown as Collection<Document>;
    const session = this.session;
    return {
      find: (filter, projection) => resources.find(filter, { projection, session }).toArray(),
      findSorted: (filter, { projection, sort, limit }) =>
        resources.find(filter, { projection, sort, limit, session, allowDiskUse: true }).toArray(),
      count: (filter) => resources.countDocuments(filter, { session }),
    };
  }

  withTransaction<T>(fn: (tx: FhirStore) => Promise<T>): Promise<T> {
    if (this.session) return fn(this);
    // a rerun after a write conflict starts with fresh lock bookkeeping
    return this.runTransaction((session) => fn(new MongoStore(this.shared, session, new SearchLocks())));
  }

  /**
   * The driver retries the callback on transient transaction errors (write conflicts between concurrent
   * transactions), so a retried callback re-reads current versions and then reports a genuine conflict.
   */
  private async runTransaction<T>(fn: (session: ClientSession) => Promise<T>): Promise<T> {
    const session = this.shared.client.startSession();
    try {
      let result: T | undefined;
      await session.withTransaction(async () => {
        result = await fn(session);
      }, { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' } });
      return result as T;
    } finally {
      await session.endSession();
    }
  }

  async findReferencing(
    sourceTypes: string[] | null,
    params: string[] | null,
    targets: { resourceType: string; id: string }[],
    limit: number,
  ): Promise<StoredVersion[]> {
    if (targets.length === 0 || limit <= 0 || sourceTypes?.length === 0 || params?.length === 0) return [];
    const found: StoredVersion[] = [];
    const seen: string[] = [];
    for (let start = 0; start < targets.length && found.length < limit; start += TARGETS_PER_QUERY) {
      const pointsAt = targets.slice(start, start + TARGETS_PER_QUERY).map((target) => ({ tt: target.resourceType, ti: target.id }));
      const entry: Document = { $or: pointsAt };
      if (params) entry.p = { $in: params };
      // a resource pointing at targets of two chunks is found once
      const filter: Document = { deleted: false, ref: { $elemMatch: entry }, _id: { $nin: seen } };
      if (sourceTypes) filter.type = { $in: sourceTypes };
      const docs = await this.shared.resources
        .find(filter, { projection: VERSION_PROJECTION, sort: { seq: 1, _id: 1 }, limit: limit - found.length, session: this.session })
        .toArray();
      seen.push(...docs.map((doc) => doc._id));
      found.push(...docs.map((doc) => toStoredVersion(doc as ResourceDocument)));
    }
    return found;
  }

  reindex(write: ReindexWrite): Promise<boolean> {
    if (this.session) return reindexResource(this.shared.resources, this.session, write);
    return this.runTransaction((session) => reindexResource(this.shared.resources, session, write));
  }

  /** the multikey indexes stay: dropping and building them has not been measured on a real mongod here */
  async deferIndexLookups(): Promise<boolean> {
    return false;
  }

  async buildIndexLookups(): Promise<void> {}

  /** current versions of the references that exist (delete markers only when asked), in the order asked */
  async readMany(refs: { resourceType: string; id: string }[], options: ReadManyOptions = {}): Promise<StoredVersion[]> {
    const keys = [...new Set(refs.map((ref) => resourceKey(ref.resourceType, ref.id)))];
    if (keys.length === 0) return [];
    const filter = options.includeDeleted ? { _id: { $in: keys } } : { _id: { $in: keys }, deleted: false };
    // the projection and conversion of read(): a delete marker comes back as read() gives it
    const docs = await this.shared.resources
      .find(filter, { projection: VERSION_PROJECTION, session: this.session })
      .toArray();
    const byKey = new Map(docs.map((doc) => [doc._id, toStoredVersion(doc as ResourceDocument)]));
    return keys.flatMap((key) => byKey.get(key) ?? []);
  }
}
