/**
 * FhirStore over any SqlEngine. Outside a transaction, reads use the engine's reader (last committed state)
 * and each write is its own transaction; inside withTransaction the store is bound to the transaction's session.
 */
import type { SearchQuery } from '../../search/ir.js';
import type { FhirStore, HistoryQuery, Page, ReadManyOptions, ReindexWrite, SearchPage, StoredVersion, VersionWrite } from '../port.js';
import { arrayLiteral } from './array-literal.js';
import type { SqlDialect } from './dialect.js';
import type { JobStore } from '../job-port.js';
import { readHistory } from './history.js';
import { SqlJobStore } from './jobs.js';
import { buildLookupIndexes, deferLookupIndexes } from './lookup-indexes.js';
import { reindexVersion } from './reindex.js';
import { Params } from './paging.js';
import { historyVersionColumns, rowToVersion, textVersion, textVersionColumns, versionColumns } from './rows.js';
import { currentRowsByKeysSql, ReadBatcher } from './read-batch.js';
import { TypeRowCounts } from './dense-walk.js';
import { runSearch } from './search.js';
import { SnapshotCounts } from './snapshot-counts.js';
import type { Row, SqlEngine, SqlSession } from './session.js';
import { HISTORY_TABLE, INDEX_TABLES, RESOURCE_TABLE } from './tables.js';
import { writeVersion, writeVersionAlone } from './writes.js';

/** bound values per IN list, far below both engines' limits */
const REFS_PER_QUERY = 500;

export class SqlStore implements FhirStore {
  private jobStore?: JobStore;
  private readBatcher?: ReadBatcher;
  private snapshotCounts?: SnapshotCounts;
  private typeRows?: TypeRowCounts;

  constructor(
    readonly engine: 'sqlite' | 'postgres',
    protected readonly sql: SqlEngine,
    protected readonly dialect: SqlDialect,
    private readonly initialise: () => Promise<void>,
    /** set on the store handed to a withTransaction callback */
    private readonly txSession?: SqlSession,
  ) {}

  /** made on first use: a store bound to a transaction is made per transaction and rarely needs it */
  get jobs(): JobStore {
    return (this.jobStore ??= new SqlJobStore(this.sql, this.dialect));
  }

  init(): Promise<void> {
    return this.initialise();
  }

  close(): Promise<void> {
    return this.sql.close();
  }

  private get session(): SqlSession {
    return this.txSession ?? this.sql.reader;
  }

  async read(resourceType: string, id: string): Promise<StoredVersion | undefined> {
    if (!this.txSession && this.dialect.groupReads) {
      const row = await (this.readBatcher ??= new ReadBatcher(this.sql.reader, this.dialect)).read(resourceType, id);
      return row && textVersion(this.dialect, row);
    }
    const rows = await this.session.all(
      `SELECT ${textVersionColumns(this.dialect, 'c')} FROM ${RESOURCE_TABLE} c WHERE type = ? AND id = ?`,
      [resourceType, id],
    );
    // the stored text, so a read answered unchanged is never parsed and serialised again
    return rows[0] && textVersion(this.dialect, rows[0]);
  }

  async vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion | undefined> {
    const rows = await this.session.all(
      `SELECT ${historyVersionColumns(this.dialect)} FROM ${HISTORY_TABLE} h WHERE h.rkey = (SELECT rkey FROM ${RESOURCE_TABLE} WHERE type = ? AND id = ?) AND h.version = ?`,
      [resourceType, id, versionId],
    );
    return rows[0] && textVersion(this.dialect, rows[0]);
  }

  async write(version: VersionWrite): Promise<void> {
    if (this.txSession) await writeVersion(this.txSession, this.dialect, version);
    else if (this.sql.autocommit && this.dialect.singleStatementCreate) {
      await writeVersionAlone(this.sql.autocommit, (fn) => this.sql.transaction('single-write', fn), this.dialect, version);
    } else await this.sql.transaction('single-write', (session) => writeVersion(session, this.dialect, version));
    this.sql.noteWrites?.(1);
  }

  history(query: HistoryQuery & { total?: boolean }): Promise<Page<StoredVersion>> {
    return readHistory(this.session, this.dialect, query);
  }

  search(query: SearchQuery): Promise<SearchPage> {
    // outside transactions a statement sees only committed state: its counts can be remembered until the next commit
    // (SQLite, count-memo.ts) or for its snapshot (PostgreSQL, snapshot-counts.ts)
    if (this.txSession) return runSearch(this.session, this.dialect, query);
    const typeRows = this.typeRows ??= new TypeRowCounts();
    if (this.engine === 'sqlite') return runSearch(this.session, this.dialect, query, { memoizeCounts: true, typeRows });
    return runSearch(this.session, this.dialect, query, { snapshotCounts: this.snapshotCounts ??= new SnapshotCounts(), typeRows });
  }

