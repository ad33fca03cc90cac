/**
 * R4 http.html#capabilities: `GET [base]/metadata{?mode=[mode]}` where mode is full (the default), normative
 * (the normative portions; CapabilityStatement is normative in R4, so all of it) or terminology (a
 * TerminologyCapabilities resource). R4 capabilitystatement-definitions.html#CapabilityStatement.patchFormat:
 * every patch format the server takes, which includes FHIRPath Patch as application/fhir+json.
 */
import t from 'tap';
import { createTestServer, firstIssue, json } from './context.js';
import { recorder, responseProblems } from './http-spec-support.js';

const server = await createTestServer();
t.teardown(() => server.close());
const http = recorder(server);

t.test('R4 http.html#capabilities: the mode parameter', async (t) => {
  const cases = [
    { name: 'no mode -> CapabilityStatement', query: '', status: 200, resourceType: 'CapabilityStatement' },
    { name: 'mode=full -> CapabilityStatement', query: '?mode=full', status: 200, resourceType: 'CapabilityStatement' },
    { name: 'mode=normative -> CapabilityStatement', query: '?mode=normative', status: 200, resourceType: 'CapabilityStatement' },
    { name: 'mode=terminology -> TerminologyCapabilities', query: '?mode=terminology', status: 200, resourceType: 'TerminologyCapabilities' },
    { name: 'mode=bogus -> 400 naming mode', query: '?mode=bogus', status: 400, resourceType: 'OperationOutcome' },
  ];
  for (const c of cases) {
    const response = await http.inject({ method: 'GET', url: `/fhir/metadata${c.query}` });
    t.equal(response.statusCode, c.status, c.name);
    const body = json(response.body);
    t.equal(body.resourceType, c.resourceType, `${c.name}: resourceType`);
    t.match(response.headers['content-type'], /^application\/fhir\+json; charset=utf-8$/, `${c.name}: content type`);
    if (c.status === 200) t.same(server.ctx.validator.validate(body).filter((i) => i.severity === 'error'), [], `${c.name}: valid R4`);
    if (c.resourceType === 'CapabilityStatement') t.equal(body.fhirVersion, '4.0.1', `${c.name}: fhirVersion`);
    if (c.resourceType === 'TerminologyCapabilities') {
      t.equal(body.kind, 'instance', 'tcp-1: kind instance carries implementation');
      t.ok(body.implementation?.url, 'implementation.url is the base');
    }
    if (c.status === 400) t.equal(firstIssue(response.body).errorCode, 'invalid-parameter');
  }
});

t.test('R4 CapabilityStatement.patchFormat lists JSON Patch and FHIRPath Patch (application/fhir+json)', async (t) => {
  const statement = json((await http.inject({ method: 'GET', url: '/fhir/metadata' })).body);
  t.ok(statement.patchFormat.includes('application/json-patch+json'), 'JSON Patch');
  t.ok(statement.patchFormat.includes('application/fhir+json'), 'FHIRPath Patch');
  const fhirPathPatch = await http.inject({
    method: 'PUT', url: '/fhir/Patient/cap-patch', headers: { 'content-type': 'application/fhir+json' },
    payload: { resourceType: 'Patient', id: 'cap-patch' },
  });
  t.equal(fhirPathPatch.statusCode, 201);
  const patched = await http.inject({
    method: 'PATCH', url: '/fhir/Patient/cap-patch', headers: { 'content-type': 'application/fhir+json' },
    payload: { resourceType: 'Parameters', parameter: [{ name: 'operation', part: [
      { name: 'type', valueCode: 'add' }, { name: 'path', valueString: 'Patient' }, { name: 'name', valueString: 'gender' }, { name: 'value', valueCode: 'female' },
    ] }] },
  });
  t.equal(patched.statusCode, 200, 'the advertised FHIRPath Patch format is served');
});

t.test('R4 search.html: the statement advertises only the search parameters search answers', async (t) => {
  const statement = json((await http.inject({ method: 'GET', url: '/fhir/metadata' })).body);
  const resources = statement.rest[0].resource as { type: string; searchParam?: { name: string; type: string }[] }[];
  const advertised = (type: string) => resources.find((resource) => resource.type === type)?.searchParam ?? [];
  for (const type of ['Patient', 'Location', 'Observation']) {
    const names = advertised(type).map((param) => param.name);
    for (const refused of ['_text', '_content', '_query', 'near']) t.notOk(names.includes(refused), `${type}: ${refused} (special, refused by search) is not advertised`);
  }
  const sample: Record<string, string> = { string: 'x', token: 'x', reference: 'Patient/x', date: '2020', number: '1', quantity: '1', uri: 'http://x' };
  for (const param of advertised('Patient')) {
    const response = await http.inject({ method: 'GET', url: `/fhir/Patient?${param.name}=${encodeURIComponent(sample[param.type]!)}` });
    t.equal(response.statusCode, 200, `Patient?${param.name} (${param.type}) is answered`);
  }
});

t.test('every OperationOutcome and Bundle returned here is valid R4', async (t) => {
  t.same(responseProblems(server, http.responses), []);
});
