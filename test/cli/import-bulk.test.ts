// The import command on a load large for its store: the search lookups are dropped and built once at the end
// (sql/lookup-indexes.ts), by one thread or with writer threads, and a chunk that goes through the transaction
// interaction (a conditional reference, http.html#trules) has them built first, so its reference resolves as usual.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/config.js';
import { createStore } from '../../src/storage/create-store.js';
import { LOOKUP_INDEXES } from '../../src/storage/sql/schema.js';

const root = path.resolve(import.meta.dirname, '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-import-bulk-'));
t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));

const PATIENTS = 2200;
const padding = 'x'.repeat(900);
const lines = Array.from({ length: PATIENTS }, (_, n) => JSON.stringify({
  resourceType: 'Patient', id: `bulk-${n}`, identifier: [{ system: 'urn:mrn', value: `mrn-${n}` }], name: [{ family: `Family${n % 10}` }],
  text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${padding}</div>` },
}));
// last, in a chunk of its own: resolved by the transaction interaction, which searches Patient?identifier=
lines.push(JSON.stringify({
  resourceType: 'Observation', id: 'bulk-obs', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient?identifier=urn:mrn|mrn-7' },
}));
const input = path.join(work, 'input');
fs.mkdirSync(input);
fs.writeFileSync(path.join(input, 'all.ndjson'), `${lines.join('\n')}\n`);

function runImport(dataDir: string, ...args: string[]) {
  return spawnSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'src/cli/import.ts'), ...args], {
    cwd: work, encoding: 'utf8', env: { ...process.env, FHIR_DATA_DIR: dataDir, FHIR_STORE: 'sqlite', FHIR_LOG_LEVEL: 'warn' },
  });
}

for (const workers of [0, 1]) {
  t.test(`--workers ${workers}: lookups deferred and built; every line stored, searchable, the conditional reference resolved`, async (t) => {
    const dataDir = path.join(work, `data-${workers}`);
    const run = runImport(dataDir, '--report', path.join(work, `report-${workers}.ndjson`), '--batch-size', '500', '--workers', String(workers), input);
    t.equal(run.status, 0, `exit code (stderr: ${run.stderr.slice(-600)})`);
    t.match(run.stderr, /search lookups are built once at the end/);
    t.match(run.stderr, new RegExp(`${PATIENTS + 1} resources in`));

    const db = new Database(path.join(dataDir, 'fhir.sqlite'), { readonly: true });
    const present = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_%_lookup%' ORDER BY name").all() as { name: string }[]).map((row) => row.name);
    db.close();
    t.same(present, LOOKUP_INDEXES.map((lookup) => lookup.name).sort(), 'every lookup is there afterwards');

    const store = await createStore({ ...loadConfig({}), dataDir, store: 'sqlite' });
    try {
      const family = await store.search({
        types: ['Patient'], where: [{ kind: 'param', param: 'family', index: 'string', values: [{ kind: 'string', op: 'starts', value: 'family3' }] }],
        sort: [], count: 0, total: 'accurate',
      });
      t.equal(family.total, PATIENTS / 10, 'Patient?family=family3');
      const observation = await store.read('Observation', 'bulk-obs');
      const subject = (observation?.resource ?? JSON.parse(observation!.json!)).subject;
      t.same(subject, { reference: 'Patient/bulk-7' }, 'Patient?identifier=urn:mrn|mrn-7 resolved to its one match');
    } finally {
      await store.close();
    }
  });
}

t.test('a load small for the store keeps the lookups', async (t) => {
  const dataDir = path.join(work, 'data-small');
  const small = path.join(work, 'small');
  fs.mkdirSync(small);
  fs.writeFileSync(path.join(small, 'few.ndjson'), `${lines.slice(0, 50).join('\n')}\n`);
  const run = runImport(dataDir, '--report', path.join(work, 'report-small.ndjson'), small);
  t.equal(run.status, 0, run.stderr.slice(-600));
  t.notMatch(run.stderr, /built once at the end/);
});
