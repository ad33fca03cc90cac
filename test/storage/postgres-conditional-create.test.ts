/**
 * Conditional create (R4 http.html#ccreate) through the create interaction on PostgreSQL, where a transaction's
 * creates are held back until its commit (sql/create-batch.ts): concurrent If-None-Exist creates of one identifier
 * must still leave exactly one resource. Runs when FHIR_TEST_POSTGRES_URL is set; a fresh schema, dropped at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config.js';
import { create } from '../../src/interactions/create.js';
import type { InteractionRequest, ServerContext } from '../../src/interactions/types.js';
import { createServerContext } from '../../src/jobs/server-context.js';
import { testSchema } from './postgres-schema.js';

const url = process.env.FHIR_TEST_POSTGRES_URL;
if (!url) {
  t.comment('FHIR_TEST_POSTGRES_URL is not set: the PostgreSQL conditional-create test did NOT run');
  t.pass('skipped: no PostgreSQL server configured');
} else {
  const schema = testSchema(url, 'ccreate');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-ccreate-'));
  const ctx: ServerContext = await createServerContext({ ...loadConfig({}), store: schema.url(), dataDir });
  t.teardown(async () => {
    await ctx.store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    await schema.drop();
  });

  const request = (value: string): InteractionRequest => ({
    baseUrl: 'http://127.0.0.1:8080/fhir', method: 'POST', resourceType: 'Patient', query: {},
    headers: { 'if-none-exist': `identifier=urn:race|${value}` }, prefer: { return: 'minimal' },
    body: { resourceType: 'Patient', identifier: [{ system: 'urn:race', value }] },
  });

  t.test('concurrent If-None-Exist creates of one identifier leave exactly one resource', async (t) => {
    for (const value of ['A', 'B', 'C']) {
      const results = await Promise.all(Array.from({ length: 6 }, () => create(ctx, request(value))));
      t.same(results.map((result) => result.status).sort(), [200, 200, 200, 200, 200, 201], `${value}: one 201, the others 200`);
      const found = await ctx.store.search({
        types: ['Patient'], sort: [], count: 10, total: 'none',
        where: [{ kind: 'param', param: 'identifier', index: 'token', values: [{ kind: 'token', op: 'eq', system: 'urn:race', code: value }] }],
      });
      t.equal(found.items.length, 1, `${value}: exactly one Patient`);
    }
  });
}
