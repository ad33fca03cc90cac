/** `_explain=true` (issue 3 item 8): the searchset carries the plan and its timings as an outcome entry (R4 search.html#errors: OperationOutcome entries with search.mode outcome). */
import t from 'tap';
import { createTestServer, FHIR_JSON, json } from './context.js';

const server = await createTestServer();
t.teardown(() => server.close());
const { app } = server;
const put = (resource: Record<string, unknown>) =>
  app.inject({ method: 'PUT', url: `/fhir/${resource.resourceType}/${resource.id}`, headers: { 'content-type': FHIR_JSON }, payload: resource });
await put({ resourceType: 'Organization', id: 'org', name: 'General' });
await put({ resourceType: 'Patient', id: 'p1', gender: 'male', birthDate: '1970-05-01', name: [{ family: 'Smith' }], managingOrganization: { reference: 'Organization/org' } });
await put({ resourceType: 'Patient', id: 'p2', gender: 'female', name: [{ family: 'Jones' }] });

const outcomeOf = (bundle: any) => bundle.entry?.find((entry: any) => entry.search?.mode === 'outcome');

t.test('_explain=true: plan, engine and timings in an information OperationOutcome entry', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/fhir/Patient?gender=male&birthdate=ge1970&family:exact=Smith&_include=Patient:organization&_sort=-birthdate&_explain=true' });
  t.equal(response.statusCode, 200);
  const bundle = json(response.body);
  t.same(bundle.entry.filter((e: any) => e.search.mode !== 'outcome').map((e: any) => `${e.search.mode} ${e.resource.resourceType}/${e.resource.id}`),
    ['match Patient/p1', 'include Organization/org'], 'the search still answers');
  const outcome = outcomeOf(bundle);
  t.ok(outcome, 'an outcome entry');
  const issues = outcome.resource.issue as any[];
  t.ok(issues.every((issue) => issue.severity === 'information' && issue.code === 'informational'), 'information only');
  const text = issues.map((issue) => issue.diagnostics).join('\n');
  t.match(text, /engine sqlite; Patient: 3 condition\(s\) ANDed; sort -birthdate; page size \d+; total accurate/);
  t.match(text, /Condition 1 \(request\): gender \(token\) = male/);
  t.match(text, /Condition 2 \(request\): birthdate \(date\) ge \[1970-01-01T00:00:00\.000Z, 1970-12-31T23:59:59\.999Z\]/);
  t.match(text, /Condition 3 \(request\): family \(string\) is exactly "Smith"/);
  t.match(text, /Timings: parse \d+\.\d\d ms, store search \d+\.\d\d ms, includes \d+\.\d\d ms \(1 included resource\(s\)\), total \d+\.\d\d ms/);
  t.same(issues[1].expression, ['gender'], 'a condition names its parameter');
});

t.test('_explain=true: chains, _has and compartment conditions are shown', async (t) => {
  const chain = json((await app.inject({ method: 'GET', url: '/fhir/Patient?organization.name=General&_explain=true' })).body);
  t.match(outcomeOf(chain).resource.issue[1].diagnostics, /organization -> Organization WHERE name \(string\) starts with "general"/);
  await put({ resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' } });
  const compartment = json((await app.inject({ method: 'GET', url: '/fhir/Patient/p1/Observation?_explain=true' })).body);
  t.equal(compartment.entry[0].resource.id, 'o1');
  t.match(outcomeOf(compartment).resource.issue.map((i: any) => i.diagnostics).join('\n'), /Condition 1 \(compartment\): .*Patient\/p1/);
});

t.test('without _explain there is no outcome entry; _explain must appear once', async (t) => {
  t.notOk(outcomeOf(json((await app.inject({ method: 'GET', url: '/fhir/Patient?gender=male' })).body)));
  t.notOk(outcomeOf(json((await app.inject({ method: 'GET', url: '/fhir/Patient?gender=male&_explain=false' })).body)));
  const twice = await app.inject({ method: 'GET', url: '/fhir/Patient?_explain=true&_explain=true' });
  t.equal(twice.statusCode, 400);
});
