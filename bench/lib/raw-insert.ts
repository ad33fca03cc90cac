/**
 * The floor every write workload is compared with: the same resource JSON inserted into a plain table of the
 * same engine, in one transaction, with no validation, no index entries and no versions.
 *  - SQLite: better-sqlite3, a new file with the server's pragmas (WAL, synchronous=NORMAL), one prepared INSERT per row;
 *  - PostgreSQL: pg, a new schema, multi-row INSERTs of 500 rows into a JSONB column (the server stores JSONB).
 * JSON text is prepared before the clock starts; only the inserts and the commit are timed.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { postgresExecute, type Engine } from './engines.js';
import type { Resource } from './synthea.js';

export interface RawInsertResult {
  resources: number;
  seconds: number;
  resourcesPerSecond: number;
  how: string;
}

interface Row { type: string; id: string; json: string }

function rowsOf(resources: readonly Resource[]): Row[] {
  return resources.map((resource, index) => ({ type: resource.resourceType, id: resource.id ?? `row-${index}`, json: JSON.stringify(resource) }));
}

function result(rows: number, started: number, how: string): RawInsertResult {
  const seconds = (performance.now() - started) / 1000;
  return { resources: rows, seconds, resourcesPerSecond: Math.round(rows / seconds), how };
}

function sqliteRawInsert(rows: Row[], scratchDir: string): RawInsertResult {
  const folder = fs.mkdtempSync(path.join(scratchDir, 'raw-sqlite-'));
  const db = new Database(path.join(folder, 'raw.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE raw_resource (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, id TEXT NOT NULL, content TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO raw_resource (type, id, content) VALUES (?, ?, ?)');
    const insertAll = db.transaction((all: Row[]) => {
      for (const row of all) insert.run(row.type, row.id, row.json);
    });
    const started = performance.now();
    insertAll(rows);
    return result(rows.length, started, 'better-sqlite3, one transaction, plain table');
  } finally {
    db.close();
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

async function postgresRawInsert(rows: Row[], baseUrl: string): Promise<RawInsertResult> {
  const schema = `bench_raw_${process.pid}_${Date.now().toString(36)}`;
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA "${schema}"`);
    await client.query(`CREATE TABLE "${schema}".raw_resource (seq bigserial PRIMARY KEY, type text NOT NULL, id text NOT NULL, content text NOT NULL)`);
    const batchSize = 500;
    const started = performance.now();
    await client.query('BEGIN');
    for (let offset = 0; offset < rows.length; offset += batchSize) {
      const batch = rows.slice(offset, offset + batchSize);
      const values = batch.map((_, index) => `($${index * 3 + 1}, $${index * 3 + 2}, $${index * 3 + 3})`).join(',');
      await client.query(`INSERT INTO "${schema}".raw_resource (type, id, content) VALUES ${values}`, batch.flatMap((row) => [row.type, row.id, row.json]));
    }
    await client.query('COMMIT');
    return result(rows.length, started, `pg, one transaction, INSERTs of ${batchSize} rows into a text column, as the server stores it`);
  } finally {
    await client.end();
    await postgresExecute(baseUrl, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  }
}

/** undefined for engines without a raw baseline here (MongoDB). */
export async function rawInsert(engine: Engine, resources: readonly Resource[], scratchDir: string): Promise<RawInsertResult | undefined> {
  const rows = rowsOf(resources);
  if (engine.kind === 'sqlite') return sqliteRawInsert(rows, scratchDir);
  if (engine.kind === 'postgres') return postgresRawInsert(rows, engine.baseUrl!);
  return undefined;
}
