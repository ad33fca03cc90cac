// The acceptor (validation-acceptor.ts) must say "valid" exactly when ajv finds no issue: over every pristine example,
// the Synthea resources when present, and mutants of the examples (each element replaced by a value of another
// shape, removed, or joined by an unknown one).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { createValidator, createValidatorParts } from '../../src/fhir/validation.js';
import { packageDirectory } from '../../src/fhir/definitions.js';
import type { Resource } from '../../src/fhir/types.js';
import { syntheaMissing, syntheaResources } from '../../bench/lib/synthea.js';
import { FHIR_JSON_INVALID, FHIR_JSON_VALID } from './fhir-json-cases.js';

const { accepts, ajv } = createValidatorParts();
const examplesDir = packageDirectory('hl7.fhir.r4.examples');
const examples = fs.readdirSync(examplesDir).sort()
  .filter((file) => /^[A-Z]/.test(file) && file.endsWith('.json'))
  .map((file) => ({ file, resource: JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8')) as Resource }));

function disagreement(resource: unknown): string | undefined {
  const issues = ajv.validate(resource as Resource);
  const accepted = accepts!(resource);
  if (accepted === (issues.length === 0)) return undefined;
  return accepted ? `accepted, ajv: ${issues.map((issue) => issue.diagnostics).join('; ')}` : 'rejected, ajv finds no issue';
}

t.ok(accepts, 'fhir.schema.json uses only keywords the acceptor implements');

t.test('pristine examples: accepted exactly when ajv finds no issue', async (t) => {
  let rejected = 0;
  for (const { file, resource } of examples) {
    const problem = disagreement(resource);
    if (problem) t.fail(`${file}: ${problem}`);
    if (!accepts!(resource)) rejected++;
  }
  t.ok(examples.length > 2000, `${examples.length} examples`);
  t.ok(rejected > 0, `${rejected} examples rejected by both (conformance resources the schema does not fit)`);
});

t.test('Synthea resources: accepted exactly when ajv finds no issue', { skip: syntheaMissing() }, async (t) => {
  const resources = syntheaResources();
  let failures = 0;
  let rejected = 0;
  for (const resource of resources) {
    const problem = disagreement(resource);
    if (problem && failures++ < 10) t.fail(`${resource.resourceType}/${resource.id}: ${problem}`);
    if (!accepts!(resource)) rejected++;
  }
  t.equal(failures, 0, `${resources.length} resources agree`);
  t.equal(rejected, 0, 'every Synthea resource is valid');
});

t.test('the R4 JSON rules beyond the schema (validation-fhir-json.ts): acceptor and ajv agree on both sides', async (t) => {
  for (const { spec, resource } of [...FHIR_JSON_VALID, ...FHIR_JSON_INVALID]) t.equal(disagreement(resource), undefined, spec);
  t.ok(FHIR_JSON_VALID.every(({ resource }) => accepts!(resource)), 'the valid ones are accepted');
  t.ok(FHIR_JSON_INVALID.every(({ resource }) => !accepts!(resource)), 'the invalid ones are rejected');
});

/** the values an element is replaced by: each JSON shape, and strings no FHIR primitive pattern takes */
const REPLACEMENTS: unknown[] = [null, 0, 1.5, -7, true, '', ' ', 'x', '2020-13-45', 'final', {}, [], [{}], ['x'], { extension: [{ url: 'u' }] }];

function* mutants(resource: Resource): Generator<{ where: string; resource: unknown }> {
  const text = JSON.stringify(resource);
  const paths: (string | number)[][] = [];
  const collect = (node: unknown, at: (string | number)[]) => {
    if (at.length > 0) paths.push(at);
    if (Array.isArray(node)) node.forEach((item, index) => collect(item, [...at, index]));
    else if (typeof node === 'object' && node !== null) for (const [key, value] of Object.entries(node)) collect(value, [...at, key]);
  };
  collect(resource, []);
  const step = Math.max(1, Math.floor(paths.length / 12));
  for (let n = 0; n < paths.length; n += step) {
    const at = paths[n]!;
    const edit = (change: (parent: Record<string | number, unknown>, key: string | number) => void) => {
      const copy = JSON.parse(text) as Record<string | number, unknown>;
      let parent = copy;
      for (const key of at.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
      change(parent, at[at.length - 1]!);
      return copy;
    };
    const where = at.join('.');
    yield { where: `${where} removed`, resource: edit((parent, key) => (Array.isArray(parent) ? parent.splice(Number(key), 1) : delete parent[key])) };
    yield { where: `${where} wrapped in a list`, resource: edit((parent, key) => { parent[key] = [parent[key]]; }) };
    yield { where: `unknown sibling of ${where}`, resource: edit((parent) => { if (!Array.isArray(parent)) parent.unknownElement = 'x'; }) };
    for (const value of REPLACEMENTS) {
      yield { where: `${where} = ${JSON.stringify(value)}`, resource: edit((parent, key) => { parent[key] = structuredClone(value); }) };
    }
  }
  yield { where: 'id with a space', resource: { ...resource, id: 'a b' } };
  yield { where: 'unknown type', resource: { ...resource, resourceType: 'Patientx' } };
  yield { where: 'not an object', resource: [resource] };
}

t.test('mutants of the examples: accepted exactly when ajv finds no issue', async (t) => {
  let compared = 0;
  let accepted = 0;
  let failures = 0;
  for (const { file, resource } of examples.filter((_, n) => n % 80 === 0)) {
    for (const mutant of mutants(resource)) {
      compared++;
      if (accepts!(mutant.resource)) accepted++;
      const problem = disagreement(mutant.resource);
      if (problem && failures++ < 20) t.fail(`${file}, ${mutant.where}: ${problem}`);
    }
  }
  t.equal(failures, 0, `${compared} mutants agree (${accepted} accepted by both)`);
  t.ok(accepted > 1000 && compared - accepted > 3_000, 'both outcomes are well represented');
});

t.test('createValidator gives the ajv issues for a rejected resource and none for an accepted one', async (t) => {
  const validator = createValidator();
  const bad = { resourceType: 'Patient', birthDate: '1970-13-01', gender: 5 } as unknown as Resource;
  t.same(validator.validate(bad), ajv.validate(bad));
  t.ok(validator.validate(bad).length >= 2);
  t.same(validator.validate(examples.find((example) => example.file === 'Patient-example.json')!.resource), []);
});
