/**
 * PostgreSQL plans over data shaped like a hospital's: many Patients whose birth dates spread over a century, and
 * Observations of a few categories, most of them vital signs. What is checked is how many index rows the page
 * statement reads (EXPLAIN ANALYZE), not time:
 *  - `eq` reads one closed range of the (param, low) index. Bounded on low from below only, PostgreSQL estimated
 *    it as two independent half-open ranges (a quarter of all Patients), walked every Patient in key order and
 *    probed each (50,000 Patients: 14.7 ms for 6 matches; 0.2 ms bounded). value-matches.ts rangePrefix.
 *  - `lt` matching most Patients, once its count is known: the page walks the type's rows in key order and stops when
 *    it is full (dense-walk.ts), where the driving key array listed every match first (35,000 of 50,000: 9 ms).
 *  - a probe (patient=<id>&category=vital-signs, the patient's Observations each tested for the category) reads the
 *    candidate's own index rows, also in the generic plan PostgreSQL's plan cache moves to after five executions;
 *    there, seeking idx_token_lookup0 by (param, code), every probe read every vital-signs entry (265 ms; 1.5 ms).
 *  - a patient's Conditions are read from the patient's Condition references alone (tables.ts sourceType).
 *  - a first page driven by a patient's references probes the most selective condition first and looks none of the
 *    candidates up in the resource table (conditions.ts typedReferenceDrive, dialect.inOrder).
 * Runs when FHIR_TEST_POSTGRES_URL is set.
 */
import t, { type Test } from 'tap';
import pg from 'pg';
import type { Resource } from '../../src/fhir/types.js';
import type { SearchQuery } from '../../src/search/ir.js';
import { dateRange } from '../../src/search/params/date.js';
import { createStore } from '../../src/storage/create-store.js';
import type { FhirStore } from '../../src/storage/port.js';
import { INDEX_TABLE_NAMES, RESOURCE_TABLE } from '../../src/storage/sql/tables.js';
import { fixtureRegistry } from './contract-fixtures.js';
import { testSchema } from './postgres-schema.js';

const url = process.env.FHIR_TEST_POSTGRES_URL;
const PATIENTS = 4000;
/** this schema's tables only (a bare ANALYZE would take every schema of the database) */
const ANALYZE_OWN_TABLES = `ANALYZE ${[RESOURCE_TABLE, ...INDEX_TABLE_NAMES].join(', ')}`;
const OBSERVATIONS = 4000;

interface PlanNode { 'Relation Name'?: string; 'Actual Rows': number; 'Actual Loops': number; 'Rows Removed by Filter'?: number; Plans?: PlanNode[] }

/** index rows of `table` the plan read: those it returned and those its filters removed, over every loop */
function rowsRead(node: PlanNode, table: string): number {
  const own = node['Relation Name'] === table ? (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0)) * node['Actual Loops'] : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsRead(child, table), 0);
}

