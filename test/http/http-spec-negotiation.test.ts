/**
 * R4 http.html#mime-type (Content Types and encodings) and #format: JSON is served as
 * application/fhir+json (application/json when only that is asked for), always UTF-8; `_format` overrides
 * Accept; a format the server cannot produce is a 406 and a body it cannot read a 415. R4 http.html#search:
 * the body of POST [base]/[type]/_search is application/x-www-form-urlencoded, so any other body is a 415.
 * RFC 7231 5.3.1/5.3.2: a media range with q=0 is "not acceptable". R4 http.html#version-parameter: the fhirVersion
 * parameter names the FHIR release ("4.0" for R4); a version the server does not serve is a 406 in Accept and a 415
 * in Content-Type. A `+` written unencoded in the query string arrives as a space (form encoding), so
 * `_format=application/fhir+json` must still mean application/fhir+json.
 */
import t from 'tap';
import { createTestServer, FHIR_JSON, firstIssue } from './context.js';
import { recorder, responseProblems } from './http-spec-support.js';

const server = await createTestServer();
t.teardown(() => server.close());
const http = recorder(server);
await http.inject({ method: 'PUT', url: '/fhir/Patient/neg-1', headers: { 'content-type': FHIR_JSON }, payload: { resourceType: 'Patient', id: 'neg-1' } });

t.test('R4 http.html#mime-type, #format: response media type from _format and Accept', async (t) => {
  const cases: Array<{ name: string; query?: string; accept?: string; status: number; type?: string }> = [
    { name: 'nothing asked -> fhir+json', status: 200, type: 'application/fhir+json; charset=utf-8' },
    { name: '_format=json', query: '_format=json', status: 200, type: 'application/fhir+json; charset=utf-8' },
    { name: '_format=application/json', query: '_format=application/json', status: 200, type: 'application/json; charset=utf-8' },
    { name: '_format wins over an XML Accept', query: '_format=json', accept: 'application/fhir+xml', status: 200, type: 'application/fhir+json; charset=utf-8' },
    { name: 'Accept application/json', accept: 'application/json', status: 200, type: 'application/json; charset=utf-8' },
    { name: 'Accept with fhirVersion parameter', accept: 'application/fhir+json; fhirVersion=4.0', status: 200, type: 'application/fhir+json; charset=utf-8' },
    { name: 'Accept with fhirVersion=4.0.1 (the R4 release number)', accept: 'application/fhir+json; fhirVersion=4.0.1', status: 200, type: 'application/fhir+json; charset=utf-8' },
    { name: 'Accept STU3 first, R4 acceptable', accept: 'application/fhir+json; fhirVersion=3.0, application/fhir+json; fhirVersion=4.0; q=0.5', status: 200, type: 'application/fhir+json; charset=utf-8' },
    { name: '_format=application/fhir+json unencoded (+ arrives as a space)', query: '_format=application/fhir+json', status: 200, type: 'application/fhir+json; charset=utf-8' },
    { name: '_format=application/json+fhir unencoded', query: '_format=application/json+fhir', status: 200, type: 'application/fhir+json; charset=utf-8' },
    { name: '_format=application/fhir%2Bjson encoded', query: '_format=application/fhir%2Bjson', status: 200, type: 'application/fhir+json; charset=utf-8' },
    { name: 'Accept */*', accept: '*/*', status: 200, type: 'application/fhir+json; charset=utf-8' },
    { name: 'Accept XML first, JSON acceptable', accept: 'application/fhir+xml, application/fhir+json;q=0.5', status: 200, type: 'application/fhir+json; charset=utf-8' },
    { name: '_format=xml -> 406', query: '_format=xml', status: 406 },
    { name: '_format=application/fhir+xml -> 406', query: '_format=application/fhir+xml', status: 406 },
    { name: '_format=ttl -> 406', query: '_format=ttl', status: 406 },
    { name: 'Accept XML only -> 406', accept: 'application/fhir+xml', status: 406 },
    { name: 'Accept JSON with q=0 only -> 406', accept: 'application/fhir+json;q=0', status: 406 },
    { name: 'Accept */* with q=0 -> 406', accept: '*/*;q=0', status: 406 },
    { name: 'Accept fhirVersion=3.0 (STU3) -> 406', accept: 'application/fhir+json; fhirVersion=3.0', status: 406 },
    { name: 'Accept fhirVersion=1.0 (DSTU2) on application/json -> 406', accept: 'application/json; fhirVersion=1.0', status: 406 },
    { name: 'Accept */* with fhirVersion=3.0 -> 406', accept: '*/*; fhirVersion=3.0', status: 406 },
    { name: '_format with fhirVersion=3.0 -> 406', query: '_format=application/fhir%2Bjson;fhirVersion=3.0', status: 406 },
  ];
  for (const c of cases) {
    const response = await http.inject({ method: 'GET', url: `/fhir/Patient/neg-1${c.query ? `?${c.query}` : ''}`, headers: c.accept ? { accept: c.accept } : {} });
    t.equal(response.statusCode, c.status, c.name);
    if (c.type) t.equal(response.headers['content-type'], c.type, `${c.name}: Content-Type`);
    else {
      t.equal(response.headers['content-type'], 'application/fhir+json; charset=utf-8', `${c.name}: the error is still FHIR JSON`);
      t.equal(firstIssue(response.body).errorCode, 'not-acceptable', `${c.name}: error code`);
    }
  }
});

