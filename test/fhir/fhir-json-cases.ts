/**
 * Test support (not a test): resources on either side of the R4 JSON rules validation-fhir-json.ts adds, shared by
 * validation.test.ts (issue code, expression, sentence) and validation-acceptor.test.ts (acceptor and ajv agree).
 */
import { MAX_NESTING_DEPTH } from '../../src/fhir/validation-fhir-json.js';

export interface InvalidCase {
  spec: string;
  resource: Record<string, unknown>;
  code: string;
  expression: string;
  diagnostics: RegExp;
}

export interface ValidCase { spec: string; resource: Record<string, unknown> }

const observation = { resourceType: 'Observation', status: 'final', code: { text: 'x' } };
const patient = (content: Record<string, unknown>) => ({ resourceType: 'Patient', ...content });
const because = { extension: [{ url: 'http://example.org/why', valueString: 'unknown' }] };

/** a Patient nesting `depth` levels of objects and arrays (the resource is level 1): extensions within extensions */
export function patientNested(depth: number): Record<string, unknown> {
  const url = 'http://example.org/nested';
  // extension objects sit at levels 3, 5, 7...; an even depth ends in a Coding one level below the last
  let extension: Record<string, unknown> = depth % 2 === 0 ? { url, valueCoding: { code: 'x' } } : { url, valueString: 'deepest' };
  for (let level = 5; level <= depth; level += 2) extension = { url, extension: [extension] };
  return patient({ extension: [extension] });
}

const deepestPath = (depth: number) => `Patient${'.extension[0]'.repeat((depth - 1) / 2)}`;

export const FHIR_JSON_VALID: ValidCase[] = [
  { spec: 'datatypes.html#date: 29 February of a leap year', resource: patient({ birthDate: '2000-02-29' }) },
  { spec: 'datatypes.html#date: 29 February 2024', resource: patient({ birthDate: '2024-02-29' }) },
  { spec: 'datatypes.html#date: year and month only', resource: patient({ birthDate: '2023-02' }) },
  { spec: 'datatypes.html#dateTime: a leap second (the regex allows 60)', resource: { ...observation, effectiveDateTime: '2016-12-31T23:59:60Z' } },
  { spec: 'datatypes.html#dateTime: offsets reach +14:00', resource: { ...observation, effectiveDateTime: '2021-01-31T10:00:00+14:00' } },
  { spec: 'datatypes.html#instant: 31 December', resource: { ...observation, issued: '2021-12-31T23:59:59.999-12:00' } },
  { spec: 'datatypes.html#integer: the smallest', resource: patient({ multipleBirthInteger: -2147483648 }) },
  { spec: 'datatypes.html#integer: the largest', resource: patient({ multipleBirthInteger: 2147483647 }) },
  { spec: 'datatypes.html#unsignedInt: 0', resource: patient({ photo: [{ size: 0 }] }) },
  { spec: 'datatypes.html#positiveInt: 1', resource: { resourceType: 'Appointment', status: 'booked', participant: [{ status: 'accepted', actor: { display: 'x' } }], minutesDuration: 1 } },
  { spec: 'datatypes.html#decimal: 1e308 is finite', resource: { ...observation, valueQuantity: { value: 1e308 } } },
  { spec: 'formats.html#choice: a variant and its own _ twin', resource: { ...observation, valueString: 'a', _valueString: because } },
  { spec: 'formats.html#choice: two different choice elements', resource: { ...observation, valueString: 'a', effectiveDateTime: '2021-01-01' } },
  { spec: 'json.html#primitive: value and _ arrays padded with null', resource: patient({ name: [{ given: ['a', null, 'c'], _given: [null, because, { id: 'g3' }] }] }) },
  { spec: 'json.html#primitive: only the _ array', resource: patient({ name: [{ _given: [because] }] }) },
  { spec: 'json.html#primitive: an id beside a value', resource: patient({ birthDate: '1970-03-30', _birthDate: { id: '314159' } }) },
  { spec: 'json.html#primitive: a coded repeating primitive padded with null', resource: { resourceType: 'AllergyIntolerance', patient: { display: 'x' }, category: ['food', null], _category: [null, because] } },
  { spec: 'datatypes.html#string: tab, CR, LF, U+0085 and U+00A0 are characters of a string', resource: patient({ name: [{ text: 'a\tb\r\nc\u0085d\u00a0e' }] }) },
  { spec: 'datatypes.html#string: characters beyond the BMP', resource: patient({ name: [{ text: 'smile \u{1F600}' }] }) },
  { spec: `server limit: ${MAX_NESTING_DEPTH} levels of nesting`, resource: patientNested(MAX_NESTING_DEPTH) },
  { spec: `server limit: ${MAX_NESTING_DEPTH - 1} levels of nesting`, resource: patientNested(MAX_NESTING_DEPTH - 1) },
];

