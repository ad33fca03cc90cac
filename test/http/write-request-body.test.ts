/** create and update leave the request's body as it came (the interactions copy what they change). */
import t from 'tap';
import { create } from '../../src/interactions/create.js';
import { update } from '../../src/interactions/update.js';
import type { InteractionRequest } from '../../src/interactions/types.js';
import { createTestServer } from './context.js';

const server = await createTestServer();
t.teardown(() => server.close());

const request = (body: unknown, id?: string): InteractionRequest => ({
  baseUrl: 'http://localhost/fhir', method: id ? 'PUT' : 'POST', resourceType: 'Patient', id, query: {}, headers: {}, body, prefer: { return: 'representation' },
} as InteractionRequest);

t.test('create: the body keeps its id and gets no meta; the stored resource shares nothing it changes', async (t) => {
  const body = { resourceType: 'Patient', id: 'from-client', name: [{ family: 'Body', given: ['Kept'] }] };
  const snapshot = JSON.parse(JSON.stringify(body));
  const result = await create(server.ctx, request(body));
  t.equal(result.status, 201);
  t.same(body, snapshot, 'the request body is unchanged');
  t.not((result.body as { id: string }).id, 'from-client');
  t.ok((result.body as { meta?: unknown }).meta);
});

t.test('update: the body gets no meta', async (t) => {
  const body = { resourceType: 'Patient', id: 'body-update', meta: { tag: [{ code: 'x' }] }, name: [{ family: 'Body' }] };
  const snapshot = JSON.parse(JSON.stringify(body));
  const result = await update(server.ctx, request(body, 'body-update'));
  t.equal(result.status, 201);
  t.same(body, snapshot, 'the request body is unchanged');
  t.match(result.body, { meta: { versionId: '1', tag: [{ code: 'x' }] } });
});
