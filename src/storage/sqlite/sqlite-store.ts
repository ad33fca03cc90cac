/**
 * The embedded engine: one SQLite file in WAL mode. Writes and transactions go through the writer connection,
 * one at a time (AsyncMutex, held across the awaits of a withTransaction callback); plain reads use a second,
 * read-only connection that sees the last committed state, never another request's open transaction.
 *
 * Group commit: a commit costs far more than the statements of one version write (WAL frames for every touched
 * index page, and checkpoints), so single writes queued in the same event-loop turn share one transaction. They run
 * together first; if one fails, the group runs again with each write inside its own savepoint, so a failing write
 * rolls back alone (writeTogether). A write's promise settles after the commit.
 * Inside withTransaction, index rows of new versions are inserted together (deferred-index-rows.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { FhirError } from '../../fhir/errors.js';
import type { FhirStore } from '../port.js';
import { sqliteDialect } from '../sql/dialect.js';
import { migrationStatements, SCHEMA_VERSION, SCHEMA_VERSION_TABLE, schemaStatements, SET_SCHEMA_VERSION } from '../sql/schema.js';
import type { Row, SqlEngine, SqlSession } from '../sql/session.js';
import { withDeferredIndexRows } from '../sql/deferred-index-rows.js';
import { SqlStore } from '../sql/sql-store.js';
import { AsyncMutex } from './async-mutex.js';

type Connection = Database.Database;

/**
 * SQLite's compile-time limits on one statement, met by searches nested or combined beyond them (a chain or _has
 * about 25 levels deep): the client's request is too costly for this engine, not a server failure.
 */
const STATEMENT_LIMITS = /^(Expression tree is too large|too many terms in compound SELECT|parser stack overflow|at most \d+ tables in a join|too many SQL variables)/;

function prepareWithinLimits(connection: Connection, sql: string): Database.Statement {
  try {
    return connection.prepare(sql);
  } catch (error) {
    if (error instanceof Database.SqliteError && STATEMENT_LIMITS.test(error.message)) {
      throw new FhirError('too-costly', `The search is nested or combined too deeply for the SQLite engine (${error.message}): use fewer levels of chaining or _has, or fewer conditions`);
    }
    throw error;
  }
}

/** better-sqlite3 is synchronous; statements are prepared once per connection and reused */
function connectionSession(connection: Connection): SqlSession {
  const statements = new Map<string, Database.Statement>();
  const statement = (sql: string) => {
    let prepared = statements.get(sql);
    if (prepared === undefined) {
      prepared = prepareWithinLimits(connection, sql);
      if (statements.size > 2000) statements.clear();
      statements.set(sql, prepared);
    }
    return prepared;
  };
  return {
    // an array binds its elements as the anonymous parameters, without spreading hundreds of arguments
    all: async (sql, params) => statement(sql).all(params) as Row[],
    run: async (sql, params) => { statement(sql).run(params); },
  };
}

interface QueuedWrite {
  fn: (session: SqlSession) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** upper bound of writes sharing one commit, to keep the writer lock short */
const MAX_GROUP = 256;

class SqliteEngine implements SqlEngine {
  private readonly mutex = new AsyncMutex();
  private queued: QueuedWrite[] = [];
  private draining = false;
  private readonly writerSession: SqlSession;
  private readerConnection?: Connection;
  private readerSession?: SqlSession;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  private readonly savepoint: Database.Statement;
  private readonly releaseSavepoint: Database.Statement;
  private readonly rollbackToSavepoint: Database.Statement;

  constructor(private readonly file: string, private readonly writer: Connection) {
    this.writerSession = connectionSession(writer);
    this.begin = writer.prepare('BEGIN IMMEDIATE');
    this.commit = writer.prepare('COMMIT');
    this.rollback = writer.prepare('ROLLBACK');
    this.savepoint = writer.prepare('SAVEPOINT single_write');
    this.releaseSavepoint = writer.prepare('RELEASE single_write');
    this.rollbackToSavepoint = writer.prepare('ROLLBACK TO single_write');
  }

  get reader(): SqlSession {
    if (!this.readerSession) throw new Error('SQLite store used before init()');
    return this.readerSession;
  }

