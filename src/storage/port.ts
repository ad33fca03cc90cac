/**
 * The storage port (DESIGN.md "The port"). Engine-neutral: adapters know nothing of FHIRPath, HTTP or SMART.
 * Index entries are computed before a write reaches the port; access rules arrive as conditions in the query.
 */
import type { Resource } from '../fhir/types.js';
import type { IndexEntries } from '../search/index-entries.js';
import type { SearchQuery } from '../search/ir.js';
import type { JobStore } from './job-port.js';

export interface StoredVersion {
  resourceType: string;
  id: string;
  versionId: number;
  /** ISO 8601 instant with milliseconds, UTC */
  lastUpdated: string;
  /** true for a delete version; `resource` is then undefined */
  deleted: boolean;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** the stored JSON, with meta.versionId and meta.lastUpdated already set */
  resource?: Resource;
  /**
   * `resource` as the JSON text the engine stored, when it holds it as text (SQLite search pages): responses send
   * it unchanged instead of serialising the parsed resource again
   */
  json?: string;
}

export interface VersionWrite {
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** undefined for a delete */
  resource?: Resource;
  /**
   * `resource` as JSON text, when the writer has it already (bulk import): engines that store text store this
   * instead of serialising `resource` again. Must be what JSON.stringify(resource) gives.
   */
  json?: string;
  /** undefined for a delete */
  index?: IndexEntries;
  /**
   * Optimistic concurrency: the version the writer saw (0 = must not exist yet, or only as deleted).
   * The engine throws FhirError('version-conflict') if the current version differs.
   */
  expectedPreviousVersion: number;
}

export interface HistoryQuery {
  resourceType?: string;
  id?: string;
  /** epoch ms: only versions with lastUpdated >= since */
  since?: number;
  /** epoch ms: only versions current at this instant (lastUpdated <= at, newest per resource) */
  at?: number;
  count: number;
  /** engine cursor from a previous page */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  /** total matching, when asked for and cheap (history always counts when total is requested) */
  total?: number;
  nextCursor?: string;
  previousCursor?: string;
}

export interface SearchPage extends Page<StoredVersion> {}

export interface ReadManyOptions {
  /** answer delete markers too (readMany) */
  includeDeleted?: boolean;
}

/** New index entries for the current version of a resource ($reindex). */
export interface ReindexWrite {
  resourceType: string;
  id: string;
  /** the version the entries were computed from: applied only while it is still the current one */
  versionId: number;
  index: IndexEntries;
}

export interface FhirStore {
  readonly engine: 'sqlite' | 'postgres' | 'mongo';
  /** create schema / indexes; idempotent */
  init(): Promise<void>;
  close(): Promise<void>;

  /** current version of a resource, including a delete marker; undefined when never existed */
  read(resourceType: string, id: string): Promise<StoredVersion | undefined>;
  vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion | undefined>;
  /** append a version (create, update, delete) and replace the current state and its index entries */
  write(version: VersionWrite): Promise<void>;
  /** newest first (lastUpdated desc); resources and deletes */
  history(query: HistoryQuery & { total?: boolean }): Promise<Page<StoredVersion>>;
  /** current, non-deleted resources matching the planned query */
  search(query: SearchQuery): Promise<SearchPage>;
  /** run fn atomically; the store passed to fn sees its own writes; any throw rolls everything back */
  withTransaction<T>(fn: (tx: FhirStore) => Promise<T>): Promise<T>;
  /** references from (sourceType, param) to the given targets, for _revinclude; resources returned are current */
  findReferencing(sourceTypes: string[] | null, params: string[] | null, targets: { resourceType: string; id: string }[], limit: number): Promise<StoredVersion[]>;
  /**
   * batch read of current versions (for _include and reference resolution): those that exist, in the order asked,
   * each once. A deleted resource is left out, unless `includeDeleted`: then its delete marker comes back as read()
   * returns it (deleted, versionId, lastUpdated), for a writer that numbers the version after it.
   */
  readMany(refs: { resourceType: string; id: string }[], options?: ReadManyOptions): Promise<StoredVersion[]>;
  /**
   * Replace the index entries and sort keys of the current version, creating no version ($reindex after a
   * search parameter changed). Changes nothing and answers false when the resource is deleted, gone, or no
   * longer at `versionId` (a newer write has indexed it already).
   */
  reindex(write: ReindexWrite): Promise<boolean>;
  /**
   * Bulk loading (the import command): when about `expectedVersions` new versions would at least double the store,
   * stops maintaining the secondary lookups of its index entries, so the load only appends them, and answers true.
   * Searches stay correct meanwhile, only slower. buildIndexLookups builds them again: from any connection or
   * thread, at once when nothing is missing; a server start builds missing ones too. False where the engine keeps
   * them regardless (MongoDB). Not inside withTransaction.
   */
  deferIndexLookups(expectedVersions: number): Promise<boolean>;
  buildIndexLookups(): Promise<void>;
  /** background job records and their leases, shared by every node on this database (job-port.ts) */
  readonly jobs: JobStore;
}
