/**
 * Planner statistics and visibility after bulk writes. PostgreSQL plans from statistics that autovacuum's ANALYZE
 * refreshes only about a minute after a load; until then a freshly loaded index table looks empty and searches pick
 * walks over whole tables (Observation?category= took 2 s on 1,400 matches before the first ANALYZE, 3 ms after).
 * And until VACUUM marks fresh pages all-visible, an index-only scan still reads every row's heap page, which also
 * steers plans to other indexes (Patient?birthdate=ge, 19 matches, right after the benchmark's load: 2.0 ms, 1.0 ms
 * after VACUUM). So the store counts the versions it writes and, once they reach a share of what it has written so
 * far (1,000, then each half again as many: a logarithmic number of runs during a load), runs VACUUM (ANALYZE) on its
 * tables in the background, one run at a time. ANALYZE samples a fixed number of rows per table; VACUUM skips the
 * pages already all-visible, so on tables that mostly grow a run reads about what was written since the last one.
 *
 * Those runs fall during a load, so the last quarter of it or so would wait for autovacuum, and the searches right
 * after a load (the ones a migration checks its data with) would be planned on stale figures. So once writes pause
 * (no write for `quietMs`), one more run covers what the load wrote since the last, when that is at least a tenth
 * of all it wrote: a steady trickle of single writes does not set off a run at every pause.
 */
import type pg from 'pg';
import { HISTORY_TABLE, INDEX_TABLE_NAMES, RESOURCE_TABLE } from '../sql/tables.js';

const FIRST_RUN_AFTER = 1000;
const QUIET_AFTER_MS = 2000;
const TABLES = [RESOURCE_TABLE, ...INDEX_TABLE_NAMES, HISTORY_TABLE];

type Queryable = Pick<pg.Pool, 'query'>;

export class StatisticsRefresher {
  private sinceLastRun = 0;
  private totalWritten = 0;
  private lastWriteAt = 0;
  private running?: Promise<void>;
  private quietTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly pool: Queryable,
    private readonly threshold = FIRST_RUN_AFTER,
    private readonly quietMs = QUIET_AFTER_MS,
  ) {}

  noteWrites(count: number): void {
    this.sinceLastRun += count;
    this.totalWritten += count;
    this.lastWriteAt = Date.now();
    if (this.closed) return;
    if (!this.running && this.sinceLastRun >= Math.max(this.threshold, this.totalWritten / 3)) this.start();
    else if (!this.quietTimer) this.armQuietTimer(this.quietMs);
  }

  /** the run in progress, if any (tests and close wait for it) */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.quietTimer);
    this.quietTimer = undefined;
    await this.settled();
  }

  private armQuietTimer(delayMs: number): void {
    this.quietTimer = setTimeout(() => this.onQuiet(), delayMs);
    this.quietTimer.unref();
  }

  private onQuiet(): void {
    this.quietTimer = undefined;
    if (this.closed || this.sinceLastRun === 0) return;
    const quietFor = Date.now() - this.lastWriteAt;
    if (quietFor < this.quietMs) return this.armQuietTimer(this.quietMs - quietFor);
    if (this.running) return this.armQuietTimer(this.quietMs);
    if (this.sinceLastRun >= Math.max(this.threshold / 10, this.totalWritten / 10)) this.start();
  }

  private start(): void {
    this.sinceLastRun = 0;
    this.running = this.analyze()
      .catch(() => undefined) // statistics are an optimisation: a failed run (pool closing, lock timeout) is skipped
      .finally(() => { this.running = undefined; });
  }

  private async analyze(): Promise<void> {
    for (const table of TABLES) {
      if (this.closed) return;
      await this.pool.query(`VACUUM (ANALYZE) ${table}`);
    }
  }
}
