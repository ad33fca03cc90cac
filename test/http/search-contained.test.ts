/**
 * _contained and _containedType (R4 search.html#contained): by default contained resources are not searched;
 * true = only contained, both = contained and plain; the container is returned unless _containedType=contained.
 */
import t from 'tap';
import { createTestServer, json } from './context.js';

const server = await createTestServer();
t.teardown(() => server.close());
const { app } = server;
const put = server.put;
const med = (id: string, code: string, form?: string) => ({
  resourceType: 'Medication', id, code: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code }] },
  ...(form ? { form: { coding: [{ system: 'http://snomed.info/sct', code: form }] } } : {}),
});
const request = (id: string, contained: Record<string, unknown>[]) => ({
  resourceType: 'MedicationRequest', id, status: 'active', intent: 'order', subject: { reference: 'Patient/p' },
  contained, medicationReference: { reference: `#${contained[0]!.id}` },
});
await put(med('plain', '111', 'tab'));
await put(request('mr1', [med('m1', '111', 'cap')]));
await put(request('mr2', [med('m2a', '222', 'tab'), med('m2b', '111', 'cap')]));
await put(request('mr3', [med('m3', '333')]));

const search = async (query: string) => {
  const response = await app.inject({ method: 'GET', url: `/fhir/${query}` });
  if (response.statusCode !== 200) return response.statusCode;
  return (json(response.body).entry ?? []).filter((e: any) => e.search.mode === 'match')
    .map((e: any) => `${e.resource.resourceType}/${e.resource.id}${e.fullUrl.includes('#') ? ' ' + e.fullUrl.replace('http://localhost:80/fhir/', '') : ''}`).sort();
};

t.test('R4 search.html#contained: table of _contained / _containedType', async (t) => {
  const cases: [string, string[] | number][] = [
    ['Medication?code=111', ['Medication/plain']],
    ['Medication?code=111&_contained=false', ['Medication/plain']],
    ['Medication?code=111&_contained=true', ['MedicationRequest/mr1', 'MedicationRequest/mr2']],
    ['Medication?code=111&_contained=both', ['Medication/plain', 'MedicationRequest/mr1', 'MedicationRequest/mr2']],
    ['Medication?code=111&_contained=true&_containedType=contained', ['Medication/m1 MedicationRequest/mr1#m1', 'Medication/m2b MedicationRequest/mr2#m2b']],
    ['Medication?code=111&_contained=both&_containedType=contained', ['Medication/m1 MedicationRequest/mr1#m1', 'Medication/m2b MedicationRequest/mr2#m2b', 'Medication/plain']],
    // both conditions must hold in one contained resource: mr2 holds 222+tab and 111+cap, never 111+tab
    ['Medication?code=111&form=tab&_contained=true', []],
    ['Medication?code=111&form=cap&_contained=true', ['MedicationRequest/mr1', 'MedicationRequest/mr2']],
    ['Medication?code=222,333&_contained=true', ['MedicationRequest/mr2', 'MedicationRequest/mr3']],
    ['Medication?_contained=true', ['MedicationRequest/mr1', 'MedicationRequest/mr2', 'MedicationRequest/mr3']],
    ['Medication?_id=m3&_contained=true&_containedType=contained', ['Medication/m3 MedicationRequest/mr3#m3']],
    ['Medication?code:missing=true&_contained=true', 400],
    ['Medication?_contained=maybe', 400],
  ];
  for (const [query, expected] of cases) t.same(await search(query), expected, query);
});

t.test('R4 search.html#contained: contained content never matches a normal search of the container type', async (t) => {
  t.same(await search('Medication?form=cap'), []);
  t.same(await search('Medication?_id=m1'), []);
});
