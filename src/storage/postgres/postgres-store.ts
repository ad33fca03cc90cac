/**
 * PostgreSQL engine on the shared SQL compiler: a pg.Pool, JSONB content, schema created at init under an
 * advisory lock so concurrent starts are safe.
 *
 * Isolation: a single version write runs READ COMMITTED with SELECT ... FOR UPDATE on the current row (and the
 * unique (type, id) key catches concurrent creates). withTransaction runs SERIALIZABLE and is retried
 * on serialization failures (40001) and deadlocks (40P01), as a whole callback; a single write outside a transaction
 * is retried too (its autocommit statement, or its own transaction), and when the retries run out the caller gets
 * FhirError 'transient' (503), never the raw error. That makes search-then-create (conditional create,
 * conditional update, transaction Bundles) race-free for every caller without any locking protocol they must
 * remember: of two concurrent If-None-Exist creates, PostgreSQL aborts one, and its retry finds the other's resource.
 * Callbacks must therefore be safe to run again (they only act through the tx store).
 *
 * Creates share statements (sql/create-batch.ts): those of concurrent requests go out together, and a caller
 * transaction's creates wait for its next statement or its commit. Commits do not wait for the WAL flush by default
 * (synchronous_commit=off, the durability of the SQLite engine's synchronous=NORMAL; see createPostgresStore).
 */
import pg from 'pg';
import { FhirError } from '../../fhir/errors.js';
import type { FhirStore } from '../port.js';
import { postgresDialect } from '../sql/dialect.js';
import { migrationStatements, SCHEMA_VERSION, SCHEMA_VERSION_TABLE, schemaStatements, SET_SCHEMA_VERSION } from '../sql/schema.js';
import type { Row, SqlEngine, SqlSession } from '../sql/session.js';
import { SqlStore } from '../sql/sql-store.js';
import { DeferringSession } from '../sql/create-batch.js';
import { writeOverExisting } from '../sql/writes.js';
import { DEFAULT_PREPARED_PER_CONNECTION, PreparedStatements } from './prepared-statements.js';
import { StatisticsRefresher } from './statistics.js';

const DEFAULT_POOL_SIZE = 10;
const MAX_ATTEMPTS = 8;
const RETRYABLE = new Set(['40001', '40P01']);
/** search totals are remembered per pg_current_snapshot() (sql/snapshot-counts.ts), new in 13 */
const MINIMUM_SERVER_VERSION = 130000;
/** arbitrary constant naming the schema-migration advisory lock */
const SCHEMA_LOCK = 461_771_204;

type Queryable = pg.Pool | pg.PoolClient;

interface TrackedSession extends SqlSession {
  /** the server reported a serialization failure or deadlock, even if the caller wrapped the error */
  retryable: boolean;
}

function session(target: Queryable, statements: PreparedStatements): TrackedSession {
  const tracked: TrackedSession = {
    retryable: false,
    all: async (sql, params) => {
      try {
        const text = postgresDialect.prepare(sql);
        const result = target instanceof pg.Pool
          ? await statements.queryFromPool(target, text, params)
          : await statements.query(target, text, params, false);
        return result.rows as Row[];
      } catch (error) {
        if (RETRYABLE.has((error as { code?: string }).code ?? '')) tracked.retryable = true;
        throw error;
      }
    },
    run: async (sql, params, options) => { await tracked.all(sql, params, options); },
  };
  return tracked;
}

const isRetryable = (error: unknown) => RETRYABLE.has((error as { code?: string } | undefined)?.code ?? '');

/** what a client sees when conflicts outlast the retries: 503, try again (never a 500) */
function gaveUp(error: unknown, attempts: number): FhirError {
  const detail = (error as Error | undefined)?.message ?? String(error);
  return new FhirError('transient', `The write conflicted with concurrent writes ${attempts} times (${detail}); retry it`,
    { headers: { 'Retry-After': '1' } });
}

const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));

