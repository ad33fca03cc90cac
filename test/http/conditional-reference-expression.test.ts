// Where a conditional reference that does not resolve is (R4 http.html#trules, bundle.html#references), over HTTP
// (buildApp + inject): the OperationOutcome issue's expression names the element holding it as R4
// OperationOutcome.issue.expression asks ("simple FHIRPath": element names, with an index where the element repeats),
// `Observation.subject` for a resource written on its own and `Bundle.entry[3].resource.subject` for a Bundle entry.
// A batch entry is processed as if it were sent alone (http.html#transaction), so it fails with the same status and
// codes as the same request sent alone; a transaction fails as a whole (400 transaction-failed, 412 multiple-matches).
// Every case asserts status, issue code, error code and expression exactly, and that nothing was stored.
import t from 'tap';
import { createTestServer, type TestServer } from './context.js';

let server: TestServer;
t.before(async () => { server = await createTestServer(); });
t.teardown(() => server.close());

const FHIR_JSON = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' };
const SYSTEM = 'urn:test:conditional-reference-expression';
const ONE = `Patient?identifier=${SYSTEM}|one`;

async function send(method: 'POST' | 'PUT' | 'PATCH', url: string, body: unknown, contentType = FHIR_JSON['content-type']) {
  const response = await server.app.inject({ method, url: `/fhir/${url}`, headers: { ...FHIR_JSON, 'content-type': contentType }, payload: JSON.stringify(body) });
  return { status: response.statusCode, body: JSON.parse(response.body) };
}
const errorCode = (outcome: any) => outcome.issue[0].details.coding.find((c: any) => c.system === 'urn:hospital-fhir:error-code')?.code;
const outcomeOf = (status: number, outcome: any) => ({
  status, severity: outcome.issue[0].severity, issue: outcome.issue[0].code, code: errorCode(outcome), expression: outcome.issue[0].expression,
});
async function storedWith(marker: string): Promise<number> {
  const response = await server.app.inject({ method: 'GET', url: `/fhir/_history?_count=1000`, headers: { accept: 'application/fhir+json' } });
  return (JSON.parse(response.body).entry ?? []).filter((e: any) => JSON.stringify(e.resource ?? {}).includes(marker)).length;
}

t.before(async () => {
  for (const [resourceType, value] of [['Patient', 'one'], ['Patient', 'twin'], ['Patient', 'twin'], ['Practitioner', 'twin'], ['Practitioner', 'twin'],
    ['Encounter', 'twin'], ['Encounter', 'twin']] as const) {
    const extra = resourceType === 'Encounter' ? { status: 'finished', class: { code: 'AMB' } } : {};
    const created = await send('POST', resourceType, { resourceType, identifier: [{ system: SYSTEM, value }], ...extra });
    if (created.status !== 201) throw new Error(`seeding a ${resourceType}: ${created.status}`);
  }
});

/** none: matches nothing; several: matches two stored resources */
const failing = { none: (type: string) => `${type}?identifier=${SYSTEM}|nobody`, several: (type: string) => `${type}?identifier=${SYSTEM}|twin` };
type Failure = keyof typeof failing;

interface Case {
  name: string;
  /** the resource, holding `bad` (the reference that fails) and maybe others that resolve; `marker` finds it in the store */
  resource: (bad: (type: string) => string, marker: string) => Record<string, unknown>;
  /** the elements the issue names, below the resource */
  elements: string[];
}

const claim = (bad: (type: string) => string, marker: string) => ({
  resourceType: 'Claim', status: 'active', use: 'claim', created: '2024-05-01', identifier: [{ system: SYSTEM, value: marker }],
  type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'institutional' }] },
  patient: { reference: ONE }, provider: { reference: 'Organization/any' }, priority: { coding: [{ code: 'normal' }] },
  insurance: [{ sequence: 1, focal: true, coverage: { reference: 'Coverage/any' } }],
  item: [{ sequence: 1, productOrService: { text: 'room' }, encounter: [{ reference: bad('Encounter') }] }],
});
const observation = (marker: string, elements: Record<string, unknown>) => ({
  resourceType: 'Observation', status: 'final', code: { text: marker }, ...elements,
});

