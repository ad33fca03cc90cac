// Batch conditional creates answered by one grouped search (bundle-prefetch.ts) keep the sequential
// semantics of R4 http.html#ccreate: an entry sees what earlier entries of the same batch wrote.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { batchOrTransaction } from '../../src/interactions/bundle-dispatch.js';
import type { ServerContext } from '../../src/interactions/types.js';
import { createServerContext } from '../../src/jobs/server-context.js';

const baseUrl = 'http://127.0.0.1:8080/fhir';
const SYSTEM = 'http://example.org/org-ids';
let ctx: ServerContext;

t.before(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-prefetch-'));
  ctx = await createServerContext({ ...loadConfig({}), dataDir });
  t.teardown(async () => { await ctx.store.close(); fs.rmSync(dataDir, { recursive: true, force: true }); });
});

const org = (value: string) => ({ resourceType: 'Organization', identifier: [{ system: SYSTEM, value }], name: `Org ${value}` });
const conditional = (value: string) => ({ resource: org(value), request: { method: 'POST', url: 'Organization', ifNoneExist: `identifier=${SYSTEM}|${value}` } });

async function batch(entry: unknown[]): Promise<string[]> {
  const result = await batchOrTransaction(ctx, { baseUrl, method: 'POST', query: {}, headers: {}, body: { resourceType: 'Bundle', type: 'batch', entry }, prefer: { return: 'minimal' } });
  return (result.body!.entry as { response: { status: string } }[]).map((e) => e.response.status);
}

async function count(value: string): Promise<number> {
  const page = await ctx.store.search({ types: ['Organization'], where: [], sort: [], count: 1000, total: 'none' });
  return page.items.filter((v) => (v.resource as unknown as { identifier: { value: string }[] }).identifier[0]!.value === value).length;
}

t.test('entries see the creates of earlier entries in the same batch', async (t) => {
  const statuses = await batch([
    conditional('a1'), conditional('a2'), { resource: org('a3'), request: { method: 'POST', url: 'Organization' } },
    conditional('a3'), conditional('a1'), conditional('a4'),
  ]);
  t.same(statuses, ['201 Created', '201 Created', '201 Created', '200 OK', '200 OK', '201 Created']);
  for (const value of ['a1', 'a2', 'a3', 'a4']) t.equal(await count(value), 1, `one Organization ${value}`);
});

t.test('a batch re-run matches what the first run created', async (t) => {
  t.same(await batch([conditional('a1'), conditional('a2'), conditional('b1')]), ['200 OK', '200 OK', '201 Created']);
  t.equal(await count('b1'), 1);
});

t.test('a conditional delete earlier in the batch (R4 order: DELETE first) lets the create happen again', async (t) => {
  const statuses = await batch([
    conditional('d2'), conditional('a4'),
    { request: { method: 'DELETE', url: `Organization?identifier=${SYSTEM}|a4` } },
  ]);
  t.same(statuses, ['201 Created', '201 Created', '204 No Content']);
  t.equal(await count('a4'), 1, 'the deleted a4 is gone from search, the new one is there');
});
