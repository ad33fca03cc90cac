/**
 * :above / :below on canonical URLs (R4 search.html#uri "above/below", search.html#reference "canonical
 * references url|version"): version-less values stand for every version; versions form a hierarchy 1 > 1.2 > 1.2.3.
 */
import t from 'tap';
import { createTestServer, json } from './context.js';

const server = await createTestServer();
t.teardown(() => server.close());
const { app } = server;
const put = server.put;
const ids = async (url: string) => {
  const response = await app.inject({ method: 'GET', url: `/fhir/${url}` });
  if (response.statusCode !== 200) return response.statusCode;
  return (json(response.body).entry ?? []).map((e: any) => e.resource.id).sort();
};

const PD = 'http://acme.org/fhir/PlanDefinition/protocol';
const derived = (id: string, resource: string) => ({
  resourceType: 'PlanDefinition', id, status: 'draft', relatedArtifact: [{ type: 'derived-from', resource }],
});
await put(derived('v-none', PD));
await put(derived('v1', `${PD}|1`));
await put(derived('v12', `${PD}|1.2`));
await put(derived('v123', `${PD}|1.2.3`));
await put(derived('v2', `${PD}|2.0`));
await put(derived('child', `${PD}/sub`));
await put(derived('other', 'http://other.org/fhir/PlanDefinition/x|1.2'));
const CS = 'http://acme.org/fhir/PlanDefinition/care';
const capability = (id: string, instantiates: string) => ({
  resourceType: 'CarePlan', id, status: 'active', intent: 'plan', subject: { reference: 'Patient/p' }, instantiatesUri: [instantiates],
});
await put(capability('c-none', CS));
await put(capability('c12', `${CS}|1.2`));
await put(capability('c123', `${CS}|1.2.3`));
await put(capability('c3', `${CS}|3`));
await put(capability('c-child', `${CS}/child`));

t.test('R4 search.html#reference: :above / :below on a canonical reference parameter (PlanDefinition.derived-from)', async (t) => {
  const cases: [string, string[] | number][] = [
    [`derived-from=${PD}`, ['v-none', 'v1', 'v12', 'v123', 'v2']],
    [`derived-from=${PD}|1.2`, ['v12']],
    [`derived-from:below=${PD}`, ['child', 'v-none', 'v1', 'v12', 'v123', 'v2']],
    [`derived-from:below=${PD}|1.2`, ['v12', 'v123']],
    [`derived-from:below=${PD}|1`, ['v1', 'v12', 'v123']],
    [`derived-from:below=http://acme.org/fhir/`, ['child', 'v-none', 'v1', 'v12', 'v123', 'v2']],
    [`derived-from:above=${PD}/sub`, ['child', 'v-none', 'v1', 'v12', 'v123', 'v2']],
    [`derived-from:above=${PD}|1.2.3`, ['v-none', 'v1', 'v12', 'v123']],
    [`derived-from:above=${PD}|1.2`, ['v-none', 'v1', 'v12']],
    [`derived-from:below=${PD}|1.2,http://other.org/fhir/PlanDefinition/x`, ['other', 'v12', 'v123']],
    ['derived-from:below=PlanDefinition/1', 400],
  ];
  for (const [query, expected] of cases) t.same(await ids(`PlanDefinition?${query.replace(/\|/g, '%7C')}`), expected, query);
});

t.test('R4 search.html#uri: :above / :below on a uri parameter holding version-less and versioned canonicals (CarePlan.instantiates-uri)', async (t) => {
  const cases: [string, string[]][] = [
    [`instantiates-uri=${CS}`, ['c-none']],
    [`instantiates-uri=${CS}|1.2`, ['c12']],
    [`instantiates-uri:below=${CS}`, ['c-child', 'c-none', 'c12', 'c123', 'c3']],
    [`instantiates-uri:below=${CS}|1.2`, ['c12', 'c123']],
    ['instantiates-uri:below=http://acme.org/fhir/', ['c-child', 'c-none', 'c12', 'c123', 'c3']],
    [`instantiates-uri:above=${CS}/child`, ['c-child', 'c-none', 'c12', 'c123', 'c3']],
    [`instantiates-uri:above=${CS}|1.2.3`, ['c-none', 'c12', 'c123']],
    [`instantiates-uri:above=${CS}|3.1`, ['c-none', 'c3']],
  ];
  for (const [query, expected] of cases) t.same(await ids(`CarePlan?${query.replace(/\|/g, '%7C')}`), expected, query);
});
