// R4 http.html#patch (JSON Patch, RFC 6902) and R4 fhirpatch.html (FHIRPath Patch) applied to resources.
import t from 'tap';
import { applyJsonPatch } from '../../src/interactions/patch-json.js';
import { applyFhirPathPatch } from '../../src/interactions/patch-fhirpath.js';
import { FhirError } from '../../src/fhir/errors.js';
import type { Resource } from '../../src/fhir/types.js';

const patient = (): Resource => ({
  resourceType: 'Patient',
  id: 'p1',
  active: true,
  birthDate: '1970-01-01',
  deceasedBoolean: false,
  name: [{ family: 'Chalmers', given: ['Peter', 'James'] }, { family: 'Windsor', use: 'maiden' }],
  identifier: [{ system: 'urn:a', value: '1' }, { system: 'urn:b', value: '2' }, { system: 'urn:c', value: '3' }],
});

function operation(type: string, parts: Record<string, unknown>): unknown {
  return {
    name: 'operation',
    part: [{ name: 'type', valueCode: type }, ...Object.entries(parts).map(([name, value]) =>
      name === 'value' && typeof value === 'object' && value !== null && 'part' in value
        ? { name, ...(value as object) }
        : { name, [name === 'index' || name === 'source' || name === 'destination' ? 'valueInteger' : name === 'value' ? valueKey(value) : 'valueString']: value },
    )],
  };
}
const valueKey = (value: unknown) => (typeof value === 'boolean' ? 'valueBoolean' : typeof value === 'object' ? 'valueHumanName' : 'valueString');
const parameters = (...operations: unknown[]) => ({ resourceType: 'Parameters', parameter: operations });

function thrown(fn: () => unknown): FhirError | undefined {
  try { fn(); } catch (error) { if (error instanceof FhirError) return error; throw error; }
  return undefined;
}

t.test('JSON Patch (RFC 6902)', async (t) => {
  const cases: { name: string; patch: unknown; check?: (r: Resource) => void; error?: { code: string; status: number } }[] = [
    { name: 'replace a primitive', patch: [{ op: 'replace', path: '/birthDate', value: '1980-02-02' }], check: (r) => t.equal(r.birthDate, '1980-02-02') },
    { name: 'add to an array end', patch: [{ op: 'add', path: '/name/0/given/-', value: 'Jim' }], check: (r) => t.same((r.name as any)[0].given, ['Peter', 'James', 'Jim']) },
    { name: 'remove', patch: [{ op: 'remove', path: '/active' }], check: (r) => t.notOk('active' in r) },
    { name: 'test then replace', patch: [{ op: 'test', path: '/active', value: true }, { op: 'replace', path: '/active', value: false }], check: (r) => t.equal(r.active, false) },
    { name: 'failed test is 422', patch: [{ op: 'test', path: '/active', value: false }], error: { code: 'unprocessable-resource', status: 422 } },
    { name: 'unresolvable path is 422', patch: [{ op: 'replace', path: '/contact/0/name', value: {} }], error: { code: 'unprocessable-resource', status: 422 } },
    { name: 'not an array is 400', patch: { op: 'remove', path: '/active' }, error: { code: 'invalid-parameter', status: 400 } },
    { name: 'unknown op is 400', patch: [{ op: 'frobnicate', path: '/active' }], error: { code: 'invalid-parameter', status: 400 } },
    { name: 'changing the id is 422', patch: [{ op: 'replace', path: '/id', value: 'other' }], error: { code: 'unprocessable-resource', status: 422 } },
    { name: 'changing the type is 422', patch: [{ op: 'replace', path: '/resourceType', value: 'Person' }], error: { code: 'unprocessable-resource', status: 422 } },
  ];
  for (const c of cases) {
    const original = patient();
    if (c.error) {
      const error = thrown(() => applyJsonPatch(original, c.patch));
      t.same([error?.code, error?.status], [c.error.code, c.error.status], c.name);
    } else {
      const patched = applyJsonPatch(original, c.patch);
      c.check!(patched);
    }
    t.same(original, patient(), `${c.name}: input left untouched`);
  }
});

