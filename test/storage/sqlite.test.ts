/** The storage contract on the embedded SQLite engine (a fresh file per store). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { createStore } from '../../src/storage/create-store.js';
import { runContract } from './contract.js';

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
