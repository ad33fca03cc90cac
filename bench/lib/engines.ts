/**
 * Storage engines the benchmark can run on, and fresh stores for each server or import it starts:
 *  - "sqlite": a new data directory under the run's scratch folder;
 *  - "postgres" or a postgres:// URL: a new schema (`?schema=bench_...`, dropped afterwards) in that database;
 *    "postgres" alone means --postgres-url, FHIR_BENCH_POSTGRES_URL or the URL scripts/ci-postgres.sh prints;
 *  - a mongodb:// URL: a new database name per store (not dropped; no mongod was available to run it here).
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';

export const DEFAULT_POSTGRES_URL = 'postgres://fhir:fhir@127.0.0.1:5432/fhir_test';

export type EngineKind = 'sqlite' | 'postgres' | 'mongodb';

export interface FreshStore {
  /** FHIR_STORE value */
  store: string;
  /** FHIR_DATA_DIR value */
  dataDir: string;
  dispose(): Promise<void>;
}

export interface Engine {
  /** label for tables and file names */
  kind: EngineKind;
  /** the server URL given (postgres, mongodb); fresh stores are schemas or databases inside it */
  baseUrl?: string;
  freshStore(purpose: string): Promise<FreshStore>;
  /** one-line description for the report (never prints a password) */
  describe(): string;
}

let storeCounter = 0;
function uniqueName(purpose: string): string {
  const slug = purpose.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 20);
  return `bench_${process.pid}_${Date.now().toString(36)}_${++storeCounter}_${slug}`;
}

export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

function sqliteEngine(scratchDir: string): Engine {
  return {
    kind: 'sqlite',
    describe: () => 'SQLite (better-sqlite3), a fresh file per server under the scratch folder',
    async freshStore(purpose) {
      const dataDir = path.join(scratchDir, uniqueName(purpose));
      fs.mkdirSync(dataDir, { recursive: true });
      return {
        store: 'sqlite',
        dataDir,
        dispose: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
      };
    },
  };
}

/** Runs one statement on a short-lived connection (schema creation and clean-up). */
export async function postgresExecute(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Waits until the server's statistics refresh after a load (src/storage/postgres/statistics.ts: VACUUM (ANALYZE) once
 * writes pause for 2 s) has run, so the searches measured next are planned on the figures a user would find, and do
 * not share the cores with that run. Returns the seconds waited.
 */
export async function postgresMaintenanceSettled(url: string): Promise<number> {
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (let polls = 0; polls < 600; polls++) {
      const { rows } = await client.query(
        `SELECT count(*)::int AS running FROM pg_stat_activity WHERE state = 'active' AND query ILIKE 'VACUUM%' AND pid <> pg_backend_pid()`);
      if (rows[0].running === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.end();
  }
  return (Date.now() - started) / 1000;
}

function postgresEngine(baseUrl: string, scratchDir: string): Engine {
  return {
    kind: 'postgres',
    baseUrl,
    describe: () => `PostgreSQL at ${withoutPassword(baseUrl)}, a fresh schema per server (dropped afterwards)`,
    async freshStore(purpose) {
      const schema = uniqueName(purpose);
      const url = new URL(baseUrl);
      url.searchParams.set('schema', schema);
      const dataDir = path.join(scratchDir, schema);
      fs.mkdirSync(dataDir, { recursive: true });
      return {
        store: url.toString(),
        dataDir,
        dispose: async () => {
          await postgresExecute(baseUrl, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch((error: unknown) => {
            process.stderr.write(`could not drop schema ${schema}: ${(error as Error).message}\n`);
          });
          fs.rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  };
}

function mongoEngine(baseUrl: string, scratchDir: string): Engine {
  return {
    kind: 'mongodb',
    baseUrl,
    describe: () => `MongoDB at ${withoutPassword(baseUrl)}, a fresh database per server (left in place)`,
    async freshStore(purpose) {
      const name = uniqueName(purpose);
      const url = new URL(baseUrl);
      url.pathname = `/${name}`;
      const dataDir = path.join(scratchDir, name);
      fs.mkdirSync(dataDir, { recursive: true });
      return { store: url.toString(), dataDir, dispose: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
    },
  };
}

/** "sqlite", "postgres", "postgres://...", "mongodb://..." -> an Engine. */
export function resolveEngine(spec: string, scratchDir: string, postgresUrl: string | undefined): Engine {
  if (spec === 'sqlite') return sqliteEngine(scratchDir);
  if (spec === 'postgres' || spec === 'postgresql') {
    return postgresEngine(postgresUrl ?? process.env.FHIR_BENCH_POSTGRES_URL ?? DEFAULT_POSTGRES_URL, scratchDir);
  }
  if (/^postgres(ql)?:\/\//.test(spec)) return postgresEngine(spec, scratchDir);
  if (/^mongodb(\+srv)?:\/\//.test(spec)) return mongoEngine(spec, scratchDir);
  throw new Error(`unknown engine "${spec}": use sqlite, postgres, a postgres:// URL or a mongodb:// URL`);
}

/** Why an engine cannot be used here, or undefined when it answers. */
export async function engineUnavailable(engine: Engine): Promise<string | undefined> {
  if (engine.kind !== 'postgres') return undefined;
  try {
    await postgresExecute(engine.baseUrl!, 'SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${withoutPassword(engine.baseUrl!)} does not answer (${(error as Error).message}); ` +
      'start one with `bash scripts/ci-postgres.sh` (prints the URL) and pass --postgres-url';
  }
}
