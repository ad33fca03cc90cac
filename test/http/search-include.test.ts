/**
 * _include / _revinclude completeness (R4 search.html#include): :iterate to a fixed point (bounded, and the bound
 * is reported), *, Type:param:TargetType, versioned references (Type/id/_history/n includes that version),
 * duplicates within a page, the per-page cap reported as an OperationOutcome entry.
 */
import t from 'tap';
import { MAX_INCLUDE_ITERATIONS } from '../../src/response/includes.js';
import { search as searchInteraction } from '../../src/interactions/search.js';
import { createTestServer, FHIR_JSON, json, TEST_BASE } from './context.js';

const server = await createTestServer({ maxIncludes: 50 });
t.teardown(() => server.close());
const { app } = server;
const put = server.put;
const get = async (url: string) => json((await app.inject({ method: 'GET', url: `/fhir/${url}` })).body);
const summary = (bundle: any) => (bundle.entry ?? []).filter((e: any) => e.search.mode !== 'outcome')
  .map((e: any) => `${e.search.mode}:${e.resource.resourceType}/${e.resource.id}`);
const included = (bundle: any) => summary(bundle).filter((s: string) => s.startsWith('include:')).sort();
const outcome = (bundle: any) => bundle.entry?.find((e: any) => e.search.mode === 'outcome')?.resource;