const CASES: Case[] = [
  { name: 'a single element', elements: ['subject'], resource: (bad, marker) => observation(marker, { subject: { reference: bad('Patient') } }) },
  { name: 'the second of a repeating element, the first resolving', elements: ['performer[1]'],
    resource: (bad, marker) => observation(marker, { performer: [{ reference: ONE }, { reference: bad('Practitioner') }] }) },
  { name: 'the first of a repeating element', elements: ['generalPractitioner[0]'],
    resource: (bad, marker) => ({ resourceType: 'Patient', identifier: [{ system: SYSTEM, value: marker }], generalPractitioner: [{ reference: bad('Practitioner') }] }) },
  { name: 'an element inside a repeating backbone element', elements: ['item[0].encounter[0]'], resource: claim },
  { name: 'the same reference in two elements: both named', elements: ['subject', 'focus[1]'],
    resource: (bad, marker) => observation(marker, { subject: { reference: bad('Patient') }, focus: [{ reference: ONE }, { reference: bad('Patient') }] }) },
  { name: 'an element of a contained resource', elements: ['contained[0].subject'],
    resource: (bad, marker) => observation(marker, { contained: [{ resourceType: 'Specimen', id: 'sp', subject: { reference: bad('Patient') } }], specimen: { reference: '#sp' } }) },
  { name: 'an extension value (named as in JSON, as validation names elements)', elements: ['extension[0].valueReference'],
    resource: (bad, marker) => observation(marker, { extension: [{ url: 'http://example.org/ext', valueReference: { reference: bad('Patient') } }] }) },
];

/** status, issue code and error code per way of sending, for none and several matches */
const EXPECTED: Record<'alone' | 'batch' | 'transaction', Record<Failure, { status: number; issue: string; code: string }>> = {
  alone: { none: { status: 400, issue: 'not-found', code: 'invalid-resource' }, several: { status: 412, issue: 'multiple-matches', code: 'multiple-matches' } },
  // http.html#transaction: a batch entry is processed as if sent alone
  batch: { none: { status: 400, issue: 'not-found', code: 'invalid-resource' }, several: { status: 412, issue: 'multiple-matches', code: 'multiple-matches' } },
  transaction: { none: { status: 400, issue: 'not-found', code: 'transaction-failed' }, several: { status: 412, issue: 'multiple-matches', code: 'multiple-matches' } },
};

/** three entries that write fine before the failing one, so it is Bundle.entry[3] */
const filler = (marker: string) => [0, 1, 2].map((n) => ({ request: { method: 'POST', url: 'Basic' }, resource: { resourceType: 'Basic', code: { text: `${marker}-${n}` } } }));

