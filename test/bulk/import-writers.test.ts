// NDJSON import by several importers taking turns (import-writers.ts): what it stores, reports and counts must be
// what the single-threaded import (importNdjsonFiles) stores for the same files, re-imports must version and not
// duplicate, and a chunk that may hold a SearchParameter is imported where the registry follows it.
import t, { type Test } from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import type { Resource } from '../../src/fhir/types.js';
import type { ServerContext } from '../../src/interactions/types.js';
import { importNdjsonFiles, type ImportIssue } from '../../src/jobs/import-runner.js';
import { startImportWriters } from '../../src/jobs/import-writers.js';
import { createServerContext } from '../../src/jobs/server-context.js';
import { testSchema } from '../storage/postgres-schema.js';

const BASE = 'http://localhost:80/fhir';
const postgresUrl = process.env.FHIR_TEST_POSTGRES_URL;
const engines = postgresUrl ? ['sqlite', 'postgres'] as const : ['sqlite'] as const;

async function store(t: Test, engine: 'sqlite' | 'postgres'): Promise<Config> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-import-writers-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  if (engine === 'sqlite') return { ...loadConfig({}), dataDir, store: `sqlite:${path.join(dataDir, 'fhir.db')}`, seed: false };
  const schema = testSchema(postgresUrl!, 'import_writers');
  t.teardown(() => schema.drop());
  return { ...loadConfig({}), dataDir, store: schema.url(), seed: false };
}

async function open(t: Test, config: Config): Promise<ServerContext> {
  const ctx = await createServerContext(config);
  t.teardown(() => ctx.store.close());
  return ctx;
}

const patient = (n: number): Resource => ({
  resourceType: 'Patient', id: `p${n}`, name: [{ family: `Family${n % 4}`, given: ['Ada'] }], birthDate: `19${50 + (n % 40)}-01-02`,
});
const observation = (n: number): Resource => ({
  resourceType: 'Observation', id: `o${n}`, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: n % 2 ? '8867-4' : '8310-5' }] },
  subject: { reference: `Patient/p${n % 7}` }, effectiveDateTime: `2020-01-${String(1 + (n % 28)).padStart(2, '0')}T10:00:00Z`,
  valueQuantity: { value: 60 + n, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
});

/** two files: good lines, one that is not JSON, one invalid resource, and one without id (POSTed) */
function writeFiles(folder: string): string[] {
  const patients = Array.from({ length: 23 }, (_, n) => JSON.stringify(patient(n)));
  patients.splice(9, 0, '{not json');
  const observations = Array.from({ length: 31 }, (_, n) => JSON.stringify(observation(n)));
  observations.splice(14, 0, JSON.stringify({ resourceType: 'Observation', id: 'bad', status: 'no-such-status', code: { text: 'x' } }));
  observations.push(JSON.stringify({ resourceType: 'Observation', status: 'final', code: { text: 'no id' }, identifier: [{ system: 'urn:t', value: 'no-id' }] }));
  const files = [path.join(folder, 'Patient.ndjson'), path.join(folder, 'Observation.ndjson')];
  fs.writeFileSync(files[0]!, `${patients.join('\n')}\n`);
  fs.writeFileSync(files[1]!, `${observations.join('\n')}\n`);
  return files;
}

interface Outcome { resources: number; bytes: number; issues: ImportIssue[] }

async function importWith(ctx: ServerContext, config: Config, files: string[], workers: number): Promise<Outcome> {
  const outcome: Outcome = { resources: 0, bytes: 0, issues: [] };
  const counters = { onBytes: (n: number) => { outcome.bytes += n; }, onResources: (n: number) => { outcome.resources += n; }, onIssue: (issue: ImportIssue) => outcome.issues.push(issue) };
  if (workers === 0) {
    await importNdjsonFiles(ctx, BASE, files, counters, { batchSize: 4 });
    return outcome;
  }
  const writers = startImportWriters(workers, BASE, config);
  try {
    await writers.importFiles(ctx, BASE, files, counters, { batchSize: 4 });
  } finally {
    await writers.close();
  }
  return outcome;
}

