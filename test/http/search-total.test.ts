/** _total (R4 search.html#total): none omits Bundle.total; estimate and accurate are answered with the exact count here. */
import t from 'tap';
import { createTestServer, FHIR_JSON, json } from './context.js';

const server = await createTestServer();
t.teardown(() => server.close());
for (const id of ['a', 'b', 'c']) {
  await server.app.inject({ method: 'PUT', url: `/fhir/Patient/${id}`, headers: { 'content-type': FHIR_JSON }, payload: { resourceType: 'Patient', id } });
}
t.test('R4 search.html#total: table', async (t) => {
  const cases: [string, number | undefined][] = [
    ['Patient?_count=1', 3], ['Patient?_count=1&_total=accurate', 3], ['Patient?_count=1&_total=estimate', 3],
    ['Patient?_count=1&_total=none', undefined], ['Patient?_summary=count&_total=none', 3],
  ];
  for (const [query, total] of cases) {
    const bundle = json((await server.app.inject({ method: 'GET', url: `/fhir/${query}` })).body);
    t.equal(bundle.total, total, query);
  }
  const bad = await server.app.inject({ method: 'GET', url: '/fhir/Patient?_total=some' });
  t.equal(bad.statusCode, 400);
});
