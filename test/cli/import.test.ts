// The import CLI (npm run import): Bundles and NDJSON (Bulk Data IG ndjson), a report of failed lines,
// a non-zero exit on failure, and re-runs that create no duplicates.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createStore } from '../../src/storage/create-store.js';

const root = path.resolve(import.meta.dirname, '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-import-cli-'));
t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));
const dataDir = path.join(work, 'data');

function runImport(...args: string[]) {
  return spawnSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'src/cli/import.ts'), ...args], {
    cwd: work, encoding: 'utf8', env: { ...process.env, FHIR_DATA_DIR: dataDir, FHIR_STORE: 'sqlite' },
  });
}

async function counts(): Promise<Record<string, number>> {
  const store = await createStore({ ...loadConfig({}), dataDir, store: 'sqlite' });
  try {
    const result: Record<string, number> = {};
    for (const type of ['Patient', 'Observation', 'Organization']) {
      result[type] = (await store.search({ types: [type], where: [], sort: [], count: 0, total: 'accurate' })).total ?? -1;
    }
    return result;
  } finally {
    await store.close();
  }
}

const input = path.join(work, 'input');
fs.mkdirSync(path.join(input, 'nested'), { recursive: true });
const lines = [
  JSON.stringify({ resourceType: 'Patient', id: 'nd-1', active: true }),
  JSON.stringify({ resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: 'nd-2' }] }),
  '{"resourceType": "Patient", "birthDate": "not a date", "id": "nd-bad"}',
  'this is not json',
  JSON.stringify({ resourceType: 'Observation', id: 'nd-obs', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/nd-1' } }),
];
fs.writeFileSync(path.join(input, 'nested', 'patients.ndjson'), lines.join('\n') + '\n');
fs.writeFileSync(path.join(input, 'bundle.json'), JSON.stringify({
  resourceType: 'Bundle', type: 'transaction', entry: [
    { fullUrl: 'urn:uuid:0b0b7a3c-1f0e-4c8a-9d55-1a2b3c4d5e6f', request: { method: 'POST', url: 'Organization' }, resource: { resourceType: 'Organization', name: 'Ward A' } },
    { fullUrl: 'urn:uuid:6a1f3c2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b', request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: 'b-1' }], managingOrganization: { reference: 'urn:uuid:0b0b7a3c-1f0e-4c8a-9d55-1a2b3c4d5e6f' } } },
  ],
}));

t.test('loads files and folders, reports failed lines, exits 1', async (t) => {
  const report = path.join(work, 'report.ndjson');
  const run = runImport('--report', report, '--batch-size', '2', input);
  t.equal(run.status, 1, `exit code (stderr: ${run.stderr.slice(-400)})`);
  t.match(run.stderr, /resources, \d+\/s/, 'progress line with resources/s');
  t.match(run.stderr, /2 failed: see .*report\.ndjson/);
  const issues = fs.readFileSync(report, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  t.same(issues.map((i) => [path.basename(i.source), i.location, i.status]).sort(), [['patients.ndjson', 'line 3', 400], ['patients.ndjson', 'line 4', 400]]);
  t.same(await counts(), { Patient: 3, Observation: 1, Organization: 1 });
});

t.test('a re-run creates no duplicates', async (t) => {
  const run = runImport('--report', path.join(work, 'report2.ndjson'), input);
  t.equal(run.status, 1, 'the bad lines still fail');
  t.same(await counts(), { Patient: 3, Observation: 1, Organization: 1 });
});

t.test('--workers 1: a re-run by two importers taking turns reports the same lines and creates no duplicates', async (t) => {
  const report = path.join(work, 'report3.ndjson');
  const run = runImport('--report', report, '--batch-size', '2', '--workers', '1', input);
  t.equal(run.status, 1, `exit code (stderr: ${run.stderr.slice(-400)})`);
  const issues = fs.readFileSync(report, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  t.same(issues.map((i) => [path.basename(i.source), i.location, i.status]).sort(), [['patients.ndjson', 'line 3', 400], ['patients.ndjson', 'line 4', 400]]);
  t.same(await counts(), { Patient: 3, Observation: 1, Organization: 1 });
});

t.test('a POST that finds a stored resource with its identifier is kept as stored, and the summary says how many', async (t) => {
  const folder = path.join(work, 'same-identifier');
  fs.mkdirSync(folder);
  const organization = (name: string) => ({ resourceType: 'Organization', identifier: [{ system: 'urn:org', value: 'clinic-1' }], name });
  for (const [file, name] of [['1.json', 'Clinic version 1'], ['2.json', 'Clinic version 2']]) {
    fs.writeFileSync(path.join(folder, file!), JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'POST', url: 'Organization' }, resource: organization(name!) }] }));
  }
  const run = runImport('--report', path.join(work, 'report4.ndjson'), folder);
  t.equal(run.status, 0, `exit code (stderr: ${run.stderr.slice(-400)})`);
  t.match(run.stderr, /2 resources in .*\(1 of them POSTs without ifNoneExist that found a stored resource with the same identifier: kept as stored, not created again\); no errors/);
  t.equal((await counts()).Organization, 2, 'one new Organization besides the earlier test\'s');
});

// a Bundle that is neither a transaction nor a batch (a collection, as the spec's example of references is) asks for
// no atomic processing: refused as one transaction, it is written as a batch, so its good resources are kept and each
// bad entry is in the report with its place
t.test('a collection Bundle with bad entries keeps its good resources and reports each bad one', async (t) => {
  const folder = path.join(work, 'collection');
  fs.mkdirSync(folder);
  fs.writeFileSync(path.join(folder, 'collection.json'), JSON.stringify({
    resourceType: 'Bundle', type: 'collection', entry: [
      { fullUrl: 'http://example.org/fhir/Patient/col-1', resource: { resourceType: 'Patient', id: 'col-1' } },
      { fullUrl: 'http://example.org/fhir/Patient/col-bad', resource: { resourceType: 'Patient', id: 'col-bad', birthDate: 'not a date' } },
      { fullUrl: 'http://example.org/fhir/Observation/col-obs', resource: { resourceType: 'Observation', id: 'col-obs', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/col-1' } } },
    ],
  }));
  const before = await counts();
  const report = path.join(work, 'report5.ndjson');
  const run = runImport('--report', report, folder);
  t.equal(run.status, 1, `exit code (stderr: ${run.stderr.slice(-400)})`);
  t.match(run.stderr, /2 resources in .*1 failed/);
  const issues = fs.readFileSync(report, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  t.same(issues.map((i) => [path.basename(i.source), i.location, i.status]), [['collection.json', 'Bundle.entry[1]', 400]]);
  t.match(issues[0].diagnostics, /birthDate/);
  const after = await counts();
  t.same([after.Patient - before.Patient, after.Observation - before.Observation], [1, 1], 'the good Patient and Observation are stored');
});

t.test('usage errors exit 2', async (t) => {
  t.equal(runImport().status, 2);
  t.equal(runImport('--bogus', input).status, 2);
  t.equal(runImport(path.join(work, 'empty-dir-that-does-not-exist')).status, 2);
});
