// R4 http.html#trules (processing order, reference rewriting) and bundle.html#references.
import t from 'tap';
import { rewriteReferences, referencesToSettle, fullUrlBase } from '../../src/interactions/bundle-references.js';
import { parseEntry, processingOrder, bundleEntries } from '../../src/interactions/bundle-entries.js';
import { FhirError } from '../../src/fhir/errors.js';
import { loadConfig } from '../../src/config.js';
import type { Resource } from '../../src/fhir/types.js';

const base = 'http://127.0.0.1:8080/fhir';

t.test('references to fullUrls become Type/id (http.html#trules)', async (t) => {
  const fullUrls = new Map([
    ['urn:uuid:aaaa', 'Patient/1'],
    ['urn:oid:1.2.3', 'Organization/2'],
    ['http://other.example/fhir/Practitioner/abc', 'Practitioner/3'],
  ]);
  const observation: Resource = {
    resourceType: 'Observation',
    id: 'urn:uuid:aaaa',
    subject: { reference: 'urn:uuid:aaaa' },
    performer: [{ reference: 'urn:oid:1.2.3' }, { reference: 'Practitioner/abc' }, { reference: '#contained' }],
    focus: [{ reference: 'urn:uuid:aaaa/_history/1' }],
    identifier: [{ system: 'urn:ietf:rfc:3986', value: 'urn:uuid:aaaa' }],
    derivedFrom: [{ reference: 'Encounter?identifier=x|1' }],
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><a href="urn:uuid:aaaa">p</a><img src="urn:oid:1.2.3"/></div>' },
    extension: [{ url: 'http://example.org/ext', valueUri: 'urn:uuid:aaaa' }],
    component: [{ valueAttachment: { url: 'urn:oid:1.2.3' } }],
  };
  t.same([...referencesToSettle(observation).conditional], [['Encounter?identifier=x|1', ['derivedFrom[0]']]], 'conditional references are collected, with where they are');
  rewriteReferences(observation, { fullUrls, conditional: new Map([['Encounter?identifier=x|1', 'Encounter/9']]), entryBase: 'http://other.example/fhir' });
  const o = observation as any;
  t.equal(o.subject.reference, 'Patient/1', 'urn:uuid reference');
  t.equal(o.performer[0].reference, 'Organization/2', 'urn:oid reference');
  t.equal(o.performer[1].reference, 'Practitioner/3', 'relative reference against an absolute fullUrl base');
  t.equal(o.performer[2].reference, '#contained', 'contained references are left alone');
  t.equal(o.focus[0].reference, 'Patient/1/_history/1', 'versioned reference keeps the version');
  t.equal(o.identifier[0].value, 'urn:uuid:aaaa', 'an identifier value is not a link');
  t.equal(o.id, 'urn:uuid:aaaa', 'ids are not rewritten here');
  t.equal(o.derivedFrom[0].reference, 'Encounter/9', 'conditional reference resolved');
  t.match(o.text.div, /href="Patient\/1".*src="Organization\/2"/, 'narrative links');
  t.equal(o.extension[0].valueUri, 'Patient/1', 'uri elements');
  t.equal(o.component[0].valueAttachment.url, 'Organization/2', 'attachment url');
  t.equal(fullUrlBase('http://x.org/fhir/Patient/1'), 'http://x.org/fhir');
  t.equal(fullUrlBase('urn:uuid:1'), undefined);
});

t.test('entry parsing', async (t) => {
  const patient = { resourceType: 'Patient' };
  const ok = [
    { request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=a|1' }, resource: patient, expect: { method: 'POST', resourceType: 'Patient', ifNoneExist: 'identifier=a|1' } },
    { request: { method: 'PUT', url: 'Patient/12' }, resource: { ...patient, id: '12' }, expect: { resourceType: 'Patient', id: '12' } },
    { request: { method: 'PUT', url: 'Patient?identifier=a|1' }, resource: patient, expect: { hasQuery: true, query: { identifier: ['a|1'] } } },
    { request: { method: 'GET', url: `${base}/Patient/1/_history/2` }, expect: { id: '1', versionId: '2' } },
    { request: { method: 'GET', url: 'Patient/1/$everything?_count=5' }, expect: { id: '1', operation: '$everything', query: { _count: ['5'] } } },
    { request: { method: 'DELETE', url: 'Patient?name=x&name=y' }, expect: { query: { name: ['x', 'y'] } } },
  ];
  ok.forEach((entry, index) => t.match(parseEntry(entry, index, base), entry.expect, `${entry.request.method} ${entry.request.url}`));
  const bad: [unknown, string, string][] = [
    [{ resource: patient }, 'invalid-bundle', 'Bundle.entry[0].request'],
    [{ request: { method: 'FETCH', url: 'Patient' } }, 'invalid-bundle', 'Bundle.entry[0].request.method'],
    [{ request: { method: 'POST', url: 'Patient' } }, 'invalid-bundle', 'Bundle.entry[0].resource'],
    [{ request: { method: 'POST', url: 'Observation' }, resource: patient }, 'resource-type-mismatch', 'Bundle.entry[0].resource'],
    [{ request: { method: 'PUT', url: 'Patient' }, resource: patient }, 'invalid-bundle', 'Bundle.entry[0].request.url'],
    [{ request: { method: 'PUT', url: 'Patient/1' }, resource: { resourceType: 'Patient', id: '2' } }, 'id-mismatch', 'Bundle.entry[0].resource.id'],
    [{ request: { method: 'PUT', url: 'Patient/1' }, resource: patient }, 'missing-id', 'Bundle.entry[0].resource.id'],
    [{ request: { method: 'GET', url: 'http://elsewhere.org/Patient/1' } }, 'invalid-bundle', 'Bundle.entry[0].request.url'],
  ];
  for (const [entry, code, expression] of bad) {
    try {
      parseEntry(entry, 0, base);
      t.fail(`${JSON.stringify(entry)} should be rejected`);
    } catch (error) {
      t.ok(error instanceof FhirError);
      t.same([(error as FhirError).code, (error as FhirError).issues[0].expression], [code, [expression]], JSON.stringify(entry));
    }
  }
});

t.test('processing order DELETE, POST, PUT/PATCH, GET (http.html#trules)', async (t) => {
  const methods = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'POST', 'DELETE', 'HEAD'] as const;
  const ordered = processingOrder(methods.map((method, index) => ({ method, index })));
  t.same(ordered.map((e) => `${e.method}${e.index}`), ['DELETE3', 'DELETE6', 'POST2', 'POST5', 'PUT1', 'PATCH4', 'GET0', 'HEAD7']);
});

t.test('Bundle envelope', async (t) => {
  const config = { ...loadConfig({}), maxBundleEntries: 2 };
  const cases: [unknown, string | null, number?][] = [
    [{ resourceType: 'Patient' }, 'invalid-bundle', 400],
    [{ resourceType: 'Bundle', type: 'collection', entry: [] }, 'invalid-bundle', 400],
    [{ resourceType: 'Bundle', type: 'transaction', entry: [{}, {}, {}] }, 'payload-too-large', 413],
    [{ resourceType: 'Bundle', type: 'transaction', entry: [{}, {}] }, null],
    [{ resourceType: 'Bundle', type: 'batch' }, null],
  ];
  for (const [body, code, status] of cases) {
    try {
      bundleEntries(body, ['transaction', 'batch'], config);
      t.equal(code, null, JSON.stringify(body).slice(0, 60));
    } catch (error) {
      t.same([(error as FhirError).code, (error as FhirError).status], [code, status], JSON.stringify(body).slice(0, 60));
    }
  }
});
