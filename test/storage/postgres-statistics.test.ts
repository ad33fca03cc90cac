/**
 * When the PostgreSQL engine refreshes planner statistics (src/storage/postgres/statistics.ts), against a recording
 * stand-in for the pool: during a load at growing thresholds, once more when the load pauses, and not at every pause
 * of a trickle of single writes. The statements themselves run against a real server in postgres-maintenance.test.ts.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { StatisticsRefresher } from '../../src/storage/postgres/statistics.js';
import { INDEX_TABLE_NAMES } from '../../src/storage/sql/tables.js';

const TABLES_PER_RUN = INDEX_TABLE_NAMES.length + 2;
const QUIET_MS = 150;

function recordingRefresher() {
  const sent: string[] = [];
  const pool = { query: async (sql: string) => { sent.push(sql); return { rows: [] }; } };
  const refresher = new StatisticsRefresher(pool as never, 10, QUIET_MS);
  const runs = () => sent.length / TABLES_PER_RUN;
  return { refresher, runs, sent };
}

t.test('a load: runs at the thresholds, then once more when it pauses', async (t) => {
  const { refresher, runs, sent } = recordingRefresher();
  t.teardown(() => refresher.close());
  refresher.noteWrites(10);
  await refresher.settled();
  t.equal(runs(), 1, 'the first threshold starts a run');
  t.match(sent[0], /^VACUUM \(ANALYZE\) /);

  refresher.noteWrites(3); // 3 < 13 / 3: below the next threshold
  await sleep(QUIET_MS / 3);
  t.equal(runs(), 1, 'no run while the load goes on');
  refresher.noteWrites(1);
  await sleep(QUIET_MS / 3);
  refresher.noteWrites(1);
  await sleep(QUIET_MS / 2);
  t.equal(runs(), 1, 'each write puts the quiet run off');
  await sleep(QUIET_MS * 2);
  await refresher.settled();
  t.equal(runs(), 2, 'the pause runs once over the last 5 writes');
  await sleep(QUIET_MS * 2);
  t.equal(runs(), 2, 'and only once');
});

t.test('a trickle of writes smaller than a tenth of all written does not start a run at each pause', async (t) => {
  const { refresher, runs } = recordingRefresher();
  t.teardown(() => refresher.close());
  refresher.noteWrites(100);
  await refresher.settled();
  t.equal(runs(), 1);
  refresher.noteWrites(1);
  await sleep(QUIET_MS * 2);
  t.equal(runs(), 1, '1 write after 100 starts no run');
  refresher.noteWrites(9); // 10 of 110 since the last run: not yet a tenth
  await sleep(QUIET_MS * 2);
  t.equal(runs(), 1);
  refresher.noteWrites(2); // 12 of 112
  await sleep(QUIET_MS * 2);
  await refresher.settled();
  t.equal(runs(), 2, 'a tenth of all written starts the quiet run');
});

t.test('close cancels a pending quiet run', async (t) => {
  const { refresher, runs } = recordingRefresher();
  refresher.noteWrites(10);
  await refresher.settled();
  refresher.noteWrites(5);
  await refresher.close();
  await sleep(QUIET_MS * 2);
  t.equal(runs(), 1);
});
