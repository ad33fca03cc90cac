/**
 * Start-up against an existing database (issue 5: under 3 s at 1 million resources on every engine): the time
 * from spawning `node src/main.ts` until GET [base]/metadata answers, several times, first on a database holding
 * only the demo hospital and then on the same database grown to FHIR_BENCH_STARTUP_RESOURCES (1,000,000) resources.
 *
 * How the large database is built, in minutes rather than hours: a server seeds the demo hospital (182 resources of
 * 22 types, through the transaction interaction) and stops; then, directly in SQL, its rows are copied until the
 * target is reached: copy k of the resource with key r gets key r + k * stride and id `<id>-c<k>` (in the content
 * too), its current history row, and copies of all its index rows. Secondary indexes are dropped during the copy
 * and rebuilt afterwards with the server's own DDL (schemaStatements). The copies' references still point at the
 * originals: the database is realistic in size and shape for start-up, not for searches.
 */
import path from 'node:path';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import pg from 'pg';
import { postgresDialect, sqliteDialect, type SqlDialect } from '../../src/storage/sql/dialect.js';
import { schemaStatements } from '../../src/storage/sql/schema.js';
import { HISTORY_TABLE, INDEX_TABLES, RESOURCE_TABLE, indexColumns } from '../../src/storage/sql/tables.js';
import { loadAverageNow, round } from '../lib/figures.js';
import { fhirEnvironment, freePort, projectRoot } from '../lib/processes.js';
import type { Workload, WorkloadContext } from './workload.js';

const TARGET = Number(process.env.FHIR_BENCH_STARTUP_RESOURCES ?? 1_000_000);
const STARTS = Number(process.env.FHIR_BENCH_STARTUP_RUNS ?? 5);
/** copies per transaction while growing the database */
const COPIES_PER_STEP = 500;

/** Spawns the server on the store and returns the milliseconds until /metadata answered; stops it. */
async function timeStart(store: { store: string; dataDir: string }): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: projectRoot, env: fhirEnvironment({ ...store, port }), stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited: number | null | undefined;
  child.once('exit', (code) => { exited = code; });
  try {
    for (;;) {
      if (exited !== undefined) throw new Error(`the server exited with code ${exited} before answering`);
      if (performance.now() - started > 120_000) throw new Error('no answer within 120 s');
      const ok = await fetch(`http://127.0.0.1:${port}/fhir/metadata`).then((response) => response.ok, () => false);
      if (ok) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    if (exited === undefined) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
  }
}

