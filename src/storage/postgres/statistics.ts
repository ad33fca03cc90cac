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
 */
import type pg from 'pg';
import { HISTORY_TABLE, INDEX_TABLE_NAMES, RESOURCE_TABLE } from '../sql/tables.js';

const FIRST_RUN_AFTER = 1000;
const TABLES = [RESOURCE_TABLE, ...INDEX_TABLE_NAMES, HISTORY_TABLE];

export class StatisticsRefresher {
  private sinceLastRun = 0;
  private totalWritten = 0;
  private running?: Promise<void>;
  private closed = false;

  constructor(private readonly pool: pg.Pool, private readonly threshold = FIRST_RUN_AFTER) {}

  noteWrites(count: number): void {
    this.sinceLastRun += count;
    this.totalWritten += count;
    if (!this.running && !this.closed && this.sinceLastRun >= Math.max(this.threshold, this.totalWritten / 3)) this.start();
  }

  /** the run in progress, if any (tests and close wait for it) */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
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
