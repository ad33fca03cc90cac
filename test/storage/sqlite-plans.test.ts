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
import t from 'tap';
import { createStore } from '../../src/storage/create-store.js';
import type { Condition, SearchQuery } from '../../src/search/ir.js';
import { contractCases } from './contract-cases.js';
import { loadFixtures } from './contract.js';
import { recordSearchStatements } from './sqlite-statements.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-sqlite-plans-'));
t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
const file = path.join(root, 'fhir.sqlite');
const store = await createStore({ store: `sqlite:${file}`, dataDir: root });
t.teardown(() => store.close());
await loadFixtures(store);

const { recorded, explain } = recordSearchStatements(store, file);
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
      // after a correlated subquery (a probe), the index table must be reached by the candidate's key: its rkey,
      // for _has the (target_id, target_type) of the candidate, or an exact key of a lookup index ending in rkey
      details.forEach((detail, n) => {
        const next = details[n + 1] ?? '';
        if (/^CORRELATED/.test(detail) && /^SEARCH \w+ USING .*INDEX idx_/.test(next) && !/\((rkey|target_id)=\?|AND rkey=\?\)$/.test(next)) {
          t.fail(`correlated probe by index range: ${text}`);
        }
      });
    }
  });
}

/**
 * The bench shapes (issue 3): the narrowest condition drives and the others are probed through the candidate's
 * (rkey, seq) key, never by walking a parameter's whole index range (which made Observation?patient=&code=&date=ge
 * cost ~100 ms over 92k Observations).
 */
const LOINC_SYSTEM = 'http://loinc.org';
const ref = (param: string, targetId: string): Condition => ({ kind: 'param', param, index: 'reference', values: [{ kind: 'reference', targetId }, { kind: 'reference', url: targetId }] });
const code = (value: string): Condition => ({ kind: 'param', param: 'code', index: 'token', values: [{ kind: 'token', op: 'eq', system: LOINC_SYSTEM, code: value }] });
const twoCodes: Condition = { kind: 'param', param: 'code', index: 'token', values: ['8480-6', '8462-4'].map((value) => ({ kind: 'token', op: 'eq', system: LOINC_SYSTEM, code: value })) };
const dateGe: Condition = { kind: 'param', param: 'date', index: 'date', values: [{ kind: 'date', prefix: 'ge', low: Date.UTC(2000, 0, 1), high: Date.UTC(2000, 0, 2) - 1 }] };
const shapes: { name: string; query: SearchQuery; driver: RegExp; probes: RegExp[] }[] = [
  {
    name: 'patient + code + date ge: the reference drives, code and date are probed by key',
    query: { types: ['Observation'], where: [dateGe, code('8480-6'), ref('subject', 'p1')], sort: [], count: 10, total: 'accurate' },
    driver: /^SEARCH i\d+ USING (COVERING )?INDEX idx_reference_lookup0_v5 \(target_id=\?/,
    // the code (system and code given) is one seek of its lookup index; the date range reads the candidate's rows
    probes: [/^SEARCH i\d+ (EXISTS )?USING PRIMARY KEY \(rkey=\?\)/, /^SEARCH i\d+ EXISTS USING COVERING INDEX idx_token_lookup0 \(param=\? AND code=\? AND system=\? AND rkey=\?\)/],
  },
  {
    name: 'patient + two codes: the codes read the candidate\'s rows (SQLite walks the parameter\'s range for an OR of seeks)',
    query: { types: ['Observation'], where: [twoCodes, ref('subject', 'p1')], sort: [], count: 10, total: 'accurate' },
    driver: /^SEARCH i\d+ USING (COVERING )?INDEX idx_reference_lookup0_v5 \(target_id=\?/,
    probes: [/^SEARCH i\d+ EXISTS USING PRIMARY KEY \(rkey=\?\)/],
  },
  {
    name: 'date ge alone drives as two index ranges',
    query: { types: ['Patient'], where: [{ ...dateGe, param: 'birthdate' } as Condition], sort: [], count: 10, total: 'accurate' },
    driver: /^SEARCH i\d+ USING COVERING INDEX idx_date_lookup1 \(param=\? AND high>\?\)/,
    // the eq part reads one closed range of low (value-matches.ts rangePrefix)
    probes: [/^SEARCH i\d+ USING COVERING INDEX idx_date_lookup0 \(param=\? AND low>\? AND low<\?\)/],
  },
  {
    name: '_has drives from the nested code lookup',
    query: { types: ['Patient'], where: [{ kind: 'has', sourceType: 'Observation', param: 'subject', where: [code('8480-6')] }], sort: [], count: 10, total: 'accurate' },
    driver: /^SEARCH i\d+ USING COVERING INDEX idx_token_lookup0 \(param=\? AND code=\? AND system=\?\)/,
    probes: [/^SEARCH ref\d+ USING PRIMARY KEY \(rkey=\?\)/],
  },
  {
    name: 'chain drives from the nested name lookup',
    query: { types: ['Observation'], where: [{ kind: 'chain', param: 'subject', targetTypes: ['Patient'], where: [{ kind: 'param', param: 'family', index: 'string', values: [{ kind: 'string', op: 'starts', value: 'smi' }] }] }], sort: [], count: 10, total: 'accurate' },
    driver: /^SEARCH i\d+ USING COVERING INDEX idx_string_lookup0 \(param=\? AND norm>\? AND norm<\?\)/,
    probes: [/^SEARCH ref\d+ USING COVERING INDEX idx_reference_lookup0_v5 \(target_id=\? AND target_type=\? AND param=\?\)/],
  },
];

for (const shape of shapes) {
  t.test(shape.name, async (t) => {
    recorded.length = 0;
    await store.search(shape.query);
    t.ok(recorded.length > 0);
    for (const { sql, params } of recorded) {
      const details = (explain.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((step) => step.detail);
      const text = `${sql}\n${details.join('\n')}`;
      t.same(details.filter((detail) => fullScan.test(detail)), [], `no full scan: ${text}`);
      t.ok(details.some((detail) => shape.driver.test(detail)), `driven by the narrow lookup: ${text}`);
      for (const probe of shape.probes) t.ok(details.some((detail) => probe.test(detail)), `probed: ${probe}: ${text}`);
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