// Organization chain root <- mid <- leaf, and a cycle a <-> b
await put({ resourceType: 'Organization', id: 'root', name: 'root' });
await put({ resourceType: 'Organization', id: 'mid', name: 'mid', partOf: { reference: 'Organization/root' } });
await put({ resourceType: 'Organization', id: 'leaf', name: 'leaf', partOf: { reference: 'Organization/mid' } });
await put({ resourceType: 'Organization', id: 'a', name: 'a', partOf: { reference: 'Organization/b' } });
await put({ resourceType: 'Organization', id: 'b', name: 'b', partOf: { reference: 'Organization/a' } });
// a chain longer than the iteration bound
const depth = MAX_INCLUDE_ITERATIONS + 3;
for (let n = 0; n <= depth; n++) {
  await put({ resourceType: 'Organization', id: `deep${n}`, name: `deep${n}`, ...(n > 0 ? { partOf: { reference: `Organization/deep${n - 1}` } } : {}) });
}
await put({ resourceType: 'Patient', id: 'p1', managingOrganization: { reference: 'Organization/leaf' } });
await put({ resourceType: 'Patient', id: 'pv', name: [{ family: 'First' }] });
await put({ resourceType: 'Patient', id: 'pv', name: [{ family: 'Second' }] });
await put({ resourceType: 'Practitioner', id: 'pr1' });
await put({ resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' }, performer: [{ reference: 'Practitioner/pr1' }, { reference: 'Patient/p1' }] });
await put({ resourceType: 'Observation', id: 'o2', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' } });
await put({ resourceType: 'Observation', id: 'ov', status: 'final', code: { text: 'v' }, subject: { reference: 'Patient/pv/_history/1' } });
await put({ resourceType: 'Encounter', id: 'e1', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p1' } });

t.test('R4 search.html#include: table of include forms', async (t) => {
  const cases: [string, string[]][] = [
    ['Patient?_id=p1&_include=Patient:organization&_include:iterate=Organization:partof',
      ['include:Organization/leaf', 'include:Organization/mid', 'include:Organization/root']],
    ['Organization?_id=a&_include:iterate=Organization:partof', ['include:Organization/b']],
    ['Observation?_id=o1&_include=Observation:performer:Practitioner', ['include:Practitioner/pr1']],
    ['Observation?_id=o1&_include=Observation:performer:Patient', ['include:Patient/p1']],
    ['Observation?_id=o1&_include=Observation:performer', ['include:Patient/p1', 'include:Practitioner/pr1']],
    ['Observation?_id=o1&_include=*', ['include:Patient/p1', 'include:Practitioner/pr1']],
    ['Observation?_id=o1&_include:iterate=*', ['include:Organization/leaf', 'include:Organization/mid', 'include:Organization/root', 'include:Patient/p1', 'include:Practitioner/pr1']],
    ['Patient?_id=p1&_revinclude=*', ['include:Encounter/e1', 'include:Observation/o1', 'include:Observation/o2']],
    ['Patient?_id=p1&_revinclude=Observation:performer', ['include:Observation/o1']],
    ['Observation?code:text=x&_include=Observation:subject', ['include:Patient/p1']],
  ];
  for (const [query, expected] of cases) t.same(included(await get(query)), expected, query);
});

t.test('R4 search.html#include: a versioned reference includes that version', async (t) => {
  const bundle = await get('Observation?_id=ov&_include=Observation:subject');
  const patient = bundle.entry.find((e: any) => e.resource.resourceType === 'Patient');
  t.equal(patient?.resource.meta.versionId, '1');
  t.equal(patient?.resource.name[0].family, 'First');
  t.equal(patient?.search.mode, 'include');
});

t.test('R4 search.html#include: each page carries its own includes, once each', async (t) => {
  const first = await get('Observation?code:text=x&_count=1&_sort=_id&_include=Observation:subject');
  t.same(summary(first), ['match:Observation/o1', 'include:Patient/p1']);
  const next = first.link.find((l: any) => l.relation === 'next').url.replace('http://localhost:80/fhir/', '');
  t.same(summary(await get(next)), ['match:Observation/o2', 'include:Patient/p1']);
  const both = await get('Observation?code:text=x&_include=Observation:subject&_include=Observation:performer');
  t.equal(included(both).length, 2, 'Patient/p1 is included once although three references lead to it');
});

t.test('R4 search.html#include: :iterate stops at a bound and says so', async (t) => {
  const bundle = await get(`Organization?_id=deep${depth}&_include:iterate=Organization:partof`);
  t.equal(included(bundle).length, MAX_INCLUDE_ITERATIONS);
  t.match(outcome(bundle)?.issue?.[0], { severity: 'warning', code: 'too-costly', diagnostics: new RegExp(`${MAX_INCLUDE_ITERATIONS} rounds`) });
  const complete = await get(`Organization?_id=deep${MAX_INCLUDE_ITERATIONS}&_include:iterate=Organization:partof`);
  t.equal(included(complete).length, MAX_INCLUDE_ITERATIONS);
  t.notOk(outcome(complete), 'a chain that ends within the bound is complete: no warning');
});

t.test('R4 search.html#include: the maxIncludes cap is reported as an OperationOutcome entry', async (t) => {
  const small = await createTestServer({ maxIncludes: 1 });
  t.teardown(() => small.close());
  const putSmall = (resource: Record<string, unknown>) =>
    small.app.inject({ method: 'PUT', url: `/fhir/${resource.resourceType}/${resource.id}`, headers: { 'content-type': FHIR_JSON }, payload: resource });
  await putSmall({ resourceType: 'Practitioner', id: 'pr1' });
  await putSmall({ resourceType: 'Patient', id: 'p1' });
  await putSmall({ resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' }, performer: [{ reference: 'Practitioner/pr1' }] });
  const bundle = json((await small.app.inject({ method: 'GET', url: '/fhir/Observation?_include=*' })).body);
  t.equal(included(bundle).length, 1);
  t.match(outcome(bundle)?.issue?.[0], { severity: 'warning', code: 'too-costly', diagnostics: /limit of 1 included/ });
});

t.test('R4 search.html#include: an included resource is the resource as read, and _summary shapes it too', async (t) => {
  const read = async (url: string) => (await app.inject({ method: 'GET', url: `/fhir/${url}` })).body;
  for (const query of ['Observation?_id=o1&_include=Observation:subject', 'Observation?_id=o1&_include=Observation:subject&_elements=status']) {
    const entry = (await get(query)).entry.find((e: any) => e.search.mode === 'include');
    t.same(entry.resource, json(await read('Patient/p1')), query);
    t.equal(entry.fullUrl, 'http://localhost:80/fhir/Patient/p1');
  }
  const versioned = (await get('Observation?_id=ov&_include=Observation:subject')).entry.find((e: any) => e.search.mode === 'include');
  t.same(versioned.resource, json(await read('Patient/pv/_history/1')), 'a versioned reference: that version as vread gives it');
  const summarized = (await get('Observation?_id=o1&_include=Observation:subject&_summary=true')).entry.find((e: any) => e.search.mode === 'include');
  t.ok(summarized.resource.meta.tag?.some((tag: any) => tag.code === 'SUBSETTED'), '_summary=true: the included resource is summarized (marked subsetted)');
  const iterated = await get('Patient?_id=p1&_include=Patient:organization&_include:iterate=Organization:partof');
  t.same(included(iterated), ['include:Organization/leaf', 'include:Organization/mid', 'include:Organization/root'], ':iterate follows included text versions');
});

// Access rules (SMART scopes, InteractionRequest.accessConditions) hold for included resources as for matches: one the
// client may not read is left out, as read answers it as unknown (search.html#include returns what the client may see).
t.test('included and revincluded resources are held to the access conditions', async (t) => {
  const searchAs = async (query: Record<string, string[]>, visible: string[]) => {
    const result = await searchInteraction(server.ctx, {
      baseUrl: TEST_BASE, method: 'GET', resourceType: 'Observation', query, headers: {}, prefer: {},
      accessConditions: [{ kind: 'id', ids: visible }],
    });
    return JSON.parse(JSON.stringify(result.body));
  };
  const forward = await searchAs({ _id: ['o1'], _include: ['Observation:performer'] }, ['o1', 'p1']);
  t.same(included(forward), ['include:Patient/p1'], 'Practitioner/pr1 is outside the rules');
  t.same(included(await searchAs({ _id: ['o1'], _include: ['Observation:performer'] }, ['o1', 'p1', 'pr1'])),
    ['include:Patient/p1', 'include:Practitioner/pr1'], 'within them it is included');
  const reverse = await searchAs({ _id: ['o1'], _revinclude: ['Observation:has-member'] }, ['o1']);
  t.same(included(reverse), [], 'nothing to revinclude');
  const patients = await searchInteraction(server.ctx, {
    baseUrl: TEST_BASE, method: 'GET', resourceType: 'Patient', query: { _id: ['p1'], _revinclude: ['Observation:subject'] }, headers: {}, prefer: {},
    accessConditions: [{ kind: 'id', ids: ['p1', 'o2'] }],
  });
  t.same(included(JSON.parse(JSON.stringify(patients.body))), ['include:Observation/o2'], 'o1 is outside the rules');
});