async function timeStarts(store: { store: string; dataDir: string }): Promise<number[]> {
  const times: number[] = [];
  for (let n = 0; n < STARTS; n++) times.push(round(await timeStart(store) / 1000));
  return times;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** the statements copying resources [first, last] copies of the rows with rkey <= stride (`?` numbered by the caller) */
function copyStatements(dialect: SqlDialect, stride: number, first: number, last: number): string[] {
  const isPostgres = dialect.name === 'postgres';
  const series = isPostgres ? `generate_series(${first}, ${last}) AS g(k)` : 'g';
  const prefix = isPostgres ? '' : `WITH RECURSIVE g(k) AS (SELECT ${first} UNION ALL SELECT k + 1 FROM g WHERE k < ${last}) `;
  const newId = "r.id || '-c' || g.k";
  const content = isPostgres ? `jsonb_set(r.content::jsonb, '{id}', to_jsonb(${newId}))::text` : `json_set(r.content, '$.id', ${newId})`;
  const statements = [
    `${prefix}INSERT INTO ${RESOURCE_TABLE} (rkey, type, id, version, last_updated, deleted, method, content, sort_keys)`
      + `${isPostgres ? ' OVERRIDING SYSTEM VALUE' : ''} SELECT r.rkey + g.k * ${stride}, r.type, ${newId}, r.version, r.last_updated,`
      + ` r.deleted, r.method, ${content}, r.sort_keys FROM ${RESOURCE_TABLE} r, ${series} WHERE r.rkey <= ${stride}`,
    `INSERT INTO ${HISTORY_TABLE} (rkey, version, type, id, last_updated, deleted, method)`
      + ` SELECT rkey, version, type, id, last_updated, deleted, method FROM ${RESOURCE_TABLE}`
      + ` WHERE rkey > ${first * stride} AND rkey <= ${(last + 1) * stride} ORDER BY rkey`,
  ];
  for (const spec of Object.values(INDEX_TABLES)) {
    const columns = indexColumns(spec);
    const selected = columns.map((column) => (column === 'rkey' ? `i.rkey + g.k * ${stride}` : `i.${column}`));
    statements.push(`${prefix}INSERT INTO ${spec.table} (${columns.join(', ')}) SELECT ${selected.join(', ')}`
      + ` FROM ${spec.table} i, ${series} WHERE i.rkey <= ${stride} ORDER BY g.k, i.rkey, i.seq`);
  }
  return statements;
}

interface Grower {
  query(sql: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

async function openGrower(store: { store: string; dataDir: string }): Promise<{ grower: Grower; dialect: SqlDialect }> {
  if (store.store === 'sqlite') {
    const db = new Database(path.join(store.dataDir, 'fhir.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    return {
      dialect: sqliteDialect,
      grower: {
        query: async (sql) => {
          const statement = db.prepare(sql);
          if (statement.reader) return statement.all() as Record<string, unknown>[];
          statement.run();
          return [];
        },
        close: async () => {
          db.pragma('wal_checkpoint(TRUNCATE)');
          db.close();
        },
      },
    };
  }
  const url = new URL(store.store);
  const schema = url.searchParams.get('schema');
  url.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: url.toString(), options: schema ? `-c search_path="${schema}"` : undefined });
  await client.connect();
  await client.query('SET synchronous_commit = off');
  await client.query("SET maintenance_work_mem = '256MB'");
  return {
    dialect: postgresDialect,
    grower: { query: async (sql) => (await client.query(sql)).rows, close: () => client.end() },
  };
}

/** grows the (seeded, stopped) database to `target` resources; returns the count reached */
async function grow(store: { store: string; dataDir: string }, target: number, log: (line: string) => void): Promise<number> {
  const { grower, dialect } = await openGrower(store);
  try {
    const [{ n, top }] = await grower.query(`SELECT COUNT(*) AS n, MAX(rkey) AS top FROM ${RESOURCE_TABLE}`) as [{ n: number; top: number }];
    const templates = Number(n);
    const stride = Number(top);
    const copies = Math.max(0, Math.ceil((target - templates) / templates));
    const indexes = dialect.name === 'postgres'
      ? (await grower.query("SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()"
        + " AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'")).map((row) => String(row.name))
      : (await grower.query("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")).map((row) => String(row.name));
    for (const name of indexes) await grower.query(`DROP INDEX ${name}`);
    const started = performance.now();
    for (let first = 1; first <= copies; first += COPIES_PER_STEP) {
      const last = Math.min(copies, first + COPIES_PER_STEP - 1);
      await grower.query('BEGIN');
      for (const sql of copyStatements(dialect, stride, first, last)) await grower.query(sql);
      await grower.query('COMMIT');
      log(`  startup: ${templates * (last + 1)} resources (${round((performance.now() - started) / 1000, 1)} s)`);
    }
    if (dialect.name === 'postgres') {
      await grower.query(`ALTER TABLE ${RESOURCE_TABLE} ALTER COLUMN rkey RESTART WITH ${(copies + 1) * stride + 1}`);
    }
    for (const sql of schemaStatements(dialect)) await grower.query(sql);
    // an existing database has been vacuumed and analysed by then; the start must not pay for the copy
    const tables = [RESOURCE_TABLE, HISTORY_TABLE, ...Object.values(INDEX_TABLES).map((spec) => spec.table)];
    await grower.query(dialect.name === 'postgres' ? `VACUUM ANALYZE ${tables.join(', ')}` : 'ANALYZE');
    log(`  startup: indexes rebuilt (${round((performance.now() - started) / 1000, 1)} s)`);
    return templates * (copies + 1);
  } finally {
    await grower.close();
  }
}

export const startup: Workload = {
  name: 'startup',
  description: `start-up (spawn to GET /metadata) on the demo hospital alone and grown to ${TARGET} resources`,
  async run(context: WorkloadContext) {
    const store = await context.freshStore('startup');
    try {
      // the first start creates the schema and seeds the demo hospital
      const first = round(await timeStart(store) / 1000);
      const small = await timeStarts(store);
      context.log(`startup: growing the ${context.engine.kind} database to ${TARGET} resources`);
      const reached = await grow(store, TARGET, context.log);
      const large = await timeStarts(store);
      const loadAverage = loadAverageNow();
      const line = (label: string, times: number[]) => `startup ${context.engine.kind} ${label}: median ${median(times)} s (${times.join(', ')} s; load ${loadAverage})`;
      const notes = [
        `startup ${context.engine.kind} first start (schema created, demo hospital seeded): ${first} s`,
        line('demo hospital only (182 resources)', small),
        line(`${reached} resources`, large),
      ];
      return { rows: [], notes };
    } finally {
      await store.dispose();
    }
  },
};
