/**
 * Search values the R4 examples round trip found wrong (R4 search.html#reference, #number, #quantity, #token):
 * each case stores a resource over HTTP and searches for it with the value it carries.
 */
import t from 'tap';
import { createTestServer, FHIR_JSON, firstIssue, json } from './context.js';

const server = await createTestServer();
t.teardown(() => server.close());
const { app } = server;
const put = async (resource: Record<string, unknown>) => {
  const response = await app.inject({ method: 'PUT', url: `/fhir/${resource.resourceType}/${resource.id}`, headers: { 'content-type': FHIR_JSON }, payload: resource });
  if (response.statusCode >= 300) throw new Error(`PUT ${String(resource.resourceType)}/${String(resource.id)}: ${response.body}`);
};
const ids = async (url: string): Promise<string[]> => {
  const response = await app.inject({ method: 'GET', url });
  if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
  return (json(response.body).entry ?? []).filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id).sort();
};

await put({ resourceType: 'Observation', id: 'perf-enc', status: 'final', code: { text: 'x' }, performer: [{ reference: 'Encounter/example' }] });
await put({ resourceType: 'Library', id: 'helpers', status: 'active', type: { coding: [{ code: 'logic-library' }] }, relatedArtifact: [{ type: 'predecessor', resource: 'library-helpers-predecessor' }] });
await put({ resourceType: 'Library', id: 'by-id', status: 'active', type: { coding: [{ code: 'logic-library' }] }, relatedArtifact: [{ type: 'predecessor', resource: 'Library/library-helpers-predecessor' }] });
await put({
  resourceType: 'Observation', id: 'height', status: 'final', code: { text: 'height' },
  valueQuantity: { value: 66.89999999999999, unit: 'in', system: 'http://unitsofmeasure.org', code: '[in_i]' },
});
for (const [id, gender] of [['m1', 'male'], ['m2', 'male'], ['f1', 'female']]) await put({ resourceType: 'Patient', id, gender });
await put({ resourceType: 'Observation', id: 'height-2', status: 'final', code: { text: 'height' }, valueQuantity: { value: 66.9, system: 'http://unitsofmeasure.org', code: '[in_i]' } });

t.test('R4 search.html#reference: a typed value outside the declared targets finds what is stored', async (t) => {
  t.same(await ids('/fhir/Observation?performer=Encounter/example'), ['perf-enc'], 'Encounter is not a declared target of performer');
  const unknown = await app.inject({ method: 'GET', url: '/fhir/Observation?performer=Encountr/example' });
  t.equal(unknown.statusCode, 400, 'an unknown resource type is refused');
  t.match(firstIssue(unknown.body), { errorCode: 'invalid-search-value', diagnostics: /Encountr is not a resource type/ });
});

t.test('R4 search.html#reference: a bare value matches an id and a relative canonical stored as is', async (t) => {
  t.same(await ids('/fhir/Library?predecessor=library-helpers-predecessor'), ['by-id', 'helpers']);
  t.same(await ids('/fhir/Library?predecessor=Library/library-helpers-predecessor'), ['by-id'], 'a typed value is a local reference only');
});

t.test('R4 search.html#quantity: eq keeps the precision range of the decimal text', async (t) => {
  t.same(await ids('/fhir/Observation?value-quantity=66.89999999999999|http://unitsofmeasure.org|[in_i]'), ['height']);
  t.same(await ids('/fhir/Observation?combo-value-quantity=66.89999999999999|http://unitsofmeasure.org|[in_i]'), ['height']);
  t.same(await ids('/fhir/Observation?value-quantity=66.9|http://unitsofmeasure.org|[in_i]'), ['height', 'height-2'], '66.9 stands for [66.85, 66.95)');
});

t.test('R4 search.html#token: a code element has the system of its required binding', async (t) => {
  const cases: [string, string[]][] = [
    ['/fhir/Patient?gender=http://hl7.org/fhir/administrative-gender|male', ['m1', 'm2']],
    ['/fhir/Patient?gender=male', ['m1', 'm2']],
    ['/fhir/Patient?gender=http://hl7.org/fhir/administrative-gender|', ['f1', 'm1', 'm2']],
    ['/fhir/Patient?gender=http://example.org/other|male', []],
    ['/fhir/Patient?gender:not=http://hl7.org/fhir/administrative-gender|male', ['f1']],
    ['/fhir/Patient?gender:in=http://hl7.org/fhir/ValueSet/administrative-gender', ['f1', 'm1', 'm2']],
    ['/fhir/Observation?status=http://hl7.org/fhir/observation-status|final&_id=height', ['height']],
  ];
  for (const [url, expected] of cases) t.same(await ids(url), expected, url);
});
