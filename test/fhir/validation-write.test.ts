// Validation on write, end to end: an invalid body is a 400 OperationOutcome naming the element, and nothing is stored.
import t from 'tap';
import { createTestServer, FHIR_JSON, json } from '../http/context.js';
import { MAX_NESTING_DEPTH } from '../../src/fhir/validation-fhir-json.js';
import { patientNested } from './fhir-json-cases.js';

const server = await createTestServer();
t.teardown(() => server.close());

const post = (resourceType: string, payload: string | Record<string, unknown>) =>
  server.app.inject({ method: 'POST', url: `/fhir/${resourceType}`, headers: { 'content-type': FHIR_JSON }, payload });

async function storedCount(resourceType: string): Promise<number> {
  const response = await server.app.inject({ method: 'GET', url: `/fhir/${resourceType}?_summary=count` });
  return json(response.body).total as number;
}

/** the reviewer's body, as text: JSON.stringify itself overflows the stack on an object this deep */
const nested3000Extensions = `{"resourceType":"Patient","extension":[${'{"url":"x","extension":['.repeat(2999)}{"url":"x","valueString":"v"}${']}'.repeat(2999)}]}`;
/** deeper than the reference walk and structuredClone go, with a conditional reference to settle before validation */
const nested20000WithConditionalReference = `{"resourceType":"Patient","managingOrganization":{"reference":"Organization?name=x"},"extension":[${'{"url":"x","extension":['.repeat(19999)}{"url":"x","valueString":"v"}${']}'.repeat(19999)}]}`;

function nestingDepth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, nestingDepth(child));
  return 1 + deepest;
}

interface RejectedCase { spec: string; resourceType: string; body: string | Record<string, unknown>; expression: string | RegExp; diagnostics: RegExp }

const observation = { resourceType: 'Observation', status: 'final', code: { text: 'x' } };
const rejected: RejectedCase[] = [
  { spec: 'server limit: nesting depth (3000 nested extensions used to overflow the stack: 500)', resourceType: 'Patient', body: nested3000Extensions, expression: /^Patient(\.extension\[0\]){64}$/, diagnostics: /nests deeper than 128/ },
  { spec: 'server limit: nesting depth, 20,000 levels and a conditional reference (the reference walk overflowed: 500)', resourceType: 'Patient', body: nested20000WithConditionalReference, expression: /^Patient(\.extension\[0\]){64}$/, diagnostics: /nests deeper than 128/ },
  { spec: 'datatypes.html#decimal: 1e400 is no finite number (JSON.parse gives Infinity)', resourceType: 'Observation', body: '{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1e400}}', expression: 'Observation.valueQuantity.value', diagnostics: /finite/ },
  { spec: 'datatypes.html#date: 2000-02-30 is no calendar date', resourceType: 'Patient', body: { resourceType: 'Patient', birthDate: '2000-02-30' }, expression: 'Patient.birthDate', diagnostics: /February 2000 has 29 days/ },
  { spec: 'datatypes.html#dateTime: 2021-02-31T10:00:00Z is no calendar date', resourceType: 'Observation', body: { ...observation, effectiveDateTime: '2021-02-31T10:00:00Z' }, expression: 'Observation.effectiveDateTime', diagnostics: /February 2021 has 28 days/ },
  { spec: 'datatypes.html#integer: a whole number', resourceType: 'Patient', body: { resourceType: 'Patient', multipleBirthInteger: 1.5 }, expression: 'Patient.multipleBirthInteger', diagnostics: /must be an integer/ },
  { spec: 'datatypes.html#integer: 32-bit range', resourceType: 'Patient', body: { resourceType: 'Patient', multipleBirthInteger: 9999999999 }, expression: 'Patient.multipleBirthInteger', diagnostics: /greater than 2147483647/ },
  { spec: 'datatypes.html#unsignedInt: >= 0', resourceType: 'Patient', body: { resourceType: 'Patient', photo: [{ size: -1 }] }, expression: 'Patient.photo[0].size', diagnostics: /unsignedInt/ },
  { spec: 'datatypes.html#positiveInt: >= 1', resourceType: 'Appointment', body: { resourceType: 'Appointment', status: 'booked', participant: [{ status: 'accepted', actor: { display: 'x' } }], minutesDuration: 0 }, expression: 'Appointment.minutesDuration', diagnostics: /positiveInt/ },
  { spec: 'formats.html#choice: one variant of deceased[x]', resourceType: 'Patient', body: { resourceType: 'Patient', deceasedBoolean: true, deceasedDateTime: '2020-01-01' }, expression: 'Patient.deceasedDateTime', diagnostics: /deceased\[x\].*only one/ },
  { spec: 'formats.html#choice: one variant of value[x]', resourceType: 'Observation', body: { ...observation, valueString: 'a', valueInteger: 1 }, expression: 'Observation.valueInteger', diagnostics: /value\[x\].*only one/ },
  { spec: 'json.html: null only pads primitive arrays', resourceType: 'Patient', body: { resourceType: 'Patient', name: [null] }, expression: 'Patient.name[0]', diagnostics: /must be an object, found null/ },
  { spec: 'json.html / ele-1: objects are never empty', resourceType: 'Patient', body: { resourceType: 'Patient', name: [{}] }, expression: 'Patient.name[0]', diagnostics: /ele-1/ },
  { spec: 'json.html / ele-1: objects are never empty (identifier)', resourceType: 'Patient', body: { resourceType: 'Patient', identifier: [{}] }, expression: 'Patient.identifier[0]', diagnostics: /ele-1/ },
  { spec: 'json.html: arrays are never empty', resourceType: 'Patient', body: { resourceType: 'Patient', name: [] }, expression: 'Patient.name', diagnostics: /empty array/ },
  { spec: 'json.html#primitive: a null without its _given entry', resourceType: 'Patient', body: { resourceType: 'Patient', name: [{ given: ['a', null] }] }, expression: 'Patient.name[0].given[1]', diagnostics: /null/ },
  { spec: 'datatypes.html#string: U+0000 is no XML character', resourceType: 'Patient', body: { resourceType: 'Patient', name: [{ family: 'Nul\u0000l' }] }, expression: 'Patient.name[0].family', diagnostics: /control characters/ },
];