if (!url) {
  t.comment('FHIR_TEST_POSTGRES_URL is not set: the PostgreSQL date plan tests did NOT run');
  t.pass('skipped: no PostgreSQL server configured');
} else {
  const schema = testSchema(url, 'dateplans');
  const store: FhirStore = await createStore({ store: schema.url(), dataDir: '/nonexistent' });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`SET search_path = "${schema.name}"`);
  t.teardown(async () => {
    await client.end();
    await store.close();
    await schema.drop();
  });

  // the page statements the store sends, as pg receives them
  const sent: { text: string; values: unknown[] }[] = [];
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as { text?: string; values?: unknown[] };
    if (typeof config === 'object' && config?.text?.startsWith('SELECT k.*')) sent.push({ text: config.text, values: config.values ?? [] });
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  t.teardown(() => { pg.Client.prototype.query = query; });

  const lastUpdated = '2024-01-01T00:00:00.000Z';
  /** `count` resources made by `make(n)` (with id and meta), written 200 at a time, then this schema analysed */
  const writeAll = async (count: number, make: (n: number) => Resource) => {
    for (let start = 0; start < count; start += 200) {
      await Promise.all(Array.from({ length: Math.min(200, count - start) }, (_, k) => {
        const resource = make(start + k);
        return store.write({ resourceType: resource.resourceType, id: resource.id!, versionId: 1, lastUpdated, method: 'PUT', resource,
          index: fixtureRegistry().extract(resource), expectedPreviousVersion: 0 });
      }));
    }
    await client.query(ANALYZE_OWN_TABLES);
  };
  const day = 86_400_000;
  const first = Date.UTC(1920, 0, 1);
  await writeAll(PATIENTS, (n) => {
    // spread evenly over 100 years, in an order unrelated to the keys
    const birthDate = new Date(first + ((n * 7919) % PATIENTS) * Math.floor((100 * 365 * day) / PATIENTS)).toISOString().slice(0, 10);
    return { resourceType: 'Patient', id: `p${n}`, birthDate, meta: { versionId: '1', lastUpdated } };
  });

  const birthdate = (prefix: 'eq' | 'lt', value: string): SearchQuery => {
    const range = dateRange(value)!;
    return { types: ['Patient'], where: [{ kind: 'param', param: 'birthdate', index: 'date', values: [{ kind: 'date', prefix, ...range }] }], sort: [], count: 20, total: 'accurate' };
  };
  /** the page statement of `search`, explained as planned for its values, or as the generic plan of its parameters */
  const explained = async (t: Test, search: SearchQuery, table = 'idx_date', generic = false) => {
    sent.length = 0;
    const page = await store.search(search);
    t.equal(sent.length, 1, 'one page statement');
    const { text, values } = sent[0]!;
    let plan: PlanNode;
    if (generic) {
      await client.query('SET plan_cache_mode = force_generic_plan');
      await client.query(`PREPARE generic_page AS ${text}`);
      const literals = values.map((value) => (value === null ? 'NULL' : `'${String(value).replace(/'/g, "''")}'`));
      const [row] = (await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE generic_page${literals.length ? `(${literals.join(', ')})` : ''}`)).rows;
      await client.query('DEALLOCATE generic_page');
      await client.query('RESET plan_cache_mode');
      plan = (row as { 'QUERY PLAN': { Plan: PlanNode }[] })['QUERY PLAN'][0]!.Plan;
    } else {
      const [row] = (await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values)).rows as { 'QUERY PLAN': { Plan: PlanNode }[] }[];
      plan = row!['QUERY PLAN'][0]!.Plan;
    }
    return { page, text, read: rowsRead(plan, table) };
  };

  t.test('eq: a day in the middle of the century reads about its own index rows, not every Patient', async (t) => {
    const { born } = (await client.query(`SELECT to_char(to_timestamp(low / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS born FROM idx_date WHERE param = 'birthdate' ORDER BY low OFFSET ${PATIENTS / 2} LIMIT 1`)).rows[0] as { born: string };
    const { page, read, text } = await explained(t, birthdate('eq', born));
    t.ok(page.items.length >= 1, `finds the Patients born on ${born}`);
    t.ok(read < 50, `idx_date rows read: ${read} of ${PATIENTS} (${text})`);
  });

  /** the page statement of a search matching most Patients, explained once its count is known */
  const explainedOnceCounted = async (t: Test, search: SearchQuery) => {
    const counted = await store.search(search);
    t.ok(counted.total! > PATIENTS / 2, `${counted.total} of ${PATIENTS} match`);
    await store.search(search); // the count is taken again in the same snapshot: now trusted
    const explainedPage = await explained(t, search);
    t.equal(explainedPage.page.total, counted.total, 'the remembered count');
    t.equal(explainedPage.page.items.length, 20);
    return explainedPage;
  };

  t.test('lt matching most Patients: once counted, the page walks the Patients in key order', async (t) => {
    const { read, text } = await explainedOnceCounted(t, birthdate('lt', '2000-01-01'));
    t.notMatch(text, /ANY\(ARRAY/, 'no key array of every match');
    t.ok(read < 200, `idx_date rows read: ${read} (${text})`);
  });

  // nothing drives `ne` (a negation has no lookup): each Patient is probed. Bound, the probe's range gave PostgreSQL
  // no estimate and every execution was planned again; its values are in the text, so the plan is kept
  t.test('ne: with nothing to drive, the date values are in the statement text', async (t) => {
    const range = dateRange('1969-12-19')!;
    sent.length = 0;
    await store.search({ types: ['Patient'], where: [{ kind: 'param', param: 'birthdate', index: 'date', values: [{ kind: 'date', prefix: 'ne', ...range }] }], sort: [], count: 20, total: 'accurate' });
    t.equal(sent.length, 1);
    t.same(sent[0]!.values, [], 'no bound values');
    t.match(sent[0]!.text, new RegExp(`low >= ${range.low} AND`), sent[0]!.text);
  });

  t.test('a category probe beside a patient reads the candidate\'s own rows, in the generic plan too', async (t) => {
    const categories = ['vital-signs', 'vital-signs', 'vital-signs', 'laboratory', 'survey'];
    await writeAll(OBSERVATIONS, (n) => {
      return {
        resourceType: 'Observation', id: `o${n}`, status: 'final', code: { text: 'x' }, meta: { versionId: '1', lastUpdated },
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: categories[Math.floor(n / 40) % categories.length]! }] }],
        subject: { reference: `Patient/p${n % 40}` }, effectiveDateTime: new Date(Date.UTC(2020, 0, 1) + n * 3_600_000).toISOString(),
      };
    });
    const search: SearchQuery = {
      types: ['Observation'],
      where: [
        { kind: 'param', param: 'patient', index: 'reference', values: [{ kind: 'reference', targetType: 'Patient', targetId: 'p7' }] },
        { kind: 'param', param: 'category', index: 'token', values: [{ kind: 'token', op: 'eq', code: 'vital-signs' }] },
      ],
      sort: [{ param: 'date', descending: true }], count: 10, total: 'accurate',
    };
    const perPatient = OBSERVATIONS / 40;
    const vitalSigns = (OBSERVATIONS * 3) / 5;
    for (const generic of [false, true]) {
      const { page, read, text } = await explained(t, search, 'idx_token', generic);
      t.equal(page.total, (perPatient * 3) / 5, 'the patient\'s vital signs');
      t.ok(read < perPatient * 20, `${generic ? 'generic' : 'custom'} plan: idx_token rows read ${read}, of ${vitalSigns} vital-signs entries (${text})`);
    }
  });

  // reference index rows carry their resource's type (schema version 5): a patient's Conditions were found among all
  // of the patient's references (471 of every type for a Synthea patient), each checked against its resource row
  t.test('a patient\'s Conditions: the lookup reads the Condition references only, not the patient\'s Observations', async (t) => {
    await writeAll(3, (n) => ({ resourceType: 'Condition', id: `cond${n}`, subject: { reference: 'Patient/p7' }, meta: { versionId: '1', lastUpdated } }));
    const search: SearchQuery = {
      types: ['Condition'],
      where: [{ kind: 'param', param: 'patient', index: 'reference', values: [{ kind: 'reference', targetType: 'Patient', targetId: 'p7' }] }],
      sort: [], count: 10, total: 'accurate',
    };
    for (const generic of [false, true]) {
      const { page, read, text } = await explained(t, search, 'idx_reference', generic);
      t.same(page.items.map((item) => item.id), ['cond0', 'cond1', 'cond2']);
      t.ok(read <= 3, `${generic ? 'generic' : 'custom'} plan: idx_reference rows read ${read}, beside ${OBSERVATIONS / 40} Observations of p7 (${text})`);
    }
  });

  // beside a pinned lookup (the patient's key array) the other conditions test its candidates, also when one of them
  // could seek a whole index range (a code with its system): joined, a generic plan (which estimates any code as
  // 1/n_distinct of the rows) drove from a common code's rows and checked each against the patient's key array
  // (Observation?patient=&code=&date=ge over 102,000 Observations: 22 ms; 2 ms probing the candidates)
  t.test('patient, a common code and date: the generic plan probes the patient\'s candidates', async (t) => {
    const LOINC = 'http://loinc.org';
    await writeAll(OBSERVATIONS, (n) => {
      // half share one code, half have a code of their own: many distinct codes, one of them common
      return {
        resourceType: 'Observation', id: `c${n}`, status: 'final', meta: { versionId: '1', lastUpdated },
        code: { coding: [{ system: LOINC, code: n % 2 === 0 ? 'common' : `u${n}` }] },
        subject: { reference: `Patient/q${n % 40}` }, effectiveDateTime: new Date(Date.UTC(2020, 0, 1) + n * 3_600_000).toISOString(),
      };
    });
    const search: SearchQuery = {
      types: ['Observation'],
      where: [
        { kind: 'param', param: 'patient', index: 'reference', values: [{ kind: 'reference', targetType: 'Patient', targetId: 'q8' }] },
        { kind: 'param', param: 'code', index: 'token', values: [{ kind: 'token', op: 'eq', system: LOINC, code: 'common' }] },
        { kind: 'param', param: 'date', index: 'date', values: [{ kind: 'date', prefix: 'ge', ...dateRange('2020-01-01')! }] },
      ],
      sort: [], count: 20, total: 'accurate',
    };
    const perPatient = OBSERVATIONS / 40;
    for (const generic of [false, true]) {
      const { page, read, text } = await explained(t, search, 'idx_token', generic);
      t.equal(page.total, perPatient, 'every Observation of q8 has the common code');
      t.ok(read <= perPatient * 2, `${generic ? 'generic' : 'custom'} plan: idx_token rows read ${read}, about one per candidate (${text})`);
    }
  });

  // a first page driven by a patient's references probes its candidates most selective first, and reads no resource
  // row for a reference row that carries its resource's type (conditions.ts typedReferenceDrive). Before, each of the
  // patient's Observations was looked up in the (type, deleted, rkey) index, and PostgreSQL, ordering its quals by cost
  // alone, probed the date (which all of them pass) before the code (Synthea: 1.28 -> 0.78 ms for 8 of 319 candidates).
  t.test('patient, a rare code and date: the code is probed first and no candidate is looked up in the resource table', async (t) => {
    const LOINC = 'http://loinc.org';
    const PER_PATIENT = 200;
    const RARE = 5;
    await writeAll(PER_PATIENT, (n) => ({
      resourceType: 'Observation', id: `z${n}`, status: 'final', meta: { versionId: '1', lastUpdated },
      code: { coding: [{ system: LOINC, code: n % (PER_PATIENT / RARE) === 0 ? 'rare' : 'usual' }] },
      subject: { reference: 'Patient/z' }, effectiveDateTime: new Date(Date.UTC(2020, 0, 1) + n * 3_600_000).toISOString(),
    }));
    const search: SearchQuery = {
      types: ['Observation'],
      where: [
        { kind: 'param', param: 'patient', index: 'reference', values: [{ kind: 'reference', targetType: 'Patient', targetId: 'z' }] },
        // the date first, as a client may write it: every candidate passes it
        { kind: 'param', param: 'date', index: 'date', values: [{ kind: 'date', prefix: 'ge', ...dateRange('2020-01-01')! }] },
        { kind: 'param', param: 'code', index: 'token', values: [{ kind: 'token', op: 'eq', system: LOINC, code: 'rare' }] },
      ],
      sort: [], count: 20, total: 'accurate',
    };
    for (const generic of [false, true]) {
      const plan = generic ? 'generic' : 'custom';
      const dates = await explained(t, search, 'idx_date', generic);
      t.equal(dates.page.total, RARE, 'the patient\'s Observations with the rare code');
      // written concurrently, so in no particular key order
      t.same(dates.page.items.map((item) => item.id).sort(), Array.from({ length: RARE }, (_, k) => `z${k * (PER_PATIENT / RARE)}`).sort());
      t.ok(dates.read <= RARE, `${plan} plan: idx_date rows read ${dates.read}, only the code's matches of ${PER_PATIENT} candidates (${dates.text})`);
      const resources = await explained(t, search, RESOURCE_TABLE, generic);
      t.ok(resources.read <= RARE, `${plan} plan: ${RESOURCE_TABLE} rows read ${resources.read}, the page's own (${resources.text})`);
    }
  });

  // a condition on the resource row itself (its id, lastUpdated or type, or a _has on its id) keeps the row in the
  // statement: from the typed reference rows alone, `_id:not` beside a patient failed (the derived table has no id)
  t.test('beside a patient\'s references, tests of the resource row still read it', async (t) => {
    const patientZ: SearchQuery['where'][number] = { kind: 'param', param: 'patient', index: 'reference', values: [{ kind: 'reference', targetType: 'Patient', targetId: 'z' }] };
    const cases: { label: string; where: SearchQuery['where']; total: number }[] = [
      { label: '_id:not', where: [patientZ, { kind: 'not', condition: { kind: 'id', ids: ['z0'] } }], total: 199 },
      { label: '_id', where: [patientZ, { kind: 'id', ids: ['z1', 'z2', 'y'] }], total: 2 },
      { label: '_lastUpdated', where: [patientZ, { kind: 'lastUpdated', prefix: 'ge', ...dateRange('2024-01-01')! }], total: 200 },
      { label: '_type', where: [patientZ, { kind: 'type', types: ['Observation'] }], total: 200 },
    ];
    for (const { label, where, total } of cases) {
      const page = await store.search({ types: ['Observation'], where, sort: [], count: 5, total: 'accurate' });
      t.equal(page.total, total, label);
      t.equal(page.items.length, Math.min(5, total), label);
    }
  });

  // with nothing to drive and most Patients matching, the page is a walk of the Patients in key order, each probed
  // until it is full; free to join, PostgreSQL (estimating the probe's `(param || '')` test at 0.5 % of idx_date)
  // read every date row of every type and sorted the matches (a store of 1,078 Patients and 9,000 other dates:
  // 3.3 ms a page where the walk takes 0.5 ms). Runs after the Observations above, whose dates fill idx_date.
  t.test('ne matching most Patients: once counted, the page walks the Patients in key order', async (t) => {
    const search: SearchQuery = {
      types: ['Patient'], where: [{ kind: 'param', param: 'birthdate', index: 'date', values: [{ kind: 'date', prefix: 'ne', ...dateRange('1969-12-19')! }] }],
      sort: [], count: 20, total: 'accurate',
    };
    const { read, text } = await explainedOnceCounted(t, search);
    t.ok(read < 200, `idx_date rows read: ${read} (${text})`);
  });
}
