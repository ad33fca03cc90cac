/**
 * Search answers over real Synthea data, checked against answers computed independently from the same bundles:
 *   npx tsx conformance/synthea-search.ts <baseUrl> [syntheaDir] [--no-load] [--patients N] [--only category]
 * Loads the bundles into the server (unless --no-load), generates searches from the data (every parameter type,
 * modifier, prefix, chain, _has, composite, _sort and _include), computes each expected answer with fhirpath.js
 * and our own reading of R4 search.html (conformance/synthea-expect.ts), and compares: id sets, the order for
 * _sort, and the included resources for _include/_revinclude. Prints per category: run, passed, failed, and the
 * first failures in full. Exits 1 when anything failed.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fetchDataset, loadSynthea, syntheaFiles, typesIn, type Dataset, type Json } from './synthea-data.js';
import { Expectation, Unsupported } from './synthea-expect.js';
import { generateQueries, type Query } from './synthea-generate.js';

export const DEFAULT_SYNTHEA_DIR = fileURLToPath(new URL('../../shared/data/synthea', import.meta.url));
const FHIR_JSON = 'application/fhir+json';

export interface Failure { category: string; query: string; detail: string }
export interface CategoryReport { run: number; passed: number; failed: number; skipped: number; nonEmpty: number; maxMs: number; totalMs: number }
export interface SyntheaReport { categories: Map<string, CategoryReport>; failures: Failure[]; queries: number; seconds: number; slowest: { query: string; ms: number }[] }

export interface Options {
  dir?: string;
  /** patient bundles per set (infrastructure bundles always load) */
  patients?: number;
  load?: boolean;
  only?: (query: Query) => boolean;
  concurrency?: number;
  log?: (line: string) => void;
}

export const queryString = (query: Query) => `${query.compartment ? `${query.compartment}/` : ''}${query.type}?${query.params.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&')}`;

interface Answer { status: number; matches: Json[]; included: Set<string>; total?: number; ms: number; diagnostics?: string }

async function ask(baseUrl: string, query: Query): Promise<Answer> {
  const started = performance.now();
  const count = query.params.some(([name]) => name === '_count') ? '' : '&_count=1000';
  let url: string | undefined = `${baseUrl}/${queryString(query)}${count}&_total=accurate`;
  const answer: Answer = { status: 200, matches: [], included: new Set(), ms: 0 };
  for (let pages = 0; url && pages < 2000; pages++) {
    const response = await fetch(url, { headers: { accept: FHIR_JSON } });
    const body = await response.json().catch(() => ({})) as Json;
    if (response.status !== 200) return { ...answer, status: response.status, diagnostics: body.issue?.[0]?.diagnostics, ms: performance.now() - started };
    if (pages === 0) answer.total = body.total;
    for (const entry of body.entry ?? []) {
      const resource = entry.resource as Json;
      if (entry.search?.mode === 'include') answer.included.add(`${resource.resourceType}/${resource.id}`);
      else if (entry.search?.mode === 'outcome' || resource.resourceType === 'OperationOutcome') continue;
      else answer.matches.push(resource);
    }
    url = (body.link as { relation: string; url: string }[] | undefined)?.find((link) => link.relation === 'next')?.url;
  }
  answer.ms = performance.now() - started;
  return answer;
}

function difference<T>(a: Set<T>, b: Set<T>): T[] { return [...a].filter((item) => !b.has(item)); }
const few = (items: string[]) => items.length === 0 ? '-' : items.slice(0, 4).join(' ') + (items.length > 4 ? ` (+${items.length - 4})` : '');

