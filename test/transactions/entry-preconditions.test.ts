// R4 http.html#transaction: per-entry request.ifMatch follows the same rules as the If-Match header
// (http.html#concurrency, RFC 7232 §3.1: "*" matches any current version), and response.lastModified
// is the version's instant (bundle.html: Bundle.entry.response.lastModified, an instant with milliseconds).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { FhirError } from '../../src/fhir/errors.js';
import { batchOrTransaction } from '../../src/interactions/bundle-dispatch.js';
import type { ServerContext } from '../../src/interactions/types.js';
import { createServerContext } from '../../src/jobs/server-context.js';

let ctx: ServerContext;
t.before(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-tx-pre-'));
  ctx = await createServerContext({ ...loadConfig({}), dataDir });
  t.teardown(async () => { await ctx.store.close(); fs.rmSync(dataDir, { recursive: true, force: true }); });
});

const transaction = async (entry: unknown[]) => {
  try {
    const result = await batchOrTransaction(ctx, { baseUrl: 'http://127.0.0.1/fhir', method: 'POST', query: {}, headers: {}, prefer: {}, body: { resourceType: 'Bundle', type: 'transaction', entry } });
    return { status: result.status, body: result.body as any };
  } catch (error) {
    if (!(error instanceof FhirError)) throw error;
    return { status: error.status, code: error.code };
  }
};
const put = (ifMatch: string) => ({ request: { method: 'PUT', url: 'Patient/pre-1', ifMatch }, resource: { resourceType: 'Patient', id: 'pre-1', active: true } });

t.test('ifMatch "*" on an entry: 412 without a current version, applied when one exists', async (t) => {
  const none = await transaction([put('*')]);
  t.equal(none.status, 412);
  t.equal(none.code, 'precondition-failed');
  await transaction([{ request: { method: 'PUT', url: 'Patient/pre-1' }, resource: { resourceType: 'Patient', id: 'pre-1' } }]);
  const some = await transaction([put('*')]);
  t.equal(some.status, 200);
  t.equal(some.body.entry[0].response.status, '200 OK');
});

t.test('a GET entry reports lastModified with the milliseconds of meta.lastUpdated', async (t) => {
  const result = await transaction([{ request: { method: 'GET', url: 'Patient/pre-1' } }]);
  const entry = result.body.entry[0];
  t.equal(entry.response.lastModified, entry.resource.meta.lastUpdated);
});
