/** Content negotiation, body parsing and error mapping (R4 http.html#mime-type, #format, #summary table). */
import t from 'tap';
import { createTestServer, FHIR_JSON, firstIssue, json } from './context.js';

const server = await createTestServer({ bodyLimit: 4096 });
t.teardown(() => server.close());
const { app } = server;
await app.inject({ method: 'PUT', url: '/fhir/Patient/neg', headers: { 'content-type': FHIR_JSON }, payload: { resourceType: 'Patient', id: 'neg' } });

t.test('R4 http.html#mime-type and #format: response media type', async (t) => {
  const cases = [
    { name: 'no Accept', headers: {}, url: '/fhir/Patient/neg', status: 200, type: /^application\/fhir\+json/ },
    { name: 'Accept fhir+json', headers: { accept: 'application/fhir+json' }, url: '/fhir/Patient/neg', status: 200, type: /^application\/fhir\+json/ },
    { name: 'Accept json', headers: { accept: 'application/json' }, url: '/fhir/Patient/neg', status: 200, type: /^application\/json/ },
    { name: 'browser Accept', headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }, url: '/fhir/Patient/neg', status: 200, type: /^application\/fhir\+json/ },
    { name: '_format=json', headers: {}, url: '/fhir/Patient/neg?_format=json', status: 200, type: /^application\/fhir\+json/ },
    { name: '_format=application/json', headers: {}, url: '/fhir/Patient/neg?_format=application/json', status: 200, type: /^application\/json/ },
    { name: '_format=xml', headers: {}, url: '/fhir/Patient/neg?_format=xml', status: 406, type: /^application\/fhir\+json/ },
    { name: 'Accept XML only', headers: { accept: 'application/fhir+xml' }, url: '/fhir/Patient/neg', status: 406, type: /^application\/fhir\+json/ },
  ];
  for (const c of cases) {
    const response = await app.inject({ method: 'GET', url: c.url, headers: c.headers });
    t.equal(response.statusCode, c.status, c.name);
    t.match(response.headers['content-type'], c.type, `${c.name}: content type`);
    if (c.status === 406) t.equal(firstIssue(response.body).errorCode, 'not-acceptable');
  }
});

t.test('_pretty=true indents', async (t) => {
  const pretty = await app.inject({ method: 'GET', url: '/fhir/Patient/neg?_pretty=true' });
  t.match(pretty.body, /\n {2}"resourceType"/);
  const compact = await app.inject({ method: 'GET', url: '/fhir/Patient/neg' });
  t.notMatch(compact.body, /\n/);
});

t.test('request bodies: media types, malformed JSON, size limit', async (t) => {
  const cases = [
    { name: 'application/json accepted', type: 'application/json', payload: '{"resourceType":"Patient"}', status: 201 },
    { name: 'XML body', type: 'application/fhir+xml', payload: '<Patient xmlns="http://hl7.org/fhir"/>', status: 415, errorCode: 'invalid-content-type' },
    { name: 'text/plain body', type: 'text/plain', payload: 'hello', status: 415, errorCode: 'invalid-content-type' },
    { name: 'malformed JSON', type: FHIR_JSON, payload: '{"resourceType": "Patient",', status: 400, errorCode: 'invalid-json' },
    { name: 'JSON but not an object', type: FHIR_JSON, payload: '[1,2]', status: 400, errorCode: 'invalid-resource' },
    { name: 'empty body', type: FHIR_JSON, payload: '', status: 400, errorCode: 'invalid-resource' },
    { name: 'body over the limit', type: FHIR_JSON, payload: JSON.stringify({ resourceType: 'Patient', text: { status: 'generated', div: 'x'.repeat(5000) } }), status: 413, errorCode: 'payload-too-large' },
  ];
  for (const c of cases) {
    const response = await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': c.type }, payload: c.payload });
    t.equal(response.statusCode, c.status, c.name);
    t.match(response.headers['content-type'], /^application\/fhir\+json/, `${c.name}: answered in FHIR JSON`);
    if (c.errorCode) {
      t.equal(json(response.body).resourceType, 'OperationOutcome', `${c.name}: OperationOutcome`);
      t.equal(firstIssue(response.body).errorCode, c.errorCode, `${c.name}: error code`);
    }
  }
});

