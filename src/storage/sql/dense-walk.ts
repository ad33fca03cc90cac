/**
 * SQLite, the first page in key order of a search over one type whose driving lookup is wide: when a count taken
 * at this database version (count-memo.ts) says at least half the type's rows match, the page is found by walking
 * the type's rows in key order and probing every condition (conditions.ts `walk`), which stops after about twice
 * the page, where the lookup lists every match before the first row comes out. With half the rows matching, the
 * walk passes at most as many rows that fail as the lookup would have listed.
 *
 * Measured on the Synthea data: Patient?birthdate=lt<median>, 1,022 of 1,042 Patients, page statement ~170 -> ~40 us.
 */
import type { SearchQuery } from '../../search/ir.js';
import { knownCount, memoizedCount } from './count-memo.js';
import { chooseDriver, driveRank } from './selectivity.js';
import type { SqlSession } from './session.js';
import { RESOURCE_TABLE } from './tables.js';

/** lookups from this rank on (selectivity.ts: open date ranges, a code without its system) may list most of a type */
const WIDE_RANK = 6;

const TYPE_ROWS = `SELECT COUNT(*) AS n FROM ${RESOURCE_TABLE} r WHERE r.deleted = 0 AND r.type = ?`;

export async function walksTypeRows(session: SqlSession, query: SearchQuery, countStatement: () => { sql: string; params: unknown[] }): Promise<boolean> {
  if (query.cursor !== undefined || query.sort.length > 0 || query.types?.length !== 1) return false;
  const driver = chooseDriver(query.where);
  if (driver < 0 || driveRank(query.where[driver]!)! < WIDE_RANK) return false;
  const count = countStatement();
  const matches = await knownCount(session, count.sql, count.params);
  if (matches === undefined || matches <= query.count) return false;
  const type = query.types[0]!;
  const rows = await memoizedCount(session, TYPE_ROWS, [type], async () => Number((await session.all(TYPE_ROWS, [type]))[0]!.n));
  return matches * 2 >= rows;
}
