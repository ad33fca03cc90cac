/**
 * The JobStore of SQLite and PostgreSQL (job-port.ts): one row per job in `fhir_jobs`. Each state change is
 * a single conditional UPDATE ... RETURNING, run as its own transaction, so the database decides which of
 * two racing nodes wins. On SQLite the writer lock (BEGIN IMMEDIATE) serialises the statements of every
 * process that opened the file; on PostgreSQL the row lock does, and the claim's inner SELECT skips rows
 * another claimer has locked, so a concurrent claimer takes the next job instead of none.
 */
import type { JobHolder, JobLease, JobRecord, JobState, JobStore, NewJob } from '../job-port.js';
import type { SqlDialect } from './dialect.js';
import type { Row, SqlEngine } from './session.js';

export const JOB_TABLE = 'fhir_jobs';

/**
 * Created IF NOT EXISTS with the rest of the schema: a database of schema version 3 written before jobs
 * lived in the database gains the empty table on its next start, and nothing else changes.
 */
export function jobTableStatements(dialect: SqlDialect): string[] {
  const text = dialect.textType;
  return [
    `CREATE TABLE IF NOT EXISTS ${JOB_TABLE} (
      jkey ${dialect.surrogateKey},
      id ${text} NOT NULL UNIQUE,
      kind ${text} NOT NULL,
      state ${text} NOT NULL,
      payload ${text} NOT NULL,
      owner ${text},
      fence ${dialect.bigint} NOT NULL,
      lease_until ${dialect.bigint},
      created_at ${dialect.bigint} NOT NULL,
      updated_at ${dialect.bigint} NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS ${JOB_TABLE}_claim ON ${JOB_TABLE} (kind, state, jkey)`,
  ];
}

/** the database clock in epoch milliseconds (SQLite: julian day of 'now'; PostgreSQL: clock_timestamp()) */
function nowMs(dialect: SqlDialect): string {
  return dialect.name === 'postgres'
    ? 'CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)'
    : "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
}

export class SqlJobStore implements JobStore {
  private readonly now: string;
  private readonly columns: string;
  /** a running job nobody holds: its lease lapsed, or its node released it */
  private readonly lapsed: string;

  constructor(private readonly engine: SqlEngine, private readonly dialect: SqlDialect) {
    this.now = nowMs(dialect);
    this.columns = `id, kind, state, payload, owner, fence, created_at, updated_at,`
      + ` CASE WHEN lease_until IS NOT NULL AND lease_until >= ${this.now} THEN 1 ELSE 0 END AS leased`;
    this.lapsed = `(state = 'running' AND (lease_until IS NULL OR lease_until < ${this.now}))`;
  }

  /** one statement, committed on its own */
  private write(sql: string, params: unknown[]): Promise<Row[]> {
    if (this.engine.autocommit) return this.engine.autocommit.all(sql, params);
    return this.engine.transaction('single-write', (session) => session.all(sql, params));
  }

  async create(job: NewJob, holder?: JobHolder): Promise<JobRecord> {
    const [state, owner, fence, leaseUntil] = holder ? [`'running'`, '?', '1', `${this.now} + ?`] : [`'queued'`, 'NULL', '0', 'NULL'];
    const rows = await this.write(
      `INSERT INTO ${JOB_TABLE} (id, kind, state, payload, owner, fence, lease_until, created_at, updated_at)`
      + ` VALUES (?, ?, ${state}, ?, ${owner}, ${fence}, ${leaseUntil}, ${this.now}, ${this.now}) RETURNING ${this.columns}`,
      [job.id, job.kind, JSON.stringify(job.payload), ...(holder ? [holder.owner, holder.leaseMs] : [])],
    );
    return toRecord(rows[0]!);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const rows = await this.engine.reader.all(`SELECT ${this.columns} FROM ${JOB_TABLE} WHERE id = ?`, [id]);
    return rows[0] && toRecord(rows[0]);
  }

