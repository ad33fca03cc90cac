// NDJSON import writes plain PUT lines directly (import-prepare.ts "ready", import-runner.ts writeReady), optionally
// prepared by worker threads: what it stores must be what the transaction interaction stores for the same PUTs,
// re-imports and imports over deleted resources must version as PUT does, and a chunk naming a resource twice keeps
// the interaction path's outcome.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import type { Resource } from '../../src/fhir/types.js';
import { batchOrTransaction } from '../../src/interactions/bundle-dispatch.js';
import type { ServerContext } from '../../src/interactions/types.js';
import { importNdjsonLines, type ImportIssue } from '../../src/jobs/import-runner.js';
import { readNdjsonText } from '../../src/jobs/ndjson-reader.js';
import { createServerContext } from '../../src/jobs/server-context.js';

const BASE = 'http://localhost:80/fhir';

// SQLite always; PostgreSQL too when FHIR_TEST_POSTGRES_URL is set (a fresh schema per store, dropped afterwards)
const postgresUrl = process.env.FHIR_TEST_POSTGRES_URL;
const engines = postgresUrl ? ['sqlite', 'postgres'] as const : ['sqlite'] as const;
let schemas = 0;

async function context(t: Test, engine: 'sqlite' | 'postgres' = 'sqlite'): Promise<ServerContext> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-import-direct-'));
  let store = 'sqlite';
  const schema = `import_direct_${process.pid}_${++schemas}`;
  if (engine === 'postgres') {
    const url = new URL(postgresUrl!);
    url.searchParams.set('schema', schema);
    store = url.toString();
  }
  const ctx = await createServerContext({ ...loadConfig({}), dataDir, store, seed: false });
  t.teardown(async () => {
    await ctx.store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (engine !== 'postgres') return;
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });
  return ctx;
}

async function importLines(ctx: ServerContext, lines: unknown[], options: { batchSize?: number } = {}) {
  const issues: ImportIssue[] = [];
  let resources = 0;
  const text = lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n';
  await importNdjsonLines(ctx, BASE, 'test.ndjson', readNdjsonText(Readable.from([text])), {
    onBytes: () => {}, onResources: (n) => { resources += n; }, onIssue: (issue) => issues.push(issue),
  }, options);
  return { issues, resources };
}

