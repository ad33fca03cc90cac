/**
 * $reindex (issue 3 item 7; R4 operations.html, async pattern of R4 async.html): recomputes index entries
 * of current resources without versions, reports progress in a Parameters resource, resumes after a stop,
 * and makes a custom parameter searchable once it has covered the parameter's base types.
 */
import t from 'tap';
import { createJob, loadJob, resumeReindexJobs, runJob } from '../../src/interactions/operations/reindex-job.js';
import { createTestServer, FHIR_JSON, firstIssue, json, type TestServer } from './context.js';

const server = await createTestServer({}, undefined, { freshRegistry: true });
t.teardown(() => server.close());

const send = (target: TestServer, method: 'POST' | 'PUT' | 'GET', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  target.app.inject({ method, url, headers: { ...(payload ? { 'content-type': FHIR_JSON } : {}), ...headers }, payload: payload as never });
const ids = async (target: TestServer, url: string) => {
  const response = await send(target, 'GET', url);
  if (response.statusCode !== 200) return response.statusCode;
  return (json(response.body).entry ?? []).filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id).sort();
};
const value = (parameters: any, name: string) => {
  const found = parameters.parameter.find((p: any) => p.name === name);
  return found && (found.valueInteger ?? found.valueCode ?? found.valueString ?? found.valueId ?? found.valueBoolean);
};
const all = (parameters: any, name: string) => parameters.parameter.filter((p: any) => p.name === name).map((p: any) => p.valueString);

const nickname = {
  resourceType: 'SearchParameter', id: 'nickname', url: 'http://hospital.example/sp/nickname', name: 'nickname', status: 'active',
  description: 'nickname', code: 'nickname', base: ['Patient'], type: 'string', expression: "Patient.name.where(use='nickname').given",
};
const transaction = (resources: Record<string, unknown>[]) => ({
  resourceType: 'Bundle', type: 'transaction',
  entry: resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })),
});
await send(server, 'POST', '/fhir', transaction([
  ...Array.from({ length: 5 }, (_, i) => ({ resourceType: 'Patient', id: `p${i}`, name: [{ use: 'nickname', given: [i % 2 ? 'Jim' : 'Bob'] }] })),
  { resourceType: 'Device', id: 'd1', lotNumber: 'L1' },
]));
await send(server, 'PUT', '/fhir/SearchParameter/nickname', nickname);

t.test('type level: a synchronous run reports counts and makes the parameter searchable', async (t) => {
  t.equal(await ids(server, '/fhir/Patient?nickname=Jim'), 409, 'building before the reindex');
  const response = await send(server, 'POST', '/fhir/Patient/$reindex');
  t.equal(response.statusCode, 200);
  const result = json(response.body);
  t.equal(result.resourceType, 'Parameters');
  t.match({ status: value(result, 'status'), scope: value(result, 'scope'), total: value(result, 'total'), processed: value(result, 'processed'), updated: value(result, 'updated') },
    { status: 'completed', scope: 'Patient', total: 5, processed: 5, updated: 5 });
  t.same(all(result, 'ready'), ['Patient.nickname']);
  t.same(all(result, 'building'), [], 'nothing left building');
  t.same(await ids(server, '/fhir/Patient?nickname=Jim'), ['p1', 'p3']);
  const history = json((await send(server, 'GET', '/fhir/Patient/p1/_history')).body);
  t.equal(history.entry.length, 1, 'no version was created');
  t.same(await ids(server, '/fhir/Patient?nickname=Bob&_sort=-nickname'), ['p0', 'p2', 'p4'], 'sortable too');
});

t.test('instance level reindexes one resource but covers no type', async (t) => {
  await send(server, 'PUT', '/fhir/SearchParameter/nickname', { ...nickname, expression: 'Patient.name.given' });
  t.equal(await ids(server, '/fhir/Patient?nickname=Jim'), 409, 'changed: building again');
  const one = json((await send(server, 'POST', '/fhir/Patient/p1/$reindex')).body);
  t.match({ status: value(one, 'status'), processed: value(one, 'processed'), updated: value(one, 'updated') }, { status: 'completed', processed: 1, updated: 1 });
  t.equal(await ids(server, '/fhir/Patient?nickname=Jim'), 409, 'still building');
  t.equal((await send(server, 'POST', '/fhir/Patient/nobody/$reindex')).statusCode, 404);
});

