/**
 * Store-level timing of the bench search-mix shapes (bench/workloads/search-mix.ts) over the Synthea data, for
 * tuning the SQL compiler on a loaded machine: CPU per request (process CPU, in-process inject, so server and
 * store are both counted; PostgreSQL's own CPU is not) and wall time inside store.search, plus each statement and
 * its plan with --explain.
 *
 *   npx tsx test/storage/search-timing.ts --store sqlite:/tmp/perf/fhir.sqlite [--explain] [--repeat 200] [--only name]
 *   npx tsx test/storage/search-timing.ts --store 'postgres://fhir:fhir@127.0.0.1:5432/fhir_test?schema=perf'
 *
 * An empty store is loaded with the Synthea bundles first (through the transaction interaction, 4 clients), and with
 * --copies N the last dataset's patient bundles N more times (a larger store for counts and selectivity).
 */
import { parseArgs } from 'node:util';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { loadDefinitions } from '../../src/fhir/definitions.js';
import { createValidator } from '../../src/fhir/validation.js';
import type { ServerContext } from '../../src/interactions/types.js';
import { createSearchParameterRegistry } from '../../src/search/registry.js';
import { createStore } from '../../src/storage/create-store.js';
import type { Row, SqlSession } from '../../src/storage/sql/session.js';
import { postBundle } from '../../bench/lib/fhir-http.js';
import { syntheaLoadPhases } from '../../bench/lib/synthea.js';
import { loadSynthea } from '../../bench/lib/synthea-load.js';
import { pickSearchValues } from '../../bench/lib/search-values.js';
import { searchShapes } from '../../bench/workloads/search-mix.js';

const { values: args } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite:/tmp/fhir-perf/fhir.sqlite' },
    explain: { type: 'boolean', default: false },
    repeat: { type: 'string', default: '100' },
    only: { type: 'string' },
    copies: { type: 'string', default: '0' },
  },
});
const repeat = Number(args.repeat);

const config = { ...loadConfig({ FHIR_STORE: args.store, FHIR_PORT: '0', FHIR_DATA_DIR: '/tmp/fhir-perf', FHIR_LOG_LEVEL: 'warn' }) };
const definitions = await loadDefinitions();
const store = await createStore(config);
const ctx = {
  config, store, definitions, validator: createValidator(definitions), now: () => new Date(),
  searchParameters: createSearchParameterRegistry(definitions, { baseUrls: ['http://127.0.0.1/fhir'] }),
} as ServerContext;
const app = buildApp(ctx, { logger: false });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
const base = `${address}/fhir`;

const existing = await app.inject({ url: '/fhir/Patient?_summary=count' });
if ((JSON.parse(existing.body) as { total: number }).total < 10) {
  const started = performance.now();
  const result = await loadSynthea(base, 4, (line) => console.log(line));
  console.log(`loaded ${result.resources} resources in ${((performance.now() - started) / 1000).toFixed(1)} s, ${result.failures.length} failures`);
  // more of the same: the self-contained patient bundles (urn:uuid references only) posted again, new ids each time
  const phase = syntheaLoadPhases().filter((candidate) => candidate.parallel).at(-1)!;
  for (let copy = 0; copy < Number(args.copies); copy++) {
    let next = 0;
    await Promise.all([1, 2, 3, 4].map(async () => {
      while (next < phase.bundles.length) {
        const bundle = phase.bundles[next++]!;
        const posted = await postBundle(base, bundle.text, bundle.file);
        if (posted.failures.length) throw new Error(posted.failures[0]);
      }
    }));
    console.log(`copy ${copy + 1} of ${phase.label} loaded`);
  }
}

// statements and time inside the store's read session
const sql = (store as unknown as { sql: { reader: SqlSession } }).sql;
const reader = sql.reader;
const recorded: { sql: string; params: unknown[] }[] = [];
let storeMs = 0;
const all = reader.all.bind(reader);
reader.all = async (text: string, params: unknown[], options?: unknown): Promise<Row[]> => {
  recorded.push({ sql: text, params });
  const started = performance.now();
  try {
    return await all(text, params, options as never);
  } finally {
    storeMs += performance.now() - started;
  }
};

const values = await pickSearchValues(base);
const shapes = searchShapes(values).filter((shape) => !args.only || shape.name.includes(args.only));
shapes.push({ name: 'count-observations', family: 'count', query: 'Observation?_summary=count' });
shapes.push({ name: 'count-category-lab', family: 'count', query: 'Observation?category=laboratory&_summary=count' });
shapes.push({ name: 'total-birthdate-ge', family: 'count', query: `Patient?birthdate=ge${values.birthDate}&_total=accurate` });

async function explain(statement: { sql: string; params: unknown[] }): Promise<string> {
  if (store.engine === 'sqlite') {
    const connection = (sql as unknown as { writer: { prepare(s: string): { all(p: unknown[]): { detail: string }[] } } }).writer;
    return connection.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(statement.params).map((row) => '    ' + row.detail).join('\n');
  }
  let n = 0;
  const text = statement.sql.replace(/\?/g, () => `$${++n}`);
  const rows = await all(`EXPLAIN (ANALYZE, BUFFERS) ${statement.sql}`, statement.params);
  void text;
  return rows.map((row) => '    ' + String(row['QUERY PLAN'])).join('\n');
}

console.log(`engine ${store.engine}; ${repeat} requests per shape; CPU and store time per request`);
for (const shape of shapes) {
  const url = `/fhir/${shape.query}`;
  const first = await app.inject({ url });
  if (first.statusCode !== 200) throw new Error(`${shape.query}: ${first.statusCode} ${first.body.slice(0, 300)}`);
  const body = JSON.parse(first.body) as { total?: number; entry?: unknown[] };
  recorded.length = 0;
  await app.inject({ url });
  const statements = [...recorded];
  storeMs = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let n = 0; n < repeat; n++) await app.inject({ url });
  const used = process.cpuUsage(cpu);
  const wall = (performance.now() - started) / repeat;
  const cpuMs = (used.user + used.system) / 1000 / repeat;
  console.log(`${shape.name.padEnd(34)} cpu ${cpuMs.toFixed(3).padStart(8)} ms  wall ${wall.toFixed(3).padStart(8)} ms`
    + `  store ${(storeMs / repeat).toFixed(3).padStart(8)} ms  entries ${body.entry?.length ?? 0} total ${body.total ?? '-'}`);
  if (args.explain) {
    for (const statement of statements) console.log(`  ${statement.sql}\n  ${JSON.stringify(statement.params)}\n${await explain(statement)}`);
  }
}
await app.close();
await store.close();
