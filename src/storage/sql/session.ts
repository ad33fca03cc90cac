import type { VersionWrite } from '../port.js';
import type { IndexedVersion, VersionRow } from './writes.js';

/** Where statements run: a connection (SQLite) or a pooled client (PostgreSQL), inside or outside a transaction. */
export type Row = Record<string, unknown>;

/** `indexFree`: the statement neither reads nor changes index tables (deferred index rows need not go out first) */
export interface StatementOptions { indexFree?: boolean }

export interface SqlSession {
  /** a statement that returns rows; SQL uses `?` placeholders, converted by the session for its engine */
  all(sql: string, params: unknown[], options?: StatementOptions): Promise<Row[]>;
  /** a statement that returns nothing */
  run(sql: string, params: unknown[], options?: StatementOptions): Promise<void>;
  /**
   * Takes a create (expected previous version 0) to send later, with others, before this session's next statement
   * or its commit (PostgreSQL caller transactions); absent where each write runs at once.
   */
  deferCreate?(version: VersionWrite, row: VersionRow): void;
  /** Takes a new version's index rows to insert later, with others' (SQLite caller transactions, deferred-index-rows.ts). */
  deferIndexRows?(version: IndexedVersion): void;
}

/**
 * An engine as the shared store sees it: a session for plain reads (last committed state) and a way to run
 * work in one transaction. `mode` 'single-write' is one version write; 'caller' is withTransaction, where the
 * caller may search then write (PostgreSQL runs it SERIALIZABLE).
 */
export interface SqlEngine {
  readonly reader: SqlSession;
  /** where a single atomic statement may run as its own transaction (PostgreSQL: the pool); absent on SQLite (group commit) */
  readonly autocommit?: SqlSession;
  transaction<T>(mode: 'single-write' | 'caller', fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /** schema statements in one transaction of their own, never inside another one (lookup-indexes.ts) */
  ddl(statements: readonly string[]): Promise<void>;
  /** `count` versions were written (PostgreSQL refreshes planner statistics after many) */
  noteWrites?(count: number): void;
  close(): Promise<void>;
}
