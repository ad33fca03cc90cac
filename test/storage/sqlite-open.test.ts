// Opening the embedded store: missing directories are created; an impossible path fails at once with the
// operating system's reason (it used to hang: recursive mkdir under /proc never returns).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStore } from '../../src/storage/create-store.js';
import { loadConfig } from '../../src/config.js';

t.test('missing parent directories of the SQLite file are created', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-open-'));
  const file = path.join(dir, 'a', 'b', 'fhir.sqlite');
  const store = await createStore({ ...loadConfig({}), dataDir: dir, store: `sqlite:${file}` });
  t.ok(fs.existsSync(file));
  await store.close();
});

t.test('a path that cannot be created fails with the reason instead of hanging', { skip: !fs.existsSync('/proc/self') && 'no /proc here' }, async (t) => {
  await t.rejects(createStore({ ...loadConfig({}), store: 'sqlite:/proc/no-such-dir/fhir.sqlite' }), { code: 'ENOENT' });
});