  withTransaction<T>(fn: (tx: FhirStore) => Promise<T>): Promise<T> {
    if (this.txSession) return fn(this);
    return this.sql.transaction('caller', (session) =>
      fn(new SqlStore(this.engine, this.sql, this.dialect, this.initialise, session)));
  }

  async findReferencing(
    sourceTypes: string[] | null,
    params: string[] | null,
    targets: { resourceType: string; id: string }[],
    limit: number,
  ): Promise<StoredVersion[]> {
    if (targets.length === 0 || limit <= 0 || sourceTypes?.length === 0 || params?.length === 0) return [];
    const found: StoredVersion[] = [];
    for (let start = 0; start < targets.length && found.length < limit; start += REFS_PER_QUERY) {
      const bound = new Params();
      const chunk = targets.slice(start, start + REFS_PER_QUERY);
      const targetMatch = chunk.map((target) => `(ref.target_type = ${bound.bind(target.resourceType)} AND ref.target_id = ${bound.bind(target.id)})`);
      let sql = `SELECT ${versionColumns(this.dialect)} FROM ${RESOURCE_TABLE} r`
        + ` WHERE r.deleted = 0 AND r.rkey IN (SELECT ref.rkey FROM ${INDEX_TABLES.reference.table} ref WHERE (${targetMatch.join(' OR ')})`;
      if (params) sql += ` AND ref.param IN (${bound.list(params)})`;
      // rows written before schema version 5 have no source type (tables.ts sourceType): the outer test decides them
      if (sourceTypes) sql += ` AND (ref.source_type IN (${bound.list(sourceTypes)}) OR ref.source_type IS NULL)`;
      sql += ')';
      if (sourceTypes) sql += ` AND r.type IN (${bound.list(sourceTypes)})`;
      sql += ` ORDER BY r.rkey LIMIT ${bound.bind(limit - found.length)}`;
      const rows = await this.session.all(sql, bound.values);
      found.push(...rows.map((row) => rowToVersion(this.dialect, row)));
    }
    return found;
  }

  reindex(write: ReindexWrite): Promise<boolean> {
    if (this.txSession) return reindexVersion(this.txSession, this.dialect, write);
    return this.sql.transaction('single-write', (session) => reindexVersion(session, this.dialect, write));
  }

  deferIndexLookups(expectedVersions: number): Promise<boolean> {
    this.refuseInsideTransaction('deferIndexLookups');
    return deferLookupIndexes(this.sql, expectedVersions);
  }

  buildIndexLookups(): Promise<void> {
    this.refuseInsideTransaction('buildIndexLookups');
    return buildLookupIndexes(this.sql, this.dialect);
  }

  /** schema statements wait for the writer a transaction holds: inside one they would wait for themselves */
  private refuseInsideTransaction(method: string): void {
    if (this.txSession) throw new Error(`${method} cannot run inside withTransaction`);
  }

  /** current rows (deleted ones too) of the refs: one statement text on PostgreSQL (arrays), an OR list on SQLite */
  private currentRowsOf(refs: readonly { resourceType: string; id: string }[]): Promise<Row[]> {
    if (this.dialect.groupReads) {
      return this.session.all(currentRowsByKeysSql(this.dialect), [arrayLiteral(refs.map((ref) => ref.resourceType)), arrayLiteral(refs.map((ref) => ref.id))]);
    }
    const bound = new Params();
    const match = refs.map((ref) => `(type = ${bound.bind(ref.resourceType)} AND id = ${bound.bind(ref.id)})`);
    return this.session.all(`SELECT ${textVersionColumns(this.dialect, 'c')} FROM ${RESOURCE_TABLE} c WHERE ${match.join(' OR ')}`, bound.values);
  }

  /** current versions of the references that exist (delete markers only when asked), in the order asked */
  async readMany(refs: { resourceType: string; id: string }[], options: ReadManyOptions = {}): Promise<StoredVersion[]> {
    const byKey = new Map<string, StoredVersion>();
    for (let start = 0; start < refs.length; start += REFS_PER_QUERY) {
      const chunk = refs.slice(start, start + REFS_PER_QUERY);
      for (const row of await this.currentRowsOf(chunk)) {
        if (Number(row.deleted) === 1 && !options.includeDeleted) continue;
        // the stored text, parsed only if read (an included resource is sent as that text)
        const version = textVersion(this.dialect, row);
        byKey.set(`${version.resourceType}/${version.id}`, version);
      }
    }
    const seen = new Set<string>();
    const ordered: StoredVersion[] = [];
    for (const ref of refs) {
      const key = `${ref.resourceType}/${ref.id}`;
      const version = byKey.get(key);
      if (version && !seen.has(key)) {
        seen.add(key);
        ordered.push(version);
      }
    }
    return ordered;
  }
}
