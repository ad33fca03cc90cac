/**
 * Counts of SQLite searches remembered while the database is unchanged. `PRAGMA data_version` on a connection
 * changes whenever any other connection (the writer, another process) commits, so a count taken at one version is
 * exact for every later statement of the same text and bound values that sees the same version. Only for a
 * session outside any transaction: the read-only reader, which never writes itself.
 *
 * Why: a search matching ~1,000 rows spent half its statement time counting them for Bundle.total, again on every
 * page and every repeat of the search.
 */
import type { SqlSession } from './session.js';

/** counts kept per database version; all of them are dropped when it changes */
const MAX_COUNTS = 2000;

interface Generation {
  version: unknown;
  counts: Map<string, number>;
}

const generations = new WeakMap<SqlSession, Generation>();

const countKey = (sql: string, params: readonly unknown[]) => `${sql}\u0000${JSON.stringify(params)}`;

async function dataVersion(session: SqlSession): Promise<unknown> {
  const [row] = await session.all('PRAGMA data_version', []);
  return row?.data_version;
}

/** `count()` for the statement `sql` with `params`, or the number it gave at the current version */
export async function memoizedCount(session: SqlSession, sql: string, params: readonly unknown[], count: () => Promise<number>): Promise<number> {
  const version = await dataVersion(session);
  let generation = generations.get(session);
  if (generation === undefined || generation.version !== version) {
    generation = { version, counts: new Map() };
    generations.set(session, generation);
  }
  const key = countKey(sql, params);
  const known = generation.counts.get(key);
  if (known !== undefined) return known;
  const counted = await count();
  // a commit between the two version reads may or may not be in the count: not remembered then
  if (await dataVersion(session) === version) {
    if (generation.counts.size >= MAX_COUNTS) generation.counts.clear();
    generation.counts.set(key, counted);
  }
  return counted;
}

/** the number `memoizedCount` gave for the statement at the current version, without counting */
export async function knownCount(session: SqlSession, sql: string, params: readonly unknown[]): Promise<number | undefined> {
  const generation = generations.get(session);
  if (generation === undefined || generation.version !== await dataVersion(session)) return undefined;
  return generation.counts.get(countKey(sql, params));
}