  init(): void {
    this.writer.transaction(() => {
      this.writer.exec(SCHEMA_VERSION_TABLE);
      const row = this.writer.prepare('SELECT version FROM fhir_schema_version').get() as { version: number } | undefined;
      if (row) for (const statement of migrationStatements(row.version, sqliteDialect, this.file)) this.writer.exec(statement);
      for (const statement of schemaStatements(sqliteDialect)) this.writer.exec(statement);
      if (!row) this.writer.prepare('INSERT INTO fhir_schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
      else if (row.version !== SCHEMA_VERSION) this.writer.prepare(SET_SCHEMA_VERSION).run(SCHEMA_VERSION);
    }).immediate(); // holding the write lock from the start: a deferred one that reads first fails at once (SQLITE_BUSY) if another connection writes meanwhile
    if (!this.readerConnection) {
      this.readerConnection = new Database(this.file, { readonly: true, fileMustExist: true });
      this.readerConnection.pragma('busy_timeout = 5000');
      this.readerConnection.pragma('temp_store = MEMORY');
      this.readerSession = connectionSession(this.readerConnection);
    }
  }

  transaction<T>(mode: 'single-write' | 'caller', fn: (session: SqlSession) => Promise<T>): Promise<T> {
    if (mode === 'caller') return this.callerTransaction(fn);
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) void this.drainQueuedWrites();
    });
  }

  private async drainQueuedWrites(): Promise<void> {
    this.draining = true;
    // let the requests of this event-loop turn queue their writes before the first commit
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queued.length) {
      const release = await this.mutex.lock();
      const group = this.queued.splice(0, MAX_GROUP);
      try {
        const outcomes = (group.length > 1 ? await this.writeTogether(group) : undefined) ?? await this.writeEachInSavepoint(group);
        for (const settle of outcomes) settle();
      } catch (error) {
        if (this.writer.inTransaction) this.rollback.run();
        for (const write of group) write.reject(error);
      } finally {
        release();
      }
    }
    this.draining = false;
  }

  /**
   * The group's writes in one transaction without savepoints (each savepoint copies every page its write changes to
   * a sub-journal) and with their index rows inserted together; undefined, with nothing written, when one of them
   * fails: the group is then written again one savepoint per write, from the same state, so each gets its own outcome.
   */
  private async writeTogether(group: QueuedWrite[]): Promise<(() => void)[] | undefined> {
    this.begin.run();
    const values: unknown[] = [];
    try {
      await withDeferredIndexRows(this.writerSession, sqliteDialect, async (session) => {
        for (const write of group) values.push(await write.fn(session));
      });
    } catch {
      if (this.writer.inTransaction) this.rollback.run();
      return undefined;
    }
    this.commit.run();
    return group.map((write, k) => () => write.resolve(values[k]));
  }

  private async writeEachInSavepoint(group: QueuedWrite[]): Promise<(() => void)[]> {
    const outcomes: (() => void)[] = [];
    this.begin.run();
    for (const write of group) {
      this.savepoint.run();
      try {
        const value = await write.fn(this.writerSession);
        this.releaseSavepoint.run();
        outcomes.push(() => write.resolve(value));
      } catch (error) {
        this.rollbackToSavepoint.run();
        this.releaseSavepoint.run();
        outcomes.push(() => write.reject(error));
      }
    }
    this.commit.run();
    return outcomes;
  }

  private async callerTransaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    const release = await this.mutex.lock();
    try {
      this.begin.run();
      try {
        const result = await withDeferredIndexRows(this.writerSession, sqliteDialect, fn);
        this.commit.run();
        return result;
      } catch (error) {
        if (this.writer.inTransaction) this.rollback.run();
        throw error;
      }
    } finally {
      release();
    }
  }

  async ddl(statements: readonly string[]): Promise<void> {
    const release = await this.mutex.lock();
    try {
      this.writer.transaction(() => {
        for (const statement of statements) this.writer.exec(statement);
      }).immediate();
    } finally {
      release();
    }
  }

  async close(): Promise<void> {
    const release = await this.mutex.lock();
    try {
      this.readerConnection?.close();
      if (this.writer.open) this.writer.close();
    } finally {
      release();
    }
  }
}

export async function createSqliteStore(file: string): Promise<FhirStore> {
  createDirectory(path.dirname(path.resolve(file)));
  const writer = new Database(file);
  writer.pragma('journal_mode = WAL');
  writer.pragma('synchronous = NORMAL');
  writer.pragma('busy_timeout = 5000');
  writer.pragma('cache_size = -65536');
  writer.pragma('temp_store = MEMORY');
  // checkpoints fsync the database; fewer, larger ones keep that cost off most commits
  writer.pragma('wal_autocheckpoint = 10000');
  const engine = new SqliteEngine(file, writer);
  return new SqlStore('sqlite', engine, sqliteDialect, async () => engine.init());
}

/**
 * mkdir -p one level at a time: Node's recursive mkdirSync never returns for a path under /proc (it retries
 * ENOENT forever), so a mistyped FHIR_STORE would hang the start instead of failing with the reason.
 */
function createDirectory(directory: string): void {
  const missing: string[] = [];
  for (let current = directory; !fs.existsSync(current); current = path.dirname(current)) {
    missing.unshift(current);
    if (path.dirname(current) === current) break;
  }
  for (const level of missing) fs.mkdirSync(level);
}