/** Where the server's order breaks the _sort keys (search.html#_sort); resources without a value may go either end. */
function sortProblem(expect: Expectation, matches: Json[], sort: string): string | undefined {
  const keys = sort.split(',').map((key) => ({ code: key.replace(/^-/, ''), descending: key.startsWith('-') }));
  const values = matches.map((resource) => keys.map(({ code, descending }) => expect.sortKey(resource, code, descending)));
  const compare = (a: (string | number | undefined)[], b: (string | number | undefined)[], missingLast: boolean) => {
    for (let k = 0; k < keys.length; k++) {
      const [x, y] = [a[k], b[k]];
      if (x === y) continue;
      if (x === undefined) return missingLast ? 1 : -1;
      if (y === undefined) return missingLast ? -1 : 1;
      const order = x < y ? -1 : 1;
      return keys[k].descending ? -order : order;
    }
    return 0;
  };
  const firstBreak = (missingLast: boolean) => values.findIndex((value, i) => i > 0 && compare(values[i - 1], value, missingLast) > 0);
  const last = firstBreak(true);
  if (last < 0 || firstBreak(false) < 0) return undefined;
  const show = (i: number) => `${matches[i].id} ${JSON.stringify(values[i])}`;
  return `out of order at position ${last}: ${show(last - 1)} before ${show(last)}`;
}

interface Checked { problem?: string; skip?: boolean; ms?: number; expected?: number }

async function check(baseUrl: string, expect: Expectation, query: Query): Promise<Checked> {
  let expected: Json[];
  let included: Set<string>;
  try {
    expected = expect.search(query.type, query.params, query.compartment);
    included = expect.included(expected, query.params);
  } catch (error) {
    if (error instanceof Unsupported) return { skip: true };
    throw error;
  }
  const answer = await ask(baseUrl, query);
  const result = { ms: answer.ms, expected: expected.length };
  if (answer.status !== 200) return { ...result, problem: `answered ${answer.status}: ${answer.diagnostics ?? ''} (expected ${expected.length} matches)` };
  const want = new Set(expected.map((resource) => resource.id as string));
  const got = new Set(answer.matches.map((resource) => resource.id as string));
  const missing = difference(want, got);
  const extra = difference(got, want);
  const problems: string[] = [];
  if (missing.length || extra.length || got.size !== answer.matches.length) {
    problems.push(`expected ${want.size}, got ${answer.matches.length}${got.size !== answer.matches.length ? ` (${answer.matches.length - got.size} repeated)` : ''}; only expected: ${few(missing)}; only got: ${few(extra)}`);
  }
  if (typeof answer.total === 'number' && answer.total !== want.size) problems.push(`Bundle.total ${answer.total}, expected ${want.size}`);
  const sort = query.params.find(([name]) => name === '_sort')?.[1];
  if (sort && problems.length === 0) {
    const problem = sortProblem(expect, answer.matches, sort);
    if (problem) problems.push(problem);
  }
  const hasInclude = query.params.some(([name]) => name.startsWith('_include') || name.startsWith('_revinclude'));
  if (hasInclude) {
    const missingIncludes = difference(included, answer.included);
    const extraIncludes = difference(answer.included, included);
    if (missingIncludes.length || extraIncludes.length) {
      problems.push(`included: expected ${included.size}, got ${answer.included.size}; only expected: ${few(missingIncludes)}; only got: ${few(extraIncludes)}`);
    }
  }
  return { ...result, problem: problems.length ? problems.join('; ') : undefined };
}