t.test('R4 http.html#mime-type and #search: request bodies in a media type the interaction does not take are 415', async (t) => {
  const cases: Array<{ name: string; method?: 'POST' | 'PUT'; url: string; contentType?: string; payload?: string; status: number }> = [
    { name: 'create with an XML body', url: '/fhir/Patient', contentType: 'application/fhir+xml', payload: '<Patient xmlns="http://hl7.org/fhir"/>', status: 415 },
    { name: 'create with text/plain', url: '/fhir/Patient', contentType: 'text/plain', payload: '{}', status: 415 },
    { name: 'create with a fhirVersion parameter', url: '/fhir/Patient', contentType: 'application/fhir+json; fhirVersion=4.0', payload: '{"resourceType":"Patient"}', status: 201 },
    { name: 'create with fhirVersion=4.0.1', url: '/fhir/Patient', contentType: 'application/fhir+json; fhirVersion=4.0.1', payload: '{"resourceType":"Patient"}', status: 201 },
    { name: 'create with fhirVersion=3.0 (STU3) -> 415', url: '/fhir/Patient', contentType: 'application/fhir+json; fhirVersion=3.0', payload: '{"resourceType":"Patient"}', status: 415 },
    { name: 'create with fhirVersion=1.0 (DSTU2) -> 415', url: '/fhir/Patient', contentType: 'application/json+fhir;fhirVersion="1.0"', payload: '{"resourceType":"Patient"}', status: 415 },
    { name: 'update with fhirVersion=3.0 -> 415', method: 'PUT', url: '/fhir/Patient/neg-1', contentType: 'application/fhir+json; fhirVersion=3.0', payload: '{"resourceType":"Patient","id":"neg-1"}', status: 415 },
    { name: 'update with fhirVersion=4.0', method: 'PUT', url: '/fhir/Patient/neg-1', contentType: 'application/fhir+json; fhirVersion=4.0', payload: '{"resourceType":"Patient","id":"neg-1"}', status: 200 },
    { name: 'POST _search with a form body', url: '/fhir/Patient/_search', contentType: 'application/x-www-form-urlencoded', payload: '_id=neg-1', status: 200 },
    { name: 'POST _search without a body', url: '/fhir/Patient/_search', status: 200 },
    { name: 'POST _search with a JSON body -> 415', url: '/fhir/Patient/_search', contentType: FHIR_JSON, payload: '{"resourceType":"Parameters"}', status: 415 },
    { name: 'system POST _search with a JSON body -> 415', url: '/fhir/_search', contentType: FHIR_JSON, payload: '{"resourceType":"Parameters"}', status: 415 },
  ];
  for (const c of cases) {
    const response = await http.inject({ method: c.method ?? 'POST', url: c.url, headers: c.contentType ? { 'content-type': c.contentType } : {}, payload: c.payload });
    t.equal(response.statusCode, c.status, c.name);
    if (c.status === 415) t.equal(firstIssue(response.body).errorCode, 'invalid-content-type', `${c.name}: error code`);
  }
});

t.test('R4 http.html#general: _pretty=true indents, the media type stays', async (t) => {
  const response = await http.inject({ method: 'GET', url: '/fhir/Patient/neg-1?_pretty=true' });
  t.match(response.body, /\n {2}"resourceType"/);
  t.equal(response.headers['content-type'], 'application/fhir+json; charset=utf-8');
});

t.test('every OperationOutcome and Bundle returned here is valid R4', async (t) => {
  t.same(responseProblems(server, http.responses), []);
});
