// How the SQL compiler (src/storage/sql/conditions.ts) makes a chained search (R4 search.html#chaining) find its
// candidates, per dialect. On PostgreSQL a chain alone drives as a sorted key array (`= ANY(ARRAY(...))`): a join's
// output cannot be estimated, and planned as an IN semi-join every referring row was probed before the page's top-N
// sort (Observation?subject:Patient.name=, 408 references: 830-970 µs of PostgreSQL CPU a search, 250-270 after).
// A single ordinary lookup keeps the planner's choice (IN), unless the statement reads a page in key order with no
// count along: then PostgreSQL walks the driving key array through the primary key, the type test kept off every
// index, and stops when the page is full (Observation?code=<loinc>, 269 candidates: PostgreSQL CPU ~1,000 -> ~450 µs
// a search). SQLite's driving form is IN either way (its IN list is walked in key order already).
import t from 'tap';
import { loadDefinitions } from '../../src/fhir/definitions.js';
import { parseSearch } from '../../src/search/parse.js';
import { createSearchParameterRegistry } from '../../src/search/registry.js';
import { ConditionCompiler, type BlockOptions } from '../../src/storage/sql/conditions.js';
import { postgresDialect, sqliteDialect, type SqlDialect } from '../../src/storage/sql/dialect.js';
import { Params } from '../../src/storage/sql/paging.js';

const definitions = await loadDefinitions();
const registry = createSearchParameterRegistry(definitions);

async function whereOf(dialect: SqlDialect, resourceType: string, search: string, options: BlockOptions = {}): Promise<string> {
  const query: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(search)) (query[name] ??= []).push(value);
  const parsed = await parseSearch(resourceType, query, registry, { lenient: false, defaultCount: 20, maxCount: 1000, defs: definitions });
  return new ConditionCompiler(new Params(), dialect).block('r', parsed.query.types, parsed.query.where, options).join(' AND ');
}