// RFC 9110 15.5.6: a method the target resource does not support (any method, also OPTIONS, TRACE, WebDAV's) is a 405 with Allow
t.test('R4 http.html: unknown types 404, unsupported methods 405 with Allow, unknown routes 404', async (t) => {
  const cases = [
    { name: 'unknown resource type', method: 'GET', url: '/fhir/Patients/1', status: 404, code: 'not-found' },
    { name: 'lower-case type', method: 'GET', url: '/fhir/patient', status: 404, code: 'not-found' },
    { name: 'POST on an instance', method: 'POST', url: '/fhir/Patient/neg', status: 405, allow: /GET/ },
    { name: 'DELETE history', method: 'DELETE', url: '/fhir/Patient/neg/_history', status: 405, allow: /^GET, HEAD$/ },
    { name: 'PUT metadata', method: 'PUT', url: '/fhir/metadata', status: 405, allow: /^GET, HEAD$/ },
    { name: 'OPTIONS on an instance', method: 'OPTIONS', url: '/fhir/Patient/neg', status: 405, allow: /^GET, PUT, DELETE, PATCH, HEAD$/ },
    { name: 'TRACE on an instance', method: 'TRACE', url: '/fhir/Patient/neg', status: 405, allow: /^GET, PUT, DELETE, PATCH, HEAD$/ },
    { name: 'PROPFIND (WebDAV) on an instance', method: 'PROPFIND', url: '/fhir/Patient/neg', status: 405, allow: /^GET, PUT, DELETE, PATCH, HEAD$/ },
    { name: 'OPTIONS on the type', method: 'OPTIONS', url: '/fhir/Patient', status: 405, allow: /^GET, POST, PUT, DELETE, PATCH, HEAD$/ },
    { name: 'OPTIONS on an unknown type', method: 'OPTIONS', url: '/fhir/Patients/1', status: 404, code: 'not-found' },
    { name: 'outside the base', method: 'GET', url: '/elsewhere', status: 404, code: 'not-found' },
    // an operation the server does not serve is named as one, not read as a type ("$bogus is not a resource type") or an id
    { name: 'unknown instance operation', method: 'GET', url: '/fhir/Patient/neg/$bogus', status: 404, code: 'not-supported' },
    { name: '$everything where it is not defined', method: 'GET', url: '/fhir/Observation/x/$everything', status: 404, code: 'not-supported' },
    { name: 'unknown type operation by POST', method: 'POST', url: '/fhir/Patient/$validate', status: 404, code: 'not-supported' },
  ];
  for (const c of cases) {
    const response = await app.inject({ method: c.method as 'GET', url: c.url, headers: { 'content-type': FHIR_JSON }, payload: c.method === 'GET' ? undefined : '{}' });
    t.equal(response.statusCode, c.status, c.name);
    t.equal(json(response.body).resourceType, 'OperationOutcome', `${c.name}: OperationOutcome`);
    if (c.code) t.equal(firstIssue(response.body).code, c.code, `${c.name}: issue code`);
    if (c.allow) {
      t.match(response.headers.allow, c.allow, `${c.name}: Allow`);
      t.equal(firstIssue(response.body).errorCode, 'method-not-allowed', `${c.name}: error code`);
    }
  }
});

t.test('RFC 9110 15.5.16: a form body where a resource is expected is a 415 (forms are for POST _search)', async (t) => {
  for (const [method, url] of [['POST', '/fhir/Patient'], ['PUT', '/fhir/Patient/neg'], ['POST', '/fhir']] as const) {
    const response = await app.inject({ method, url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=x' });
    t.equal(response.statusCode, 415, `${method} ${url}`);
    t.equal(firstIssue(response.body).errorCode, 'invalid-content-type', `${method} ${url}: error code`);
  }
  const search = await app.inject({ method: 'POST', url: '/fhir/Patient/_search', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '_id=neg' });
  t.equal(search.statusCode, 200, 'POST _search takes it');
  t.equal(json(search.body).total, 1);
});

t.test('RFC 9110 15.5.16: a body in a content coding (gzip) is a 415, not parsed as JSON nor ignored', async (t) => {
  const { gzipSync } = await import('node:zlib');
  const body = JSON.stringify({ resourceType: 'Patient', active: true });
  for (const payload of [gzipSync(body), Buffer.from(body)]) {
    const response = await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': FHIR_JSON, 'content-encoding': 'gzip' }, payload });
    t.equal(response.statusCode, 415);
    t.equal(firstIssue(response.body).errorCode, 'invalid-content-type');
  }
  const identity = await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': FHIR_JSON, 'content-encoding': 'identity' }, payload: body });
  t.equal(identity.statusCode, 201, 'identity is no coding');
});

t.test('json.html: a body that is not UTF-8 is a 400 saying so; UTF-8 text is read as sent', async (t) => {
  const invalid = Buffer.concat([Buffer.from('{"resourceType":"Patient","name":[{"family":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}]}')]);
  const refused = await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': FHIR_JSON }, payload: invalid });
  t.equal(refused.statusCode, 400);
  t.match(firstIssue(refused.body), { errorCode: 'invalid-json', diagnostics: /not valid UTF-8/ });
  const form = await app.inject({ method: 'POST', url: '/fhir/Patient/_search', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3d, 0xff]) });
  t.equal(form.statusCode, 400, 'a form body too');
  const accepted = await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': FHIR_JSON }, payload: Buffer.from(JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Müller-Łęcki 李' }] })) });
  t.equal(accepted.statusCode, 201);
  t.equal(json(accepted.body).name[0].family, 'Müller-Łęcki 李');
});

t.test('HEAD answers like GET without a body', async (t) => {
  const response = await app.inject({ method: 'HEAD', url: '/fhir/Patient/neg' });
  t.equal(response.statusCode, 200);
  t.equal(response.headers.etag, 'W/"1"');
  t.equal(response.body, '');
});