t.test('invalid bodies: 400 OperationOutcome naming the element, nothing stored', async (t) => {
  for (const testCase of rejected) {
    const before = await storedCount(testCase.resourceType);
    const response = await post(testCase.resourceType, testCase.body);
    t.equal(response.statusCode, 400, `${testCase.spec}: 400 (${response.body.slice(0, 300)})`);
    const outcome = json(response.body);
    t.equal(outcome.resourceType, 'OperationOutcome', testCase.spec);
    t.match(outcome.issue?.[0], { severity: 'error', diagnostics: testCase.diagnostics }, testCase.spec);
    if (typeof testCase.expression === 'string') t.same(outcome.issue?.[0]?.expression, [testCase.expression], testCase.spec);
    else t.match(outcome.issue?.[0]?.expression?.[0], testCase.expression, testCase.spec);
    t.equal(await storedCount(testCase.resourceType), before, `${testCase.spec}: nothing stored`);
  }
});

t.test('nesting depth: the deepest resource allowed is written, read back and searched; one level more is refused', async (t) => {
  const deepest = patientNested(MAX_NESTING_DEPTH);
  t.equal(nestingDepth(deepest), MAX_NESTING_DEPTH);
  t.equal(nestingDepth(patientNested(MAX_NESTING_DEPTH + 1)), MAX_NESTING_DEPTH + 1);
  const created = await post('Patient', deepest);
  t.equal(created.statusCode, 201, created.body.slice(0, 300));
  const id = json(created.body).id as string;
  const read = await server.app.inject({ method: 'GET', url: `/fhir/Patient/${id}` });
  t.equal(read.statusCode, 200);
  t.equal(nestingDepth(json(read.body)), MAX_NESTING_DEPTH);
  const searched = await server.app.inject({ method: 'GET', url: `/fhir/Patient?_id=${id}` });
  t.equal(json(searched.body).total, 1);
  const tooDeep = await post('Patient', patientNested(MAX_NESTING_DEPTH + 1));
  t.equal(tooDeep.statusCode, 400);
  t.match(json(tooDeep.body).issue[0], { code: 'too-costly', diagnostics: /nests deeper than 128/ });
});

t.test('json.html#primitive: null pads a repeating primitive where the _ array has an entry, and the reverse', async (t) => {
  const extension = { extension: [{ url: 'http://example.org/why', valueString: 'unknown' }] };
  const padded = { resourceType: 'Patient', name: [{ given: ['a', null], _given: [null, extension] }] };
  const created = await post('Patient', padded);
  t.equal(created.statusCode, 201, created.body.slice(0, 300));
  t.same(json(created.body).name, padded.name, 'stored as sent');
  // ele-1: an element with only an id has neither a value nor children (Element.id is not counted)
  const idOnly = await post('Patient', { resourceType: 'Patient', name: [{ given: ['a', null], _given: [null, { id: 'x' }] }] });
  t.equal(idOnly.statusCode, 400);
  t.match(json(idOnly.body).issue[0], { expression: ['Patient.name[0].given[1]'], diagnostics: /ele-1/ });
});
