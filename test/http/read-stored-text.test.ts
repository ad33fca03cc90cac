// read and vread (R4 http.html#read, #vread) answer the JSON text the store holds when nothing shapes the resource
// (src/interactions/read.ts storedResult): the body must be what the parsed resource serialises to, _pretty,
// _summary and _elements (search.html#summary, #elements) must still shape it, and whoever reads the result's
// body gives up the text, so a change made to the resource is what gets sent.
import t, { type Test } from 'tap';
import { read } from '../../src/interactions/read.js';
import type { InteractionRequest } from '../../src/interactions/types.js';
import { createStore } from '../../src/storage/create-store.js';
import { testSchema } from '../storage/postgres-schema.js';
import { createTestServer } from './context.js';

const FHIR_JSON = 'application/fhir+json';

const patient = {
  resourceType: 'Patient', id: 'stored-text', active: true, gender: 'female',
  name: [{ family: 'Ünïcødé "quoted"', given: ['Ann', 'B'] }],
  text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Ann</div>' },
  birthDate: '1970-01-02',
};

t.test('read and vread over HTTP', async (t) => {
  const server = await createTestServer();
  t.teardown(() => server.close());
  await server.put(patient);
  const stored = JSON.parse((await server.app.inject({ method: 'GET', url: '/fhir/Patient/stored-text' })).body);

  const cases: { name: string; url: string; check: (body: string, t: Test) => void }[] = [
    { name: 'read sends the stored resource, compact', url: '/fhir/Patient/stored-text', check: (body, t) => t.equal(body, JSON.stringify(stored)) },
    { name: 'vread sends the stored version, compact', url: '/fhir/Patient/stored-text/_history/1', check: (body, t) => t.equal(body, JSON.stringify(stored)) },
    { name: '_pretty=true indents it (http.html#parameters)', url: '/fhir/Patient/stored-text?_pretty=true', check: (body, t) => t.equal(body, JSON.stringify(stored, null, 2)) },
    {
      name: '_summary=true keeps the summary elements (search.html#summary)',
      url: '/fhir/Patient/stored-text?_summary=true',
      check: (body, t) => {
        const resource = JSON.parse(body);
        t.notOk(resource.text, 'text is not a summary element');
        t.equal(resource.gender, 'female');
      },
    },
    {
      name: '_elements=gender keeps that element and the mandatory ones (search.html#elements)',
      url: '/fhir/Patient/stored-text/_history/1?_elements=gender',
      check: (body, t) => {
        const resource = JSON.parse(body);
        t.equal(resource.gender, 'female');
        t.notOk(resource.name);
      },
    },
  ];
  for (const { name, url, check } of cases) {
    t.test(name, async (t) => {
      const response = await server.app.inject({ method: 'GET', url, headers: { accept: FHIR_JSON } });
      t.equal(response.statusCode, 200);
      t.equal(response.headers['content-type'], `${FHIR_JSON}; charset=utf-8`);
      t.equal(response.headers.etag, 'W/"1"');
      t.ok(response.headers['last-modified']);
      check(response.body, t);
    });
  }

  t.test('Accept: application/json is answered in that media type (http.html#mime-type)', async (t) => {
    const response = await server.app.inject({ method: 'GET', url: '/fhir/Patient/stored-text', headers: { accept: 'application/json' } });
    t.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    t.equal(response.body, JSON.stringify(stored));
  });

  t.test('If-None-Match with the current ETag is a 304 without a body (http.html#cread)', async (t) => {
    const response = await server.app.inject({ method: 'GET', url: '/fhir/Patient/stored-text', headers: { 'if-none-match': 'W/"1"' } });
    t.equal(response.statusCode, 304);
    t.equal(response.body, '');
  });

  t.test('a batch GET entry carries the resource (http.html#transaction)', async (t) => {
    const response = await server.app.inject({
      method: 'POST', url: '/fhir', headers: { 'content-type': FHIR_JSON },
      payload: { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Patient/stored-text' } }] },
    });
    const entry = JSON.parse(response.body).entry[0];
    t.equal(entry.response.status, '200 OK');
    t.same(entry.resource, stored);
  });

  t.test('reading the result body gives up the stored text, so a change to it is what gets sent', async (t) => {
    const request: InteractionRequest = { baseUrl: 'http://localhost/fhir', method: 'GET', resourceType: 'Patient', id: 'stored-text', query: {}, headers: {}, prefer: {} };
    const untouched = await read(server.ctx, request);
    t.equal(untouched.bodyText, JSON.stringify(stored), 'unread: the stored text');
    const changed = await read(server.ctx, request);
    (changed.body as { gender?: string }).gender = 'other';
    t.equal(changed.bodyText, undefined, 'read: no stored text any more');
    t.equal((changed.body as { gender?: string }).gender, 'other');
  });
});

const postgresUrl = process.env.FHIR_TEST_POSTGRES_URL;
t.test('PostgreSQL: a read carries its content as the text written, as SQLite does (schema 4 stores text, not JSONB)', { skip: postgresUrl ? false : 'FHIR_TEST_POSTGRES_URL is not set' }, async (t) => {
  const schema = testSchema(postgresUrl!, 'read_text');
  const store = await createStore({ store: schema.url(), dataDir: '/nonexistent' });
  t.teardown(async () => {
    await store.close();
    await schema.drop();
  });
  const resource = { ...patient, meta: { versionId: '1', lastUpdated: '2024-01-01T00:00:00.000Z' } };
  await store.write({ resourceType: 'Patient', id: patient.id, versionId: 1, lastUpdated: resource.meta.lastUpdated, method: 'PUT', resource, expectedPreviousVersion: 0 });
  const version = await store.read('Patient', patient.id);
  t.equal(version?.json, JSON.stringify(resource), 'key order and spacing as written');
  t.same(JSON.parse(version!.json!), resource);
  t.same(version!.resource, resource);
});
