// R4 patient-operation-everything.html / encounter-operation-everything.html over HTTP (inject),
// and the patch interaction (R4 http.html#patch, fhirpatch.html).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { loadConfig } from '../../src/config.js';
import { FhirError } from '../../src/fhir/errors.js';
import { registerBodyParsers } from '../../src/http/body-parsers.js';
import { sendError } from '../../src/http/error-mapper.js';
import { registerOperationRoutes } from '../../src/http/routes-operations.js';
import { batchOrTransaction } from '../../src/interactions/bundle-dispatch.js';
import { patch } from '../../src/interactions/patch.js';
import type { InteractionRequest, ServerContext } from '../../src/interactions/types.js';
import { createServerContext } from '../../src/jobs/server-context.js';

let ctx: ServerContext;
const app = Fastify();
const baseUrl = 'http://127.0.0.1:8080/fhir';

t.before(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-ops-'));
  ctx = await createServerContext({ ...loadConfig({}), dataDir, publicBaseUrl: baseUrl });
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.register(async (scope) => { registerBodyParsers(scope); registerOperationRoutes(scope, ctx); }, { prefix: '/fhir' });
  await app.ready();
  const put = (resource: Record<string, unknown>) => ({ request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` }, resource });
  await batchOrTransaction(ctx, { baseUrl, method: 'POST', query: {}, headers: {}, prefer: {}, body: { resourceType: 'Bundle', type: 'transaction', entry: [
    put({ resourceType: 'Patient', id: 'p1', birthDate: '1970-01-01' }),
    put({ resourceType: 'Patient', id: 'p2' }),
    put({ resourceType: 'Encounter', id: 'e1', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p1' } }),
    put({ resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'a' }, subject: { reference: 'Patient/p1' }, encounter: { reference: 'Encounter/e1' } }),
    put({ resourceType: 'Observation', id: 'o2', status: 'final', code: { text: 'b' }, subject: { reference: 'Patient/p2' } }),
    put({ resourceType: 'Condition', id: 'c1', subject: { reference: 'Patient/p1' } }),
  ] } });
  t.teardown(async () => { await app.close(); await ctx.store.close(); fs.rmSync(dataDir, { recursive: true, force: true }); });
});

async function allPages(url: string): Promise<{ ids: string[]; pages: number; total?: number }> {
  const ids: string[] = [];
  let pages = 0;
  let total: number | undefined;
  let next: string | undefined = url;
  while (next) {
    const response: { statusCode: number; body: string; json(): any } = await app.inject({ url: next.replace(baseUrl, '/fhir') });
    if (response.statusCode !== 200) throw new Error(`${next}: ${response.statusCode} ${response.body}`);
    const bundle: any = response.json();
    pages++;
    total ??= bundle.total;
    ids.push(...(bundle.entry ?? []).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`));
    next = bundle.link.find((l: any) => l.relation === 'next')?.url;
  }
  return { ids: ids.sort(), pages, total };
}

t.test('$everything pages through the whole compartment', async (t) => {
  const patient = await allPages('/fhir/Patient/p1/$everything?_count=2');
  t.same(patient.ids, ['Condition/c1', 'Encounter/e1', 'Observation/o1', 'Patient/p1']);
  t.equal(patient.pages, 2, '_count=2 gives two pages linked by next');
  t.equal(patient.total, 4);
  t.same((await allPages('/fhir/Patient/p1/$everything?_type=Observation,Condition')).ids, ['Condition/c1', 'Observation/o1']);
  t.same((await allPages('/fhir/Patient/p1/$everything?_since=2999-01-01T00:00:00Z')).ids, []);
  t.same((await allPages('/fhir/Encounter/e1/$everything')).ids, ['Encounter/e1', 'Observation/o1', 'Patient/p1'], 'the Encounter, its compartment and its subject Patient');
  const errors: [string, number][] = [
    ['/fhir/Patient/nobody/$everything', 404],
    ['/fhir/Patient/p1/$everything?_count=0', 400],
    ['/fhir/Patient/p1/$everything?_since=yesterday', 400],
    ['/fhir/Patient/p1/$everything?category=x', 400],
    ['/fhir/Patient/p1/$everything?_type=Nonsense', 400],
  ];
  for (const [url, status] of errors) {
    const response = await app.inject({ url });
    t.equal(response.statusCode, status, url);
    t.equal(response.json().resourceType, 'OperationOutcome', `${url}: OperationOutcome`);
  }
});

t.test('PATCH: JSON Patch and FHIRPath Patch, If-Match, conditional, validated like any write', async (t) => {
  const request = (over: Partial<InteractionRequest>): InteractionRequest => ({
    baseUrl, method: 'PATCH', resourceType: 'Patient', query: {}, headers: { 'content-type': 'application/json-patch+json' }, prefer: {}, ...over,
  });
  const ok = await patch(ctx, request({ id: 'p1', body: [{ op: 'replace', path: '/birthDate', value: '1971-02-03' }], headers: { 'content-type': 'application/json-patch+json', 'if-match': 'W/"1"' } }));
  t.equal(ok.status, 200);
  t.equal(ok.headers.etag, 'W/"2"');
  t.equal((ok.body as any).birthDate, '1971-02-03');
  const fhirpath = await patch(ctx, request({ query: { _id: ['p1'] }, headers: { 'content-type': 'application/fhir+json' }, body: { resourceType: 'Parameters', parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'add' }, { name: 'path', valueString: 'Patient' }, { name: 'name', valueString: 'gender' }, { name: 'value', valueCode: 'female' }] }] } }));
  t.equal((fhirpath.body as any).gender, 'female', 'conditional FHIRPath patch');
  const failures: [string, Partial<InteractionRequest>, number, string][] = [
    ['stale If-Match', { id: 'p1', body: [], headers: { 'content-type': 'application/json-patch+json', 'if-match': 'W/"1"' } }, 412, 'precondition-failed'],
    ['unknown resource', { id: 'zz', body: [] }, 404, 'not-found'],
    ['result fails validation', { id: 'p1', body: [{ op: 'replace', path: '/birthDate', value: 'soon' }] }, 422, 'unprocessable-resource'], // RFC 5789 2.2 (test/http/http-spec-patch.test.ts)
    ['conditional with no match', { query: { _id: ['none'] }, body: [] }, 404, 'not-found'],
    ['not a patch document', { id: 'p1', body: { resourceType: 'Patient' }, headers: { 'content-type': 'application/fhir+json' } }, 415, 'invalid-content-type'],
  ];
  for (const [name, over, status, code] of failures) {
    try {
      await patch(ctx, request(over));
      t.fail(name);
    } catch (error) {
      t.same([(error as FhirError).status, (error as FhirError).code], [status, code], name);
    }
  }
  t.equal((await ctx.store.read('Patient', 'p1'))?.versionId, 3, 'failed patches stored nothing');
});
