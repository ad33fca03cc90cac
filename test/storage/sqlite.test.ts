/** The storage contract on the embedded SQLite engine (a fresh file per store). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { createStore } from '../../src/storage/create-store.js';
import type { SearchQuery } from '../../src/search/ir.js';
import { runContract, versionOf } from './contract.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-sqlite-contract-'));
t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
let stores = 0;

await runContract(t, () => createStore({ store: `sqlite:${path.join(root, `store-${++stores}`, 'fhir.sqlite')}`, dataDir: root }));

t.test('the default store is <dataDir>/fhir.sqlite, directory created', async (t) => {
  const dataDir = path.join(root, 'default', 'nested');
  const store = await createStore({ store: 'sqlite', dataDir });
  await store.close();
  t.ok(fs.existsSync(path.join(dataDir, 'fhir.sqlite')));
  t.equal(store.engine, 'sqlite');
});

t.test('a total counted before another connection writes the same file is counted again', async (t) => {
  const file = path.join(root, 'two-connections', 'fhir.sqlite');
  const reader = await createStore({ store: `sqlite:${file}`, dataDir: root });
  const writer = await createStore({ store: `sqlite:${file}`, dataDir: root });
  t.teardown(async () => { await reader.close(); await writer.close(); });
  const patient = (id: string) => versionOf({ resourceType: 'Patient', id, name: [{ family: 'Shared' }] }, 1, new Date(Date.UTC(2025, 0, 1)).toISOString());
  const query: SearchQuery = {
    types: ['Patient'], where: [{ kind: 'param', param: 'family', index: 'string', values: [{ kind: 'string', op: 'starts', value: 'shared' }] }],
    sort: [], count: 1, total: 'accurate',
  };
  for (const id of ['s1', 's2']) await writer.write(patient(id));
  t.equal((await reader.search(query)).total, 2);
  await writer.write(patient('s3'));
  t.equal((await reader.search(query)).total, 3, 'the other connection commit is seen');
});
