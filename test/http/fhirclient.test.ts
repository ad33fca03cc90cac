/**
 * A third-party client against a real listening server: fhirclient's Node entry (smart(req, res).client(serverUrl),
 * docs.smarthealthit.org/client-js/node) doing create, read, update and search (R4 http.html#create, #read, #update, #search).
 */
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import t from 'tap';
import { createTestServer } from './context.js';

const require = createRequire(import.meta.url);
const smart = require('fhirclient') as (request: http.IncomingMessage, response: http.ServerResponse) => { client(serverUrl: string): any };

const server = await createTestServer();
t.teardown(() => server.close());
await server.app.listen({ host: '127.0.0.1', port: 0 });
const address = server.app.server.address();
const serverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/fhir`;

// the Node adapter wants the request/response pair of the app's own route; a detached pair is enough for a client
const request = new http.IncomingMessage(new net.Socket());
const client = smart(request, new http.ServerResponse(request)).client(serverUrl);

t.test('fhirclient create, read, update, search', async (t) => {
  const created = await client.create({ resourceType: 'Patient', name: [{ family: 'Fhirclient', given: ['Ada'] }] });
  t.equal(created.resourceType, 'Patient');
  t.ok(created.id, 'server-assigned id');
  t.equal(created.meta.versionId, '1');

  const read = await client.request(`Patient/${created.id}`);
  t.same(read, created, 'read returns what create returned');

  const updated = await client.update({ ...read, gender: 'female' });
  t.equal(updated.meta.versionId, '2');
  t.equal(updated.gender, 'female');

  const bundle = await client.request('Patient?family=Fhirclient');
  t.equal(bundle.resourceType, 'Bundle');
  t.equal(bundle.type, 'searchset');
  t.same(bundle.entry.map((entry: any) => entry.resource.id), [created.id]);

  const patients = await client.request('Patient?family=Fhirclient', { flat: true, pageLimit: 0 });
  t.equal(patients.length, 1, 'flat paging through the searchset');

  await t.rejects(client.request('Patient/unknown-id'), /404|not known/i, 'a 404 surfaces as an error');
});
