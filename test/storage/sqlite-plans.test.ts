/**
 * Every search shape of the storage contract must reach its rows through an index on SQLite: EXPLAIN QUERY PLAN
 * of each statement a contract case runs may not scan an index table or the current-state table whole.
 * (A scan of a subquery's materialised result, or of rows already narrowed by an index, is fine.) A correlated
 * subquery must probe by the candidate's rkey, not walk a parameter's whole index range.
 *
 * Known exceptions, both system-level searches without a type: `_id` (ids are indexed under their type only) and
 * `_lastUpdated gt` (SQLite, without statistics, prefers walking rkey order for the LIMIT).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { createStore } from '../../src/storage/create-store.js';
import type { Row, SqlSession } from '../../src/storage/sql/session.js';
import { contractCases } from './contract-cases.js';
import { loadFixtures } from './contract.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-sqlite-plans-'));
t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
const file = path.join(root, 'fhir.sqlite');
const store = await createStore({ store: `sqlite:${file}`, dataDir: root });
t.teardown(() => store.close());
await loadFixtures(store);

// the engine's read session, wrapped to record the statements a search runs
const reader = (store as unknown as { sql: { reader: SqlSession } }).sql.reader;
const recorded: { sql: string; params: unknown[] }[] = [];
const all = reader.all.bind(reader);
reader.all = (sql: string, params: unknown[]): Promise<Row[]> => {
  recorded.push({ sql, params });
  return all(sql, params);
};
const explain = new Database(file, { readonly: true });
t.teardown(() => explain.close());

/** a full scan: `SCAN <table>` without an index, over a stored table rather than a subquery or CTE */
const fullScan = /^SCAN (fhir_resource|fhir_history|idx_\w+)\b(?!.*USING)|^SCAN \w+$/;

const KNOWN_SCANS = new Set(['_id at system level', '_lastUpdated gt']);

for (const contractCase of [...contractCases, ...sortedCases()]) {
  t.test(contractCase.name, async (t) => {
    recorded.length = 0;
    await store.search(contractCase.query);
    for (const { sql, params } of recorded) {
      const plan = explain.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
      const details = plan.map((step) => step.detail);
      const scans = details.filter((detail) => fullScan.test(detail));
      const text = `${sql}\n${details.join('\n')}`;
      if (KNOWN_SCANS.has(contractCase.name)) t.ok(true, `known scan: ${text}`);
      else t.same(scans, [], text);
      // after a correlated subquery, the index table must be reached by its key
      details.forEach((detail, n) => {
        if (/^CORRELATED/.test(detail) && /^SEARCH \w+ USING .*INDEX idx_/.test(details[n + 1] ?? '')) t.fail(`correlated probe by index range: ${text}`);
      });
    }
  });
}

/** the contract cases again with a sort on a parameter, so the sort-key expression is planned too */
function sortedCases(): typeof contractCases {
  return contractCases.slice(0, 5).map((contractCase) => ({
    ...contractCase,
    name: `${contractCase.name}, sorted by birthdate`,
    query: { ...contractCase.query, sort: [{ param: 'birthdate', descending: true }], total: 'accurate' },
  }));
}