export const FHIR_JSON_INVALID: InvalidCase[] = [
  { spec: `server limit: ${MAX_NESTING_DEPTH + 1} levels of nesting (odd)`, resource: patientNested(MAX_NESTING_DEPTH + 1), code: 'too-costly', expression: deepestPath(MAX_NESTING_DEPTH + 1), diagnostics: /nests deeper than 128 levels/ },
  { spec: `server limit: ${MAX_NESTING_DEPTH + 2} levels of nesting (even)`, resource: patientNested(MAX_NESTING_DEPTH + 2), code: 'too-costly', expression: deepestPath(MAX_NESTING_DEPTH + 1), diagnostics: /nests deeper than 128 levels/ },
  { spec: 'server limit: nesting counts from the outermost resource', resource: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: patientNested(MAX_NESTING_DEPTH - 2) }] }, code: 'too-costly', expression: `Bundle.entry[0].resource${'.extension[0]'.repeat((MAX_NESTING_DEPTH - 4) / 2)}.valueCoding`, diagnostics: /nests deeper/ },
  { spec: 'datatypes.html#decimal: finite', resource: { ...observation, valueQuantity: { value: Infinity } }, code: 'value', expression: 'Observation.valueQuantity.value', diagnostics: /must be a finite number/ },
  { spec: 'datatypes.html#decimal: finite (negative)', resource: { ...observation, valueQuantity: { value: -Infinity } }, code: 'value', expression: 'Observation.valueQuantity.value', diagnostics: /must be a finite number/ },
  { spec: 'datatypes.html#integer: finite', resource: patient({ multipleBirthInteger: Infinity }), code: 'value', expression: 'Patient.multipleBirthInteger', diagnostics: /must be a finite number/ },
  { spec: 'datatypes.html#date: 29 February 1900 (not a leap year)', resource: patient({ birthDate: '1900-02-29' }), code: 'value', expression: 'Patient.birthDate', diagnostics: /February 1900 has 28 days/ },
  { spec: 'datatypes.html#date: 29 February 2023', resource: patient({ birthDate: '2023-02-29' }), code: 'value', expression: 'Patient.birthDate', diagnostics: /February 2023 has 28 days/ },
  { spec: 'datatypes.html#date: 31 April', resource: patient({ birthDate: '2021-04-31' }), code: 'value', expression: 'Patient.birthDate', diagnostics: /April 2021 has 30 days/ },
  { spec: 'datatypes.html#dateTime: 31 June', resource: { ...observation, effectiveDateTime: '2021-06-31T10:00:00Z' }, code: 'value', expression: 'Observation.effectiveDateTime', diagnostics: /June 2021 has 30 days/ },
  { spec: 'datatypes.html#instant: 30 February', resource: { ...observation, issued: '2020-02-30T10:00:00Z' }, code: 'value', expression: 'Observation.issued', diagnostics: /February 2020 has 29 days/ },
  { spec: 'datatypes.html#dateTime: hour 24 (regex)', resource: { ...observation, effectiveDateTime: '2021-01-01T24:00:00Z' }, code: 'value', expression: 'Observation.effectiveDateTime', diagnostics: /is not a dateTime/ },
  { spec: 'datatypes.html#dateTime: offset beyond +14:00 (regex)', resource: { ...observation, effectiveDateTime: '2021-01-01T10:00:00+14:30' }, code: 'value', expression: 'Observation.effectiveDateTime', diagnostics: /is not a dateTime/ },
  { spec: 'datatypes.html#dateTime: a choice variant of another element', resource: { resourceType: 'Condition', subject: { display: 'x' }, onsetDateTime: '2021-02-29' }, code: 'value', expression: 'Condition.onsetDateTime', diagnostics: /February 2021 has 28 days/ },
  { spec: 'datatypes.html#integer: 2147483648', resource: patient({ multipleBirthInteger: 2147483648 }), code: 'value', expression: 'Patient.multipleBirthInteger', diagnostics: /greater than 2147483647/ },
  { spec: 'datatypes.html#integer: -2147483649', resource: patient({ multipleBirthInteger: -2147483649 }), code: 'value', expression: 'Patient.multipleBirthInteger', diagnostics: /is not an integer \(-2147483648 to 2147483647\)/ },
  { spec: 'datatypes.html#integer: whole', resource: patient({ multipleBirthInteger: 1.5 }), code: 'structure', expression: 'Patient.multipleBirthInteger', diagnostics: /must be an integer, found a number 1.5/ },
  { spec: 'datatypes.html#unsignedInt: -1', resource: patient({ photo: [{ size: -1 }] }), code: 'value', expression: 'Patient.photo[0].size', diagnostics: /is not an unsignedInt/ },
  { spec: 'datatypes.html#positiveInt: 0', resource: { resourceType: 'Appointment', status: 'booked', participant: [{ status: 'accepted', actor: { display: 'x' } }], minutesDuration: 0 }, code: 'value', expression: 'Appointment.minutesDuration', diagnostics: /is not a positiveInt/ },
  { spec: 'formats.html#choice: deceasedBoolean and deceasedDateTime', resource: patient({ deceasedBoolean: true, deceasedDateTime: '2020-01-01' }), code: 'structure', expression: 'Patient.deceasedDateTime', diagnostics: /beside deceasedBoolean: deceased\[x\] is a choice element/ },
  { spec: 'formats.html#choice: a variant and the _ twin of another', resource: patient({ _deceasedBoolean: because, deceasedDateTime: '2020-01-01' }), code: 'structure', expression: 'Patient.deceasedDateTime', diagnostics: /deceased\[x\] is a choice element/ },
  { spec: 'formats.html#choice: Extension.value[x]', resource: patient({ extension: [{ url: 'http://example.org/x', valueString: 'a', valueCode: 'b' }] }), code: 'structure', expression: 'Patient.extension[0].valueCode', diagnostics: /value\[x\] is a choice element/ },
  { spec: 'formats.html#choice: in a backbone element', resource: { ...observation, component: [{ code: { text: 'c' }, valueString: 'a', valueBoolean: true }] }, code: 'structure', expression: 'Observation.component[0].valueBoolean', diagnostics: /value\[x\] is a choice element/ },
  { spec: 'json.html: null is no complex value', resource: patient({ name: [null] }), code: 'structure', expression: 'Patient.name[0]', diagnostics: /must be an object, found null/ },
  { spec: 'json.html: a string is no complex value', resource: patient({ name: ['Ann'] }), code: 'structure', expression: 'Patient.name[0]', diagnostics: /must be an object, found a string "Ann"/ },
  { spec: 'json.html: null is no single primitive', resource: patient({ birthDate: null }), code: 'structure', expression: 'Patient.birthDate', diagnostics: /must be a string, found null/ },
  { spec: 'json.html: empty array', resource: patient({ name: [] }), code: 'structure', expression: 'Patient.name', diagnostics: /must not be an empty array/ },
  { spec: 'json.html: empty array of primitives', resource: patient({ name: [{ given: [] }] }), code: 'structure', expression: 'Patient.name[0].given', diagnostics: /must not be an empty array/ },
  { spec: 'json.html / ele-1: empty object', resource: patient({ name: [{}] }), code: 'invariant', expression: 'Patient.name[0]', diagnostics: /is empty.*ele-1/ },
  { spec: 'ele-1: an element with only an id', resource: patient({ identifier: [{ id: 'i1' }] }), code: 'invariant', expression: 'Patient.identifier[0]', diagnostics: /ele-1/ },
  { spec: 'ele-1: a nested empty object', resource: patient({ managingOrganization: { identifier: {} } }), code: 'invariant', expression: 'Patient.managingOrganization.identifier', diagnostics: /ele-1/ },
  { spec: 'ele-1: an _ object with only an id and no value', resource: patient({ _birthDate: { id: 'b' } }), code: 'invariant', expression: 'Patient.birthDate', diagnostics: /has no value, and _birthDate has no extensions.*ele-1/ },
  { spec: 'ele-1: an _ array entry with only an id where the value is null', resource: patient({ name: [{ given: ['a', null], _given: [null, { id: 'x' }] }] }), code: 'invariant', expression: 'Patient.name[0].given[1]', diagnostics: /ele-1/ },
  { spec: 'json.html#primitive: null with no _ array', resource: patient({ name: [{ given: ['a', null] }] }), code: 'structure', expression: 'Patient.name[0].given[1]', diagnostics: /is null, but there is no _given array/ },
  { spec: 'json.html#primitive: null in both arrays', resource: patient({ name: [{ given: ['a', null], _given: [because, null] }] }), code: 'structure', expression: 'Patient.name[0].given[1]', diagnostics: /is null and so is _given\[1\]/ },
  { spec: 'json.html#primitive: null in the _ array with no value array', resource: patient({ name: [{ _given: [because, null] }] }), code: 'structure', expression: 'Patient.name[0].given[1]', diagnostics: /neither a value nor extensions/ },
  { spec: 'json.html#primitive: arrays of different lengths', resource: patient({ name: [{ given: ['a', 'b'], _given: [because] }] }), code: 'structure', expression: 'Patient.name[0].given', diagnostics: /has 2 values but _given has 1 entries/ },
  { spec: 'json.html#primitive: null in a coded repeating primitive', resource: { resourceType: 'AllergyIntolerance', patient: { display: 'x' }, category: ['food', null] }, code: 'structure', expression: 'AllergyIntolerance.category[1]', diagnostics: /is null, but there is no _category array/ },
  { spec: 'datatypes.html#string: U+0000', resource: patient({ name: [{ family: 'a\u0000b' }] }), code: 'value', expression: 'Patient.name[0].family', diagnostics: /without control characters/ },
  { spec: 'datatypes.html#string: U+001F', resource: patient({ name: [{ text: 'a\u001fb' }] }), code: 'value', expression: 'Patient.name[0].text', diagnostics: /without control characters/ },
  { spec: 'datatypes.html#string: U+000B (vertical tab is no XML whitespace)', resource: patient({ name: [{ given: ['a\u000bb'] }] }), code: 'value', expression: 'Patient.name[0].given[0]', diagnostics: /without control characters/ },
  { spec: 'datatypes.html#markdown: U+0001', resource: { ...observation, note: [{ text: 'a\u0001' }] }, code: 'value', expression: 'Observation.note[0].text', diagnostics: /markdown without control characters|string without control characters/ },
  { spec: 'datatypes.html#code: U+0000', resource: patient({ gender: 'male', communication: [{ language: { coding: [{ code: 'e\u0000n' }] } }] }), code: 'value', expression: 'Patient.communication[0].language.coding[0].code', diagnostics: /is not a code/ },
  { spec: 'datatypes.html#uri: U+0007', resource: patient({ identifier: [{ system: 'urn:a\u0007b' }] }), code: 'value', expression: 'Patient.identifier[0].system', diagnostics: /is not a uri/ },
  { spec: 'datatypes.html#string: a lone surrogate is no XML character', resource: patient({ name: [{ text: 'a\ud800b' }] }), code: 'value', expression: 'Patient.name[0].text', diagnostics: /without control characters/ },
  { spec: 'narrative.html: the div is a string of XHTML', resource: patient({ text: { status: 'generated', div: { p: 'x' } } }), code: 'structure', expression: 'Patient.text.div', diagnostics: /must be a string/ },
];