async function put(ctx: ServerContext, resources: Resource[]) {
  await batchOrTransaction(ctx, {
    baseUrl: BASE, method: 'POST', query: {}, headers: {}, prefer: { return: 'minimal' },
    body: { resourceType: 'Bundle', type: 'transaction', entry: resources.map((resource) => ({ request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` }, resource })) },
  });
}

const patient = (id: string, extra: Record<string, unknown> = {}): Resource => ({
  resourceType: 'Patient', meta: { tag: [{ system: 'urn:t', code: 'x' }] }, id, name: [{ family: 'Ng', given: ['Ada'] }], birthDate: '1970-01-02', ...extra,
});
const observation = (id: string): Resource => ({
  resourceType: 'Observation', id, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
  subject: { reference: 'Patient/p1' }, effectiveDateTime: '2020-01-01T10:00:00Z', valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
});

/** the stored JSON without the server's time, which differs between two writes */
function withoutTime(resource: Resource | undefined): string {
  const copy = structuredClone(resource)!;
  delete copy.meta!.lastUpdated;
  return JSON.stringify(copy);
}

async function searchIds(ctx: ServerContext, type: string, param: string, index: 'token' | 'reference' | 'quantity', value: Record<string, unknown>): Promise<string[]> {
  const page = await ctx.store.search({ types: [type], where: [{ kind: 'param', param, index, values: [value as never] }], sort: [], count: 100, total: 'none' });
  return page.items.map((item) => item.id).sort();
}

for (const engine of engines) {
  t.test(`${engine}: stores what a transaction of PUTs stores, indexed the same`, async (t) => {
    const direct = await context(t, engine);
    const reference = await context(t, engine);
    const lines = [patient('p1'), patient('p2', { active: true }), observation('o1'), observation('o2')];
    const result = await importLines(direct, lines, { batchSize: 3 });
    t.same(result, { issues: [], resources: 4 });
    await put(reference, structuredClone(lines));
    for (const resource of lines) {
      const stored = await direct.store.read(resource.resourceType, resource.id as string);
      const expected = await reference.store.read(resource.resourceType, resource.id as string);
      t.equal(stored?.versionId, 1);
      t.equal(stored?.resource?.meta?.lastUpdated, stored?.lastUpdated, 'meta.lastUpdated is the version time');
      t.equal(withoutTime(stored?.resource), withoutTime(expected?.resource), `${resource.resourceType}/${resource.id}: same JSON, key order included`);
    }
    for (const ctx of [direct, reference]) {
      t.same(await searchIds(ctx, 'Observation', 'subject', 'reference', { kind: 'reference', targetType: 'Patient', targetId: 'p1' }), ['o1', 'o2']);
      t.same(await searchIds(ctx, 'Patient', '_tag', 'token', { kind: 'token', op: 'eq', system: 'urn:t', code: 'x' }), ['p1', 'p2']);
      t.same(await searchIds(ctx, 'Observation', 'code', 'token', { kind: 'token', op: 'eq', system: 'http://loinc.org', code: '8867-4' }), ['o1', 'o2']);
    }
  });
}

for (const engine of engines) {
  t.test(`${engine}: a re-import updates: new versions, history kept, no duplicates`, async (t) => {
    const ctx = await context(t, engine);
    await importLines(ctx, [patient('p1'), patient('p2')]);
    const again = await importLines(ctx, [patient('p1', { gender: 'female' }), patient('p2')]);
    t.same(again, { issues: [], resources: 2 });
    const p1 = await ctx.store.read('Patient', 'p1');
    t.equal(p1?.versionId, 2);
    t.equal(p1?.resource?.meta?.versionId, '2', 'meta.versionId follows the version');
    t.equal(p1?.resource?.gender, 'female');
    const history = await ctx.store.history({ resourceType: 'Patient', id: 'p1', count: 10 });
    t.same(history.items.map((v) => v.versionId), [2, 1]);
    t.notOk(history.items[1]!.resource?.gender, 'the first version as it was');
    t.equal((await ctx.store.search({ types: ['Patient'], where: [], sort: [], count: 0, total: 'accurate' })).total, 2);
  });

  t.test(`${engine}: an import over a deleted resource continues its versions, as PUT does`, async (t) => {
    const ctx = await context(t, engine);
    await importLines(ctx, [patient('p1')]);
    await batchOrTransaction(ctx, {
      baseUrl: BASE, method: 'POST', query: {}, headers: {}, prefer: { return: 'minimal' },
      body: { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'DELETE', url: 'Patient/p1' } }] },
    });
    t.equal((await ctx.store.read('Patient', 'p1'))?.deleted, true);
    const { ctx: recorded, events } = instrumented(ctx, { delayMs: 0 });
    const result = await importLines(recorded, [patient('p1'), patient('p2')]);
    t.same(result, { issues: [], resources: 2 });
    t.same(events.filter((event) => event.startsWith('write')), ['write 1'], 'written directly: one transaction, no second try through the interactions');
    const p1 = await ctx.store.read('Patient', 'p1');
    t.equal(p1?.versionId, 3);
    t.equal(p1?.deleted, false);
    t.equal(p1?.resource?.meta?.versionId, '3');
    t.equal((await ctx.store.read('Patient', 'p2'))?.versionId, 1);
  });

  t.test(`${engine}: a chunk naming a resource twice, or holding an invalid line, keeps the interaction outcome`, async (t) => {
    const ctx = await context(t, engine);
    const twice = await importLines(ctx, [patient('p1'), patient('p1', { gender: 'male' })]);
    t.same(twice, { issues: [], resources: 2 });
    const p1 = await ctx.store.read('Patient', 'p1');
    t.equal(p1?.versionId, 2, 'both PUTs applied in order');
    t.equal(p1?.resource?.gender, 'male');

    const mixed = await importLines(ctx, [patient('p3'), patient('bad', { birthDate: 'not a date' }), '{"resourceType":', patient('p4')]);
    t.equal(mixed.resources, 2);
    t.same(mixed.issues.map((issue) => [issue.location, issue.status]), [['line 3', 400], ['line 2', 400]]);
    t.match(mixed.issues[1]!.diagnostics, /Bundle\.entry\[1\] \(PUT Patient\/bad\)/, 'diagnostics of the batch replay, entry index included');
    t.notOk(await ctx.store.read('Patient', 'bad'));
    t.equal((await ctx.store.read('Patient', 'p4'))?.versionId, 1);
  });
}

t.test('after a chunk writes a SearchParameter, later chunks are indexed with it', async (t) => {
  const ctx = await context(t);
  const nickname = {
    resourceType: 'SearchParameter', id: 'patient-nickname', url: 'http://hospital.example/sp/patient-nickname', name: 'nickname',
    status: 'active', description: 'a nickname', code: 'nickname', base: ['Patient'], type: 'string', expression: "Patient.name.where(use='nickname').given",
  };
  const jim = (id: string) => ({ resourceType: 'Patient', id, name: [{ use: 'nickname', given: ['Jimmy'] }] });
  // one line per chunk: each Patient is prepared after the SearchParameter is written
  const result = await importLines(ctx, [nickname, jim('jim1'), jim('jim2'), jim('jim3')], { batchSize: 1 });
  t.same(result, { issues: [], resources: 4 });
  const found = await ctx.store.search({
    types: ['Patient'], where: [{ kind: 'param', param: 'nickname', index: 'string', values: [{ kind: 'string', op: 'starts', value: 'jim' }] }], sort: [], count: 10, total: 'none',
  });
  t.same(found.items.map((item) => item.id).sort(), ['jim1', 'jim2', 'jim3']);
});

t.test('a line with a urn:uuid reference goes to the interactions, which refuse it alone (bundle.html#references)', async (t) => {
  const ctx = await context(t);
  const dangling = { ...observation('o-urn'), subject: { reference: 'urn:uuid:0b0b7a3c-1f0e-4c8a-9d55-1a2b3c4d5e6f' } };
  const result = await importLines(ctx, [patient('p1'), dangling, observation('o-ok')]);
  t.equal(result.resources, 2, 'the other lines are stored');
  t.same(result.issues.map((issue) => [issue.location, issue.status]), [['line 2', 400]]);
  t.match(result.issues[0]!.diagnostics, /urn:uuid:0b0b7a3c/);
  t.equal(await ctx.store.read('Observation', 'o-urn'), undefined, 'nothing stored for it');
});

/**
 * The store's transactions (one per directly written chunk) recorded, each held `delayMs` and the one numbered
 * `failing` (from 1) throwing; `now` (read once per chunk prepared) recorded too.
 */
function instrumented(ctx: ServerContext, options: { delayMs: number; failing?: number }): { ctx: ServerContext; events: string[] } {
  const events: string[] = [];
  let prepared = 0;
  let written = 0;
  const store = Object.create(ctx.store) as typeof ctx.store;
  store.withTransaction = async (fn) => {
    const n = ++written;
    events.push(`write ${n}`);
    await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    if (n === options.failing) throw new Error(`write ${n} failed`);
    const result = await ctx.store.withTransaction(fn);
    events.push(`written ${n}`);
    return result;
  };
  const now = () => {
    events.push(`prepare ${++prepared}`);
    return ctx.now();
  };
  return { ctx: { ...ctx, store, now }, events };
}

t.test('chunks are prepared while earlier ones are written, two ahead, and written in order', async (t) => {
  const base = await context(t);
  const { ctx, events } = instrumented(base, { delayMs: 40 });
  const result = await importLines(ctx, ['p1', 'p2', 'p3', 'p4', 'p5'].map((id) => patient(id)), { batchSize: 1 });
  t.same(result, { issues: [], resources: 5 });
  t.same(events.filter((event) => event.startsWith('write')), ['write 1', 'write 2', 'write 3', 'write 4', 'write 5'], 'one write after another, in order');
  const at = (event: string) => events.indexOf(event);
  t.ok(at('prepare 3') < at('written 1'), 'the third chunk is prepared before the first is written (the thread does not wait for the write)');
  t.ok(at('prepare 4') > at('written 1'), 'no more than two chunks wait in the write chain when another is prepared');
  t.ok(at('write 2') > at('written 1'), 'a write starts when the one before it has ended');
});

t.test('a failed write stops the import: no later chunk is written after the gap', async (t) => {
  const base = await context(t);
  const { ctx, events } = instrumented(base, { delayMs: 10, failing: 2 });
  await t.rejects(importLines(ctx, ['p1', 'p2', 'p3', 'p4', 'p5'].map((id) => patient(id)), { batchSize: 1 }), /write 2 failed/);
  t.same(events.filter((event) => event.startsWith('write')), ['write 1', 'write 2'], 'nothing written after the failed chunk');
  t.ok(await base.store.read('Patient', 'p1'), 'the chunk before it is stored');
  for (const id of ['p2', 'p3', 'p4', 'p5']) t.equal(await base.store.read('Patient', id), undefined, `Patient/${id} is not stored`);
});

t.test('when reading fails, the chunks already prepared are written before the failure is reported, none after', async (t) => {
  const base = await context(t);
  const { ctx, events } = instrumented(base, { delayMs: 30 });
  async function* linesThenFailure() {
    for (const [n, id] of ['p1', 'p2', 'p3'].entries()) {
      const text = JSON.stringify(patient(id));
      yield { line: n + 1, bytes: text.length + 1, text };
    }
    throw new Error('the input broke off');
  }
  const counters = { onBytes: () => {}, onResources: () => {}, onIssue: () => {} };
  await t.rejects(importNdjsonLines(ctx, BASE, 'test.ndjson', linesThenFailure(), counters, { batchSize: 1 }), /broke off/);
  const settled = [...events];
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.same(events, settled, 'nothing is written once the import has failed');
  t.same(events.filter((event) => event.startsWith('written')), ['written 1', 'written 2', 'written 3'], 'the lines read before the failure are stored');
});