  async list(kinds: string[]): Promise<JobRecord[]> {
    if (kinds.length === 0) return [];
    const rows = await this.engine.reader.all(
      `SELECT ${this.columns} FROM ${JOB_TABLE} WHERE kind IN (${kinds.map(() => '?').join(', ')}) AND state <> 'cancelled' ORDER BY jkey`,
      kinds,
    );
    return rows.map(toRecord);
  }

  private claimSet(): string {
    return `state = 'running', owner = ?, fence = fence + 1, lease_until = ${this.now} + ?, updated_at = ${this.now}`;
  }

  async claimNext(kinds: string[], owner: string, leaseMs: number): Promise<JobRecord | undefined> {
    if (kinds.length === 0) return undefined;
    const claimable = `kind IN (${kinds.map(() => '?').join(', ')}) AND (state = 'queued' OR ${this.lapsed})`;
    const skipLocked = this.dialect.name === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    // the outer condition is checked again on the row itself: on PostgreSQL a claimer that waited for the
    // row lock re-reads the row the winner wrote and then matches nothing
    const rows = await this.write(
      `UPDATE ${JOB_TABLE} SET ${this.claimSet()}`
      + ` WHERE jkey = (SELECT jkey FROM ${JOB_TABLE} WHERE ${claimable} ORDER BY jkey LIMIT 1${skipLocked}) AND ${claimable}`
      + ` RETURNING ${this.columns}`,
      [owner, leaseMs, ...kinds, ...kinds],
    );
    return rows[0] && toRecord(rows[0]);
  }

  async claim(id: string, owner: string, leaseMs: number): Promise<JobRecord | undefined> {
    const rows = await this.write(
      `UPDATE ${JOB_TABLE} SET ${this.claimSet()} WHERE id = ? AND (state IN ('queued', 'failed') OR ${this.lapsed}) RETURNING ${this.columns}`,
      [owner, leaseMs, id],
    );
    return rows[0] && toRecord(rows[0]);
  }

  private async held(set: string, setParams: unknown[], lease: JobLease): Promise<boolean> {
    const rows = await this.write(
      `UPDATE ${JOB_TABLE} SET ${set}, updated_at = ${this.now} WHERE id = ? AND owner = ? AND fence = ? AND state = 'running' RETURNING id`,
      [...setParams, lease.id, lease.owner, lease.fence],
    );
    return rows.length === 1;
  }

  renew(lease: JobLease, leaseMs: number, payload?: unknown): Promise<boolean> {
    if (payload === undefined) return this.held(`lease_until = ${this.now} + ?`, [leaseMs], lease);
    return this.held(`lease_until = ${this.now} + ?, payload = ?`, [leaseMs, JSON.stringify(payload)], lease);
  }

  finish(lease: JobLease, state: 'completed' | 'failed', payload: unknown): Promise<boolean> {
    return this.held('state = ?, payload = ?, owner = NULL, lease_until = NULL', [state, JSON.stringify(payload)], lease);
  }

  release(lease: JobLease): Promise<boolean> {
    return this.held('owner = NULL, lease_until = NULL', [], lease);
  }

  async cancel(id: string): Promise<boolean> {
    const rows = await this.write(
      `UPDATE ${JOB_TABLE} SET state = 'cancelled', owner = NULL, lease_until = NULL, updated_at = ${this.now} WHERE id = ? AND state <> 'cancelled' RETURNING id`,
      [id],
    );
    return rows.length === 1;
  }
}

function toRecord(row: Row): JobRecord {
  const record: JobRecord = {
    id: row.id as string,
    kind: row.kind as string,
    state: row.state as JobState,
    payload: JSON.parse(row.payload as string),
    fence: Number(row.fence),
    leased: Number(row.leased) === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
  if (row.owner !== null && row.owner !== undefined) record.owner = row.owner as string;
  return record;
}