for (const failure of ['none', 'several'] as const) {
  for (const testCase of CASES) {
    t.test(`${failure} matches, ${testCase.name}: the issue names ${testCase.elements.join(', ')}`, async (t) => {
      const marker = `cre-${failure}-${CASES.indexOf(testCase)}`;
      const resource = testCase.resource(failing[failure], marker);
      const type = resource.resourceType as string;

      // alone: create, update, conditional update (http.html#create, #update, #cond-update)
      for (const [method, url, body] of [
        ['POST', type, resource], ['PUT', `${type}/${marker}`, { ...resource, id: marker }], ['PUT', `${type}?identifier=${SYSTEM}|${marker}`, resource],
      ] as const) {
        const result = await send(method, url, body);
        t.same(outcomeOf(result.status, result.body), { ...EXPECTED.alone[failure], severity: 'error', expression: testCase.elements.map((e) => `${type}.${e}`) }, `${method} ${url}`);
      }

      const entries = [...filler(marker), { request: { method: 'POST', url: type }, resource }];
      const expression = testCase.elements.map((e) => `Bundle.entry[3].resource.${e}`);
      const batch = await send('POST', '', { resourceType: 'Bundle', type: 'batch', entry: entries });
      t.equal(batch.status, 200);
      t.same(batch.body.entry.slice(0, 3).map((e: any) => e.response.status), ['201 Created', '201 Created', '201 Created'], 'batch: the other entries are written');
      const entry = batch.body.entry[3].response;
      t.same(outcomeOf(Number.parseInt(entry.status, 10), entry.outcome), { ...EXPECTED.batch[failure], severity: 'error', expression }, 'batch entry');

      const transaction = await send('POST', '', { resourceType: 'Bundle', type: 'transaction', entry: entries.map((e, n) => n < 3 ? { ...e, resource: { ...e.resource, code: { text: `${marker}-tx-${n}` } } } : e) });
      t.same(outcomeOf(transaction.status, transaction.body), { ...EXPECTED.transaction[failure], severity: 'error', expression }, 'transaction');
      t.equal(await storedWith(`${marker}-tx-`), 0, 'the transaction stored nothing');
      t.equal(await storedWith(`"${marker}"`), 0, 'the resource holding the reference was stored by none of the requests');
    });
  }
}

// http.html#transaction: a batch entry gets what the same request sent alone gets, whatever the failure
const KINDS: { name: string; reference: string; status: number; issue: string; code: string }[] = [
  { name: 'no match', reference: `Patient?identifier=${SYSTEM}|nobody`, status: 400, issue: 'not-found', code: 'invalid-resource' },
  { name: 'two matches', reference: `Patient?identifier=${SYSTEM}|twin`, status: 412, issue: 'multiple-matches', code: 'multiple-matches' },
  { name: 'an unknown search parameter', reference: 'Patient?no-such-parameter=1', status: 400, issue: 'value', code: 'invalid-resource' },
  { name: 'an unknown resource type', reference: 'Nonsense?identifier=x', status: 400, issue: 'value', code: 'invalid-resource' },
];

for (const kind of KINDS) {
  t.test(`a batch entry whose conditional reference has ${kind.name} fails as the request sent alone does`, async (t) => {
    const resource = observation(`kind-${kind.code}`, { subject: { reference: kind.reference } });
    const alone = await send('POST', 'Observation', resource);
    const expected = { status: kind.status, severity: 'error', issue: kind.issue, code: kind.code };
    t.same(outcomeOf(alone.status, alone.body), { ...expected, expression: ['Observation.subject'] }, 'alone');
    const batch = await send('POST', '', { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'POST', url: 'Observation' }, resource }] });
    t.equal(batch.status, 200);
    const entry = batch.body.entry[0].response;
    t.same(outcomeOf(Number.parseInt(entry.status, 10), entry.outcome), { ...expected, expression: ['Bundle.entry[0].resource.subject'] }, 'batch entry');
    t.match(entry.outcome.issue[0].diagnostics, /^Bundle\.entry\[0\]: The conditional reference /, 'the diagnostics name the entry');
  });
}

t.test('patch: a conditional reference the patch adds names its element in the patched resource (http.html#patch: 422)', async (t) => {
  const target = (await send('POST', 'Observation', observation('cre-patch', { subject: { reference: ONE } }))).body.id;
  const cases: { value: string; status: number; issue: string; code: string }[] = [
    { value: failing.none('Practitioner'), status: 422, issue: 'not-found', code: 'unprocessable-resource' },
    { value: failing.several('Practitioner'), status: 412, issue: 'multiple-matches', code: 'multiple-matches' },
  ];
  for (const { value, ...expected } of cases) {
    const result = await send('PATCH', `Observation/${target}`, [{ op: 'add', path: '/performer', value: [{ reference: ONE }, { reference: value }] }], 'application/json-patch+json');
    t.same(outcomeOf(result.status, result.body), { ...expected, severity: 'error', expression: ['Observation.performer[1]'] }, value);
  }
});
