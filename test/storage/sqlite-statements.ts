/** Test support (not a test): the statements a SQLite store's searches run, and a read-only connection to explain them. */
import Database from 'better-sqlite3';
import type { FhirStore } from '../../src/storage/port.js';
import type { Row, SqlSession } from '../../src/storage/sql/session.js';

export interface RecordedStatement { sql: string; params: unknown[] }

/**
 * Wraps the store's read session so every statement it runs is pushed onto the returned list (searches run there),
 * and opens `file` read-only for EXPLAIN QUERY PLAN; close the connection in the test's teardown.
 */
export function recordSearchStatements(store: FhirStore, file: string): { recorded: RecordedStatement[]; explain: Database.Database } {
  const reader = (store as unknown as { sql: { reader: SqlSession } }).sql.reader;
  const recorded: RecordedStatement[] = [];
  const all = reader.all.bind(reader);
  reader.all = (sql: string, params: unknown[]): Promise<Row[]> => {
    recorded.push({ sql, params });
    return all(sql, params);
  };
  return { recorded, explain: new Database(file, { readonly: true }) };
}