/** every current resource as stored, without the server's time; the versions; and what some searches find */
async function contents(ctx: ServerContext): Promise<unknown> {
  const stored: Record<string, unknown> = {};
  for (const type of ['Patient', 'Observation']) {
    const page = await ctx.store.search({ types: [type], where: [], sort: [], count: 1000, total: 'accurate' });
    for (const item of page.items) {
      const resource = structuredClone(item.resource ?? JSON.parse(item.json!)) as Resource;
      delete resource.meta!.lastUpdated;
      const generated = resource.id!.length > 10;
      const key = generated ? `${type}/<new id>` : `${type}/${item.id}`;
      if (generated) delete resource.id;
      stored[key] = { versionId: item.versionId, resource };
    }
  }
  const ids = async (type: string, where: unknown) => (await ctx.store.search({ types: [type], where: [where as never], sort: [], count: 1000, total: 'none' })).items.map((item) => item.id).sort();
  return {
    stored,
    subject: await ids('Observation', { kind: 'param', param: 'subject', index: 'reference', values: [{ kind: 'reference', targetType: 'Patient', targetId: 'p3' }] }),
    code: await ids('Observation', { kind: 'param', param: 'code', index: 'token', values: [{ kind: 'token', op: 'eq', system: 'http://loinc.org', code: '8867-4' }] }),
    family: await ids('Patient', { kind: 'param', param: 'family', index: 'string', values: [{ kind: 'string', op: 'starts', value: 'family1' }] }),
  };
}

for (const engine of engines) {
  t.test(`${engine}: importers taking turns store, count and report what one importer does`, async (t) => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-import-writers-files-'));
    t.teardown(() => fs.rmSync(folder, { recursive: true, force: true }));
    const files = writeFiles(folder);
    const single = await store(t, engine);
    const several = await store(t, engine);
    const singleCtx = await open(t, single);
    const severalCtx = await open(t, several);
    const expected = await importWith(singleCtx, single, files, 0);
    const found = await importWith(severalCtx, several, files, 2);
    t.equal(expected.resources, 55, 'single importer: every good line');
    t.same(expected.issues.map((issue) => issue.location).sort(), ['line 10', 'line 15'], 'the bad lines are reported with their numbers');
    t.same(found, expected, 'same counts, bytes and issues, in the same order');
    t.same(await contents(severalCtx), await contents(singleCtx));

    const again = await importWith(severalCtx, several, files, 2);
    t.same(again, expected, 're-import: the same outcome');
    const reimported = await contents(severalCtx) as { stored: Record<string, { versionId: number }> };
    t.equal(Object.keys(reimported.stored).length, 55, 'no duplicates');
    t.ok(Object.values(reimported.stored).filter((entry) => entry.versionId === 2).length >= 54, 'PUT lines have a second version');
  });
}

t.test('a chunk that may hold a SearchParameter, and the rest, are imported by this thread, indexed with it as by one importer', async (t) => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-import-writers-sp-'));
  t.teardown(() => fs.rmSync(folder, { recursive: true, force: true }));
  const nickname = {
    resourceType: 'SearchParameter', id: 'patient-nickname', url: 'http://hospital.example/sp/patient-nickname', name: 'nickname',
    status: 'active', description: 'a nickname', code: 'nickname', base: ['Patient'], type: 'string', expression: "Patient.name.where(use='nickname').given",
  };
  const jim = (id: string) => ({ resourceType: 'Patient', id, name: [{ use: 'nickname', given: ['Jimmy'] }] });
  // chunks of 4: the first is written before the parameter exists, the second holds it, the third is indexed with it
  const lines = [jim('jim0'), jim('jim00'), jim('jim000'), jim('jim0000'), nickname, jim('jim1'), jim('jim2'), jim('jim3'), jim('jim4'), jim('jim5')];
  const file = path.join(folder, 'mixed.ndjson');
  fs.writeFileSync(file, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`);
  const nicknamed = async (workers: number) => {
    const config = await store(t, 'sqlite');
    const ctx = await open(t, config);
    const outcome = await importWith(ctx, config, [file], workers);
    t.same(outcome.issues, []);
    t.equal(outcome.resources, 10);
    const found = await ctx.store.search({
      types: ['Patient'], where: [{ kind: 'param', param: 'nickname', index: 'string', values: [{ kind: 'string', op: 'starts', value: 'jim' }] }], sort: [], count: 10, total: 'none',
    });
    return found.items.map((item) => item.id).sort();
  };
  t.same(await nicknamed(1), ['jim4', 'jim5']);
  t.same(await nicknamed(1), await nicknamed(0));
});