/** a session whose statements each run alone (autocommit), rerun on serialization failures and deadlocks */
function retryingSession(target: SqlSession): SqlSession {
  const retrying: SqlSession = {
    all: async (sql, params, options) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await target.all(sql, params, options);
        } catch (error) {
          if (!isRetryable(error)) throw error;
          if (attempt >= MAX_ATTEMPTS) throw gaveUp(error, attempt);
        }
        await backoff(attempt);
      }
    },
    run: async (sql, params, options) => { await retrying.all(sql, params, options); },
  };
  return retrying;
}

class PostgresEngine implements SqlEngine {
  readonly reader: SqlSession;
  readonly autocommit: SqlSession;
  readonly statistics: StatisticsRefresher;

  constructor(private readonly pool: pg.Pool, private readonly schema: string | undefined, private readonly statements: PreparedStatements) {
    this.reader = session(pool, statements);
    this.autocommit = retryingSession(this.reader);
    this.statistics = new StatisticsRefresher(pool);
  }

  noteWrites(count: number): void {
    this.statistics.noteWrites(count);
  }

  async init(): Promise<void> {
    const client = await this.pool.connect();
    try {
      const version = Number((await client.query('SHOW server_version_num')).rows[0].server_version_num);
      if (version < MINIMUM_SERVER_VERSION) {
        throw new Error(`PostgreSQL ${Math.floor(version / 10000)} is too old: this server needs PostgreSQL 13 or later (pg_current_snapshot)`);
      }
      await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
      try {
        if (this.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(this.schema)}`);
        await client.query(SCHEMA_VERSION_TABLE);
        const { rows } = await client.query('SELECT version FROM fhir_schema_version');
        const found = rows.length > 0 ? Number(rows[0].version) : undefined;
        const migration = found === undefined ? [] : migrationStatements(found, postgresDialect, 'The database');
        // one transaction: a failed migration leaves the database at its old version, untouched
        await client.query('BEGIN');
        try {
          for (const statement of [...migration, ...schemaStatements(postgresDialect)]) await client.query(statement);
          if (found === undefined) await client.query('INSERT INTO fhir_schema_version (version) VALUES ($1)', [SCHEMA_VERSION]);
          else if (found !== SCHEMA_VERSION) await client.query(postgresDialect.prepare(SET_SCHEMA_VERSION), [SCHEMA_VERSION]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]);
      }
    } finally {
      client.release();
    }
  }

  async transaction<T>(mode: 'single-write' | 'caller', fn: (session: SqlSession) => Promise<T>): Promise<T> {
    const begin = mode === 'caller' ? 'BEGIN ISOLATION LEVEL SERIALIZABLE' : 'BEGIN';
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      const tx = session(client, this.statements);
      let broken = false;
      try {
        await this.statements.deallocateOld(client);
        await client.query(begin);
        // a caller's creates are held back and sent together (create-batch.ts)
        const deferring = mode === 'caller'
          ? new DeferringSession(tx, (inner, version, row) => writeOverExisting(inner, postgresDialect, version, row))
          : undefined;
        const result = await fn(deferring ?? tx);
        await deferring?.flush();
        await tx.run('COMMIT', []);
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => { broken = true; });
        // the callback may have wrapped the server's error; the session saw it either way
        if (!tx.retryable && !isRetryable(error)) throw error;
        if (attempt >= MAX_ATTEMPTS) throw gaveUp(error, attempt);
      } finally {
        client.release(broken);
      }
      await backoff(attempt);
    }
  }

  async ddl(statements: readonly string[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      for (const statement of statements) await client.query(statement);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.statistics.close();
    await this.pool.end();
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const SYNCHRONOUS_COMMIT = ['on', 'off', 'local', 'remote_write', 'remote_apply'];
const PLAN_CACHE_MODE = ['auto', 'force_generic_plan', 'force_custom_plan'];

/**
 * The durability of the SQLite engine (WAL, synchronous=NORMAL): a commit is never torn and never corrupts, but the
 * last commits before a power loss or OS crash may be lost. PostgreSQL's equivalent is synchronous_commit=off (commits
 * return before their WAL reaches the disk; the WAL writer flushes within 3 x wal_writer_delay, 0.6 s by default; a
 * crash loses at most those, atomically). It also loses them when PostgreSQL itself crashes, which SQLite's NORMAL
 * survives. `?synchronous_commit=on` waits for the flush on every commit (README "PostgreSQL durability").
 */
const DEFAULT_SYNCHRONOUS_COMMIT = 'off';

/**
 * `postgres://user:pass@host:port/db?pool_size=20&schema=fhir&synchronous_commit=on&plan_cache_mode=force_custom_plan&prepared_statements=500`
 * (pool_size, schema, synchronous_commit, plan_cache_mode and prepared_statements are ours, removed before pg sees the
 * URL; synchronous_commit and plan_cache_mode are set on every pooled connection; prepared_statements bounds the
 * statements each connection keeps prepared, prepared-statements.ts).
 */
export async function createPostgresStore(url: string): Promise<FhirStore> {
  const parsed = new URL(url);
  const poolSize = Number(parsed.searchParams.get('pool_size') ?? DEFAULT_POOL_SIZE);
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new Error(`pool_size must be a positive integer in ${parsed.origin}`);
  const schema = parsed.searchParams.get('schema') ?? undefined;
  const synchronousCommit = parsed.searchParams.get('synchronous_commit') ?? DEFAULT_SYNCHRONOUS_COMMIT;
  if (!SYNCHRONOUS_COMMIT.includes(synchronousCommit)) {
    throw new Error(`synchronous_commit must be one of ${SYNCHRONOUS_COMMIT.join(', ')} in ${parsed.origin}`);
  }
  // unset: the server's own setting (PostgreSQL's default, auto, plans the first five executions of a statement for
  // their values and then keeps a generic plan when it costs no more)
  const planCacheMode = parsed.searchParams.get('plan_cache_mode') ?? undefined;
  if (planCacheMode !== undefined && !PLAN_CACHE_MODE.includes(planCacheMode)) throw new Error(`plan_cache_mode must be one of ${PLAN_CACHE_MODE.join(', ')} in ${parsed.origin}`);
  parsed.searchParams.delete('pool_size');
  parsed.searchParams.delete('plan_cache_mode');
  const preparedPerConnection = Number(parsed.searchParams.get('prepared_statements') ?? DEFAULT_PREPARED_PER_CONNECTION);
  if (!Number.isInteger(preparedPerConnection) || preparedPerConnection < 1) {
    throw new Error(`prepared_statements must be a positive integer in ${parsed.origin}`);
  }
  parsed.searchParams.delete('prepared_statements');
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('synchronous_commit');
  const settings = [
    ...(schema ? [`-c search_path=${quoteIdentifier(schema)}`] : []),
    `-c synchronous_commit=${synchronousCommit}`,
    // literals in statement texts (dialect.ts postgresLiteral) rely on it; PostgreSQL's default since 9.1
    '-c standard_conforming_strings=on',
    ...(planCacheMode ? [`-c plan_cache_mode=${planCacheMode}`] : []),
  ];
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: poolSize,
    // a connection once opened stays open, as in a fixed-size pool: closed after pg-pool's default 10 s idle, it was
    // opened again by the next request after a pause, which paid for the authentication, a cold backend and every
    // statement prepared again
    min: poolSize,
    options: settings.join(' '),
    types: {
      // BIGINT keys and epoch milliseconds fit in a double; COUNT(*) too
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', () => undefined); // idle-client errors surface on the next query instead of crashing the process
  const engine = new PostgresEngine(pool, schema, new PreparedStatements(preparedPerConnection));
  return new SqlStore('postgres', engine, postgresDialect, () => engine.init());
}