t.test('system level with Prefer: respond-async: 202, then progress until done', async (t) => {
  const started = await send(server, 'POST', '/fhir/$reindex', undefined, { prefer: 'respond-async' });
  t.equal(started.statusCode, 202);
  const location = started.headers['content-location'] as string;
  t.match(location, /^http:\/\/localhost:80\/fhir\/\$reindex\?job=[0-9a-f-]+$/);
  let status;
  for (let attempt = 0; attempt < 200; attempt++) {
    status = await send(server, 'GET', location.replace('http://localhost:80', ''));
    if (status.statusCode === 200) break;
    t.equal(status.statusCode, 202);
    t.match(status.headers['x-progress'], /of \d+ resources/);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  t.equal(status!.statusCode, 200);
  const result = json(status!.body);
  t.equal(value(result, 'status'), 'completed');
  t.equal(value(result, 'scope'), 'system');
  t.ok(value(result, 'typesTotal') > 100, 'every resource type');
  t.ok(all(result, 'ready').includes('Patient.nickname'));
  t.same(await ids(server, '/fhir/Patient?nickname=Jim'), ['p1', 'p3']);
  const overview = json((await send(server, 'GET', '/fhir/$reindex')).body);
  t.ok(overview.parameter.some((p: any) => p.name === 'job'), 'GET [base]/$reindex lists the jobs');
});

t.test('a job stopped part way is persisted and resumed', async (t) => {
  await send(server, 'PUT', '/fhir/SearchParameter/nickname', nickname);
  const job = await createJob(server.ctx, 'system (Device,Patient)', ['Device', 'Patient']);
  let pages = 0;
  await runJob(server.ctx, job, () => pages++ > 0);
  const stored = (await loadJob(server.ctx, job.id))!;
  t.match(stored, { status: 'running', position: { type: 1 } }, 'stopped after Device, position on disk');
  t.equal(await ids(server, '/fhir/Patient?nickname=Jim'), 409, 'Patient not covered yet');
  const status = json((await send(server, 'GET', `/fhir/$reindex?job=${job.id}`)).body);
  t.equal(value(status, 'status'), 'stopped', 'reported as stopped while nothing runs it');
  const resumed = await send(server, 'POST', `/fhir/$reindex?job=${job.id}`);
  t.equal(resumed.statusCode, 200);
  t.match({ status: value(json(resumed.body), 'status'), processed: value(json(resumed.body), 'processed') }, { status: 'completed', processed: 6 });
  t.same(await ids(server, '/fhir/Patient?nickname=Jim'), ['p1', 'p3']);
});

t.test('a change made after a job started is not covered by that job', async (t) => {
  const job = await createJob(server.ctx, 'Patient', ['Patient']);
  await send(server, 'PUT', '/fhir/SearchParameter/nickname', { ...nickname, expression: 'Patient.name.given' });
  await runJob(server.ctx, job);
  t.equal(await ids(server, '/fhir/Patient?nickname=Jim'), 409, 'still building');
  t.equal((await send(server, 'POST', '/fhir/Patient/$reindex')).statusCode, 200);
  t.same(await ids(server, '/fhir/Patient?nickname=Jim'), ['p1', 'p3']);
});

t.test('errors: GET on a type, unknown job, unknown type, unknown _type', async (t) => {
  const get = await send(server, 'GET', '/fhir/Patient/$reindex');
  t.equal(get.statusCode, 405);
  t.equal((await send(server, 'GET', '/fhir/$reindex?job=nope')).statusCode, 404);
  t.equal((await send(server, 'POST', '/fhir/$reindex?job=nope')).statusCode, 404);
  t.equal((await send(server, 'POST', '/fhir/Patiënt/$reindex')).statusCode, 404);
  const badType = await send(server, 'POST', '/fhir/$reindex?_type=Patient,Nope');
  t.equal(badType.statusCode, 400);
  t.match(firstIssue(badType.body).diagnostics, /Nope/);
});

t.test('a job left running by a stopped server resumes at the next start', async (t) => {
  const first = await createTestServer({}, undefined, { freshRegistry: true });
  await send(first, 'POST', '/fhir', transaction([
    { resourceType: 'Device', id: 'd1', lotNumber: 'L1' },
    { resourceType: 'Patient', id: 'jim', name: [{ use: 'nickname', given: ['Jim'] }] },
  ]));
  await send(first, 'PUT', '/fhir/SearchParameter/nickname', nickname);
  const job = await createJob(first.ctx, 'system (Device,Patient)', ['Device', 'Patient']);
  let pages = 0;
  await runJob(first.ctx, job, () => pages++ > 0);
  await first.app.close();
  await first.ctx.store.close();

  const second = await createTestServer({ dataDir: first.ctx.config.dataDir }, undefined, { freshRegistry: true });
  t.teardown(() => second.close());
  t.equal(await ids(second, '/fhir/Patient?nickname=Jim'), 409, 'still building after the restart');
  const stop = resumeReindexJobs(second.ctx);
  let status;
  for (let attempt = 0; attempt < 200; attempt++) {
    status = json((await send(second, 'GET', `/fhir/$reindex?job=${job.id}`)).body);
    if (value(status, 'status') === 'completed') break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await stop();
  t.equal(value(status, 'status'), 'completed');
  t.same(all(status, 'ready'), ['Patient.nickname']);
  t.same(await ids(second, '/fhir/Patient?nickname=Jim'), ['jim']);
});