const KEY_ORDERED: BlockOptions = { keyOrderedPage: true };
const CASES: { search: string; dialect: SqlDialect; options?: BlockOptions; drives: RegExp; type: RegExp }[] = [
  { search: 'subject:Patient.name=Crooks', dialect: postgresDialect, drives: /r\.rkey = ANY\(ARRAY\(SELECT ref\d+\.rkey FROM fhir_resource/, type: /r\.type IN \('Observation'\)/ },
  { search: 'patient.birthdate=ge1990', dialect: postgresDialect, drives: /r\.rkey = ANY\(ARRAY\(SELECT ref\d+\.rkey FROM fhir_resource/, type: /r\.type IN \('Observation'\)/ },
  { search: 'subject:Patient.name=Crooks', dialect: sqliteDialect, drives: /r\.rkey IN \(SELECT ref\d+\.rkey FROM fhir_resource/, type: /\+r\.type IN \(\?\)/ },
  { search: 'category=laboratory', dialect: postgresDialect, drives: /r\.rkey IN \(SELECT i\d+\.rkey FROM idx_token/, type: /r\.type IN \('Observation'\)/ },
  { search: 'category=laboratory', dialect: postgresDialect, options: KEY_ORDERED, drives: /r\.rkey = ANY\(ARRAY\(SELECT i\d+\.rkey FROM idx_token/, type: /\(r\.type \|\| ''\) IN \('Observation'\)/ },
  // a count walks the narrow (type, deleted, rkey) index, its type bound like a walk of the type's rows
  { search: 'category=laboratory', dialect: postgresDialect, options: { ...KEY_ORDERED, count: true }, drives: /r\.rkey IN \(SELECT i\d+\.rkey FROM idx_token/, type: /r\.type IN \(\?\)/ },
  { search: 'category=laboratory', dialect: sqliteDialect, options: KEY_ORDERED, drives: /r\.rkey IN \(SELECT i\d+\.rkey FROM idx_token/, type: /\+r\.type IN \(\?\)/ },
];

for (const { search, dialect, options, drives, type } of CASES) {
  t.test(`${dialect.name}: Observation?${search} ${JSON.stringify(options ?? {})}`, async (t) => {
    const where = await whereOf(dialect, 'Observation', search, options);
    t.match(where, drives);
    t.match(where, type);
    t.notMatch(where, /ANY/.test(drives.source) ? /r\.rkey IN \(/ : /ANY\(ARRAY/);
  });
}

// search.html#combining: a repeated parameter is an AND of conditions. PostgreSQL turns each EXISTS probe into a
// semi-join and searches join orders over all of them: 90 (Patient?birthdate=ne1801&...) took 0.7 s to plan, 299 over a
// minute. Beyond six probes they stay per-candidate tests (OFFSET 0 keeps an EXISTS out of the join); SQLite never joins them.
t.test('postgres: more than six probes in a block stay out of its join; six or fewer are joined', async (t) => {
  const repeated = (count: number) => Array.from({ length: count }, (_, n) => `birthdate=ne${1801 + n}`).join('&');
  const probesOf = async (dialect: SqlDialect, count: number) => (await whereOf(dialect, 'Patient', repeated(count))).match(/EXISTS \(/g)!.length;
  const unjoinedOf = async (dialect: SqlDialect, count: number) => ((await whereOf(dialect, 'Patient', repeated(count))).match(/ OFFSET 0\)/g) ?? []).length;
  t.equal(await probesOf(postgresDialect, 6), 6);
  t.equal(await unjoinedOf(postgresDialect, 6), 0, 'six: all joined');
  t.equal(await unjoinedOf(postgresDialect, 7), 7, 'seven: none joined');
  t.equal(await unjoinedOf(postgresDialect, 90), 90);
  t.equal(await unjoinedOf(sqliteDialect, 90), 0, 'SQLite: unchanged');
  // eight chains: one drives, seven probe (each with its nested date probe)
  const chained = await whereOf(postgresDialect, 'Observation', Array.from({ length: 8 }, (_, n) => `patient.birthdate=ne${1801 + n}`).join('&'));
  t.equal((chained.match(/ OFFSET 0\)/g) ?? []).length, 14, 'chains are probes too');
});

// The probes beside a driving lookup test its candidates most selective first (selectivity.ts ranks): a code with its
// system before a date range, whatever order the query gives them in, so the date is probed only on the candidates
// the code kept. SQLite evaluates a block's subquery terms in the order written; PostgreSQL orders quals by their cost
// alone, so there the ranked probes are one CASE it evaluates in order (dialect.inOrder). Values are bound in the order
// of the text.
t.test('probes run most selective first: the code before the date, in the text and in the bound values', async (t) => {
  const search = 'date=ge2020-01-01&code=http://loinc.org|72514-3&patient=p1';
  for (const dialect of [sqliteDialect, postgresDialect]) {
    const params = new Params();
    const query: Record<string, string[]> = {};
    for (const [name, value] of new URLSearchParams(search)) (query[name] ??= []).push(value);
    const parsed = await parseSearch('Observation', query, registry, { lenient: false, defaultCount: 20, maxCount: 1000, defs: definitions });
    const where = new ConditionCompiler(params, dialect).block('r', parsed.query.types, parsed.query.where).join(' AND ');
    const [drive, code, date] = [where.indexOf('FROM idx_reference'), where.indexOf('FROM idx_token'), where.indexOf('FROM idx_date')];
    t.ok(drive >= 0 && drive < code && code < date, `${dialect.name}: the patient drives, then the code, then the date: ${where}`);
    t.equal(/CASE WHEN EXISTS \(SELECT 1 FROM idx_token/.test(where), dialect === postgresDialect, `${dialect.name}: kept in order by a CASE where the engine reorders`);
    const values = params.values.map(String);
    t.ok(values.indexOf('code') < values.indexOf('date'), `${dialect.name}: bound in the text's order: ${values.join(', ')}`);
  }
});