export async function runSyntheaSearch(baseUrl: string, options: Options = {}): Promise<SyntheaReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const sets = syntheaFiles(options.dir ?? DEFAULT_SYNTHEA_DIR, options.patients);
  if (sets.length === 0) throw new Error(`no Synthea data under ${options.dir ?? DEFAULT_SYNTHEA_DIR}`);
  const data: Dataset = options.load === false ? await fetchDataset(baseUrl, typesIn(sets)) : await loadSynthea(baseUrl, sets, log);
  const expect = new Expectation(data);
  const queries = generateQueries(data, baseUrl).filter(options.only ?? (() => true));
  log(`${queries.length} searches over ${data.byRef.size} resources`);
  const report: SyntheaReport = { categories: new Map(), failures: [], queries: queries.length, seconds: 0, slowest: [] };
  let next = 0;
  const worker = async () => {
    while (next < queries.length) {
      const query = queries[next++];
      const category = report.categories.get(query.category) ?? { run: 0, passed: 0, failed: 0, skipped: 0, nonEmpty: 0, maxMs: 0, totalMs: 0 };
      report.categories.set(query.category, category);
      let checked: Checked;
      try {
        checked = await check(baseUrl, expect, query);
      } catch (error) {
        checked = { problem: `check failed: ${(error as Error).message}` };
      }
      if (checked.skip) { category.skipped++; continue; }
      category.run++;
      if (checked.expected) category.nonEmpty++;
      if (checked.ms !== undefined) {
        category.maxMs = Math.max(category.maxMs, checked.ms);
        category.totalMs += checked.ms;
        report.slowest.push({ query: queryString(query), ms: checked.ms });
        report.slowest = report.slowest.sort((a, b) => b.ms - a.ms).slice(0, 5);
      }
      if (checked.problem === undefined) category.passed++;
      else {
        category.failed++;
        report.failures.push({ category: query.category, query: queryString(query), detail: checked.problem });
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

export function formatSyntheaReport(report: SyntheaReport, perCategory = 5): string {
  const lines: string[] = [];
  for (const [name, category] of [...report.categories].sort()) {
    lines.push(`${name.padEnd(16)} run ${String(category.run).padStart(4)}  passed ${String(category.passed).padStart(4)}  failed ${String(category.failed).padStart(4)}`
      + `  (non-empty ${category.nonEmpty}; mean ${(category.totalMs / Math.max(category.run, 1)).toFixed(0)} ms, max ${category.maxMs.toFixed(0)} ms)${category.skipped ? `  not checkable: ${category.skipped}` : ''}`);
  }
  for (const slow of report.slowest) lines.push(`slow: ${slow.ms.toFixed(0)} ms (all pages) GET ${slow.query}`);
  for (const [name] of [...report.categories].sort()) {
    const failures = report.failures.filter((failure) => failure.category === name);
    for (const failure of failures.slice(0, perCategory)) lines.push(`FAIL [${name}] GET ${failure.query}\n     ${failure.detail}`);
    if (failures.length > perCategory) lines.push(`     ... ${failures.length - perCategory} more in ${name}`);
  }
  const totals = [...report.categories.values()].reduce((sum, c) => ({ run: sum.run + c.run, failed: sum.failed + c.failed }), { run: 0, failed: 0 });
  lines.push(`${totals.run} searches, ${totals.run - totals.failed} passed, ${totals.failed} failed in ${report.seconds.toFixed(1)} s`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const flag = (name: string) => { const i = args.indexOf(name); if (i < 0) return undefined; const [, value] = args.splice(i, 2); return value; };
  const noLoad = args.includes('--no-load');
  if (noLoad) args.splice(args.indexOf('--no-load'), 1);
  const patients = flag('--patients');
  const only = flag('--only');
  const all = args.includes('--all');
  if (all) args.splice(args.indexOf('--all'), 1);
  const [baseUrl, dir] = args;
  if (!baseUrl) {
    process.stderr.write('usage: npx tsx conformance/synthea-search.ts <baseUrl> [syntheaDir] [--no-load] [--patients N] [--only category] [--all]\n');
    process.exit(2);
  }
  const report = await runSyntheaSearch(baseUrl.replace(/\/+$/, ''), {
    dir: dir ?? DEFAULT_SYNTHEA_DIR, load: !noLoad, patients: patients ? Number(patients) : undefined,
    only: only ? (query) => query.category === only : undefined, log: (line) => process.stdout.write(line + '\n'),
  });
  process.stdout.write(formatSyntheaReport(report, all ? Infinity : 5) + '\n');
  process.exit(report.failures.length === 0 ? 0 : 1);
}