t.test('FHIRPath Patch (fhirpatch.html)', async (t) => {
  const cases: { name: string; ops: unknown[]; check?: (r: any) => void; error?: { code: string; status: number } }[] = [
    { name: 'add a single element', ops: [operation('add', { path: 'Patient', name: 'gender', value: 'male' })], check: (r) => t.equal(r.gender, 'male') },
    { name: 'add appends to a list', ops: [operation('add', { path: 'Patient.name[0]', name: 'given', value: 'Jim' })], check: (r) => t.same(r.name[0].given, ['Peter', 'James', 'Jim']) },
    { name: 'add creates a list for a repeating element', ops: [operation('add', { path: 'Patient', name: 'telecom', value: { part: [{ name: 'system', valueCode: 'phone' }, { name: 'value', valueString: '555' }] } })], check: (r) => t.same(r.telecom, [{ system: 'phone', value: '555' }]) },
    { name: 'insert at index', ops: [operation('insert', { path: 'Patient.name[0].given', index: 0, value: 'Dr' })], check: (r) => t.same(r.name[0].given, ['Dr', 'Peter', 'James']) },
    { name: 'delete a list item', ops: [operation('delete', { path: "Patient.identifier.where(system='urn:b')" })], check: (r) => t.same(r.identifier.map((i: any) => i.value), ['1', '3']) },
    { name: 'delete a missing element is no error', ops: [operation('delete', { path: 'Patient.gender' })], check: (r) => t.notOk('gender' in r) },
    { name: 'delete a choice element', ops: [operation('delete', { path: 'Patient.deceased' })], check: (r) => t.notOk('deceasedBoolean' in r) },
    { name: 'replace a primitive', ops: [operation('replace', { path: 'Patient.birthDate', value: '1930-01-01' })], check: (r) => t.equal(r.birthDate, '1930-01-01') },
    { name: 'replace a choice element', ops: [operation('replace', { path: 'Patient.deceased', value: true })], check: (r) => t.equal(r.deceasedBoolean, true) },
    { name: 'move in a list', ops: [operation('move', { path: 'Patient.identifier', source: 0, destination: 2 })], check: (r) => t.same(r.identifier.map((i: any) => i.value), ['2', '3', '1']) },
    { name: 'several operations in order', ops: [operation('delete', { path: 'Patient.active' }), operation('add', { path: 'Patient', name: 'active', value: false })], check: (r) => t.equal(r.active, false) },
    { name: 'replace with no match is 422', ops: [operation('replace', { path: 'Patient.gender', value: 'x' })], error: { code: 'unprocessable-resource', status: 422 } },
    { name: 'several matches is 422', ops: [operation('replace', { path: 'Patient.name', value: 'x' })], error: { code: 'unprocessable-resource', status: 422 } },
    { name: 'unknown type is 400', ops: [operation('upsert', { path: 'Patient' })], error: { code: 'invalid-parameter', status: 400 } },
    { name: 'add without a value is 400', ops: [operation('add', { path: 'Patient', name: 'gender' })], error: { code: 'invalid-parameter', status: 400 } },
    { name: 'insert beyond the list is 422', ops: [operation('insert', { path: 'Patient.identifier', index: 9, value: 'x' })], error: { code: 'unprocessable-resource', status: 422 } },
    { name: 'bad FHIRPath is 400', ops: [operation('delete', { path: 'Patient.name[' })], error: { code: 'invalid-parameter', status: 400 } },
    { name: 'replacing the id is 422', ops: [operation('replace', { path: 'Patient.id', value: 'p2' })], error: { code: 'unprocessable-resource', status: 422 } },
  ];
  for (const c of cases) {
    const original = patient();
    if (c.error) {
      const error = thrown(() => applyFhirPathPatch(original, parameters(...c.ops)));
      t.same([error?.code, error?.status], [c.error.code, c.error.status], c.name);
    } else {
      c.check!(applyFhirPathPatch(original, parameters(...c.ops)));
    }
    t.same(original, patient(), `${c.name}: input left untouched`);
  }
  const error = thrown(() => applyFhirPathPatch(patient(), parameters(operation('add', { path: 'Patient', name: 'active', value: true }))));
  t.same(error?.issues[0].expression, ['Parameters.parameter[0]'], 'the failing operation is named');
});
