/** Search over HTTP: searchset Bundles, paging, lenient handling, _summary, _elements, includes (R4 search.html). */
import t from 'tap';
import { createTestServer, FHIR_JSON, firstIssue, json } from './context.js';

const server = await createTestServer({ maxIncludes: 2, maxCount: 50 });
t.teardown(() => server.close());
const { app } = server;
const put = (resource: Record<string, unknown>) =>
  app.inject({ method: 'PUT', url: `/fhir/${resource.resourceType}/${resource.id}`, headers: { 'content-type': FHIR_JSON }, payload: resource });

await put({ resourceType: 'Organization', id: 'org1', name: 'General Hospital' });
for (let index = 1; index <= 5; index++) {
  await put({ resourceType: 'Patient', id: `p${index}`, name: [{ family: index <= 3 ? 'Smith' : 'Jones' }], gender: 'female', managingOrganization: { reference: 'Organization/org1' }, text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">p</div>' } });
  await put({ resourceType: 'Observation', id: `o${index}`, status: 'final', code: { text: 'weight' }, subject: { reference: `Patient/p${index}` } });
}

t.test('R4 search.html#bundle: searchset with match entries, fullUrl, total and self link', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/fhir/Patient?family=Smith' });
  t.equal(response.statusCode, 200);
  t.match(response.headers['content-type'], /^application\/fhir\+json/);
  const bundle = json(response.body);
  t.equal(bundle.type, 'searchset');
  t.equal(bundle.total, 3);
  t.equal(bundle.entry.length, 3);
  for (const entry of bundle.entry) {
    t.equal(entry.search.mode, 'match');
    t.equal(entry.fullUrl, `http://localhost:80/fhir/Patient/${entry.resource.id}`);
  }
  t.match(bundle.link.find((link: any) => link.relation === 'self').url, /^http:\/\/localhost:80\/fhir\/Patient\?family=Smith/);
});

t.test('R4 http.html#search: POST _search with a form body equals GET', async (t) => {
  const response = await app.inject({ method: 'POST', url: '/fhir/Patient/_search', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'family=Jones' });
  t.equal(response.statusCode, 200);
  t.equal(json(response.body).total, 2);
});

t.test('R4 search.html#Paging: next links carry an opaque cursor and walk every match once', async (t) => {
  const seen: string[] = [];
  let url: string | undefined = '/fhir/Patient?_count=2&_sort=_id';
  let pages = 0;
  while (url && pages < 10) {
    const bundle = json((await app.inject({ method: 'GET', url })).body);
    for (const entry of bundle.entry ?? []) seen.push(entry.resource.id);
    const next = bundle.link.find((link: any) => link.relation === 'next')?.url as string | undefined;
    if (next) t.match(next, /_cursor=/);
    url = next?.replace('http://localhost:80', '');
    pages++;
  }
  t.same(seen, ['p1', 'p2', 'p3', 'p4', 'p5']);
  t.equal(pages, 3);
  const bad = await app.inject({ method: 'GET', url: '/fhir/Patient?_cursor=%%%' });
  t.equal(bad.statusCode, 400);
});

t.test('R4 search.html#errors: unknown parameters 400 unless Prefer: handling=lenient', async (t) => {
  const strict = await app.inject({ method: 'GET', url: '/fhir/Patient?nmae=Smith' });
  t.equal(strict.statusCode, 400);
  t.match(firstIssue(strict.body).diagnostics, /nmae/);
  const lenient = await app.inject({ method: 'GET', url: '/fhir/Patient?nmae=Smith&family=Smith', headers: { prefer: 'handling=lenient' } });
  t.equal(lenient.statusCode, 200);
  const bundle = json(lenient.body);
  const outcome = bundle.entry.find((entry: any) => entry.search.mode === 'outcome');
  t.ok(outcome, 'an outcome entry');
  t.match(outcome.resource.issue[0].diagnostics, /nmae/);
  t.notMatch(bundle.link[0].url, /nmae/, 'self link leaves out the ignored parameter');
});

t.test('R4 search.html#summary: _summary count, true, data, text; _elements', async (t) => {
  const count = json((await app.inject({ method: 'GET', url: '/fhir/Patient?_summary=count' })).body);
  t.equal(count.total, 5);
  t.notOk(count.entry, 'no entries for count');
  const summary = json((await app.inject({ method: 'GET', url: '/fhir/Patient?_id=p1&_summary=true' })).body).entry[0].resource;
  t.notOk(summary.text, '_summary=true drops text');
  t.ok(summary.name, 'keeps summary elements');
  t.ok(summary.meta.tag.some((tag: any) => tag.code === 'SUBSETTED'), 'SUBSETTED tag');
  const data = json((await app.inject({ method: 'GET', url: '/fhir/Patient?_id=p1&_summary=data' })).body).entry[0].resource;
  t.notOk(data.text);
  t.ok(data.managingOrganization);
  const text = json((await app.inject({ method: 'GET', url: '/fhir/Patient?_id=p1&_summary=text' })).body).entry[0].resource;
  t.ok(text.text);
  t.notOk(text.name);
  const elements = json((await app.inject({ method: 'GET', url: '/fhir/Patient?_id=p1&_elements=gender' })).body).entry[0].resource;
  t.same(Object.keys(elements).sort(), ['gender', 'id', 'meta', 'resourceType']);
});

t.test('R4 search.html#include: _include and _revinclude, capped at maxIncludes and said so', async (t) => {
  const included = json((await app.inject({ method: 'GET', url: '/fhir/Observation?_id=o1&_include=Observation:subject' })).body);
  t.same(included.entry.map((entry: any) => `${entry.search.mode}:${entry.resource.resourceType}/${entry.resource.id}`), ['match:Observation/o1', 'include:Patient/p1']);
  const iterate = json((await app.inject({ method: 'GET', url: '/fhir/Observation?_id=o1&_include=Observation:subject&_include:iterate=Patient:organization' })).body);
  t.ok(iterate.entry.some((entry: any) => entry.resource.id === 'org1' && entry.search.mode === 'include'), ':iterate follows Patient.managingOrganization');
  const reverse = json((await app.inject({ method: 'GET', url: '/fhir/Patient?_id=p2&_revinclude=Observation:subject' })).body);
  t.ok(reverse.entry.some((entry: any) => entry.resource.id === 'o2' && entry.search.mode === 'include'));
  const capped = json((await app.inject({ method: 'GET', url: '/fhir/Patient?_revinclude=Observation:subject' })).body);
  t.equal(capped.entry.filter((entry: any) => entry.search.mode === 'include').length, 2, 'at most maxIncludes');
  const outcome = capped.entry.find((entry: any) => entry.search.mode === 'outcome');
  t.match(outcome?.resource.issue[0].diagnostics, /limit of 2/);
});

t.test('R4 http.html#search: system search and compartment search', async (t) => {
  const system = json((await app.inject({ method: 'GET', url: '/fhir?_id=p1,o1' })).body);
  t.same(system.entry.map((entry: any) => entry.resource.resourceType).sort(), ['Observation', 'Patient']);
  const compartment = json((await app.inject({ method: 'GET', url: '/fhir/Patient/p3/Observation' })).body);
  t.same(compartment.entry.map((entry: any) => entry.resource.id), ['o3']);
  t.match(compartment.link[0].url, /\/fhir\/Patient\/p3\/Observation/);
});
