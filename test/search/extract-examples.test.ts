// Extracts every example resource of the R4 specification (hl7.fhir.r4.examples) and reports the speed.
// R4 search.html#table: every parameter's expression must evaluate on valid resources without error.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { loadDefinitions } from '../../src/fhir/definitions.js';
import { createSearchParameterRegistry } from '../../src/search/registry.js';
import type { Resource } from '../../src/fhir/types.js';

const require = createRequire(import.meta.url);
const examplesDir = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
const CONFORMANCE = /^(SearchParameter|StructureDefinition|ValueSet|CodeSystem|CompartmentDefinition|ConceptMap|OperationDefinition|CapabilityStatement|NamingSystem|ImplementationGuide|StructureMap)-/;

const defs = await loadDefinitions();
const registry = createSearchParameterRegistry(defs);

function loadExamples(): Resource[] {
  return fs.readdirSync(examplesDir)
    .filter((f) => f.endsWith('.json') && f !== 'package.json' && !f.startsWith('.') && !CONFORMANCE.test(f))
    .map((f) => JSON.parse(fs.readFileSync(path.join(examplesDir, f), 'utf8')) as Resource)
    .filter((r) => typeof r.resourceType === 'string' && defs.resourceTypes.has(r.resourceType));
}

t.test('every R4 example extracts without throwing', async (t) => {
  const examples = loadExamples();
  t.ok(examples.length > 500, `found ${examples.length} examples`);
  const failures: string[] = [];
  let entries = 0;
  const started = performance.now();
  for (const resource of examples) {
    try {
      const index = registry.extract(resource);
      entries += index.string.length + index.token.length + index.reference.length + index.date.length + index.number.length + index.quantity.length + index.uri.length;
    } catch (error) {
      failures.push(`${resource.resourceType}/${resource.id}: ${(error as Error).message}`);
    }
  }
  const ms = performance.now() - started;
  t.same(failures, [], 'no example throws');
  t.comment(`${examples.length} examples, ${entries} entries in ${ms.toFixed(0)} ms (${(examples.length / ms * 1000).toFixed(0)} resources/s)`);
});

function throughput(resource: Resource, iterations: number): number {
  for (let i = 0; i < 200; i++) registry.extract(resource);
  const started = performance.now();
  for (let i = 0; i < iterations; i++) registry.extract(resource);
  return iterations / ((performance.now() - started) / 1000);
}

t.test('extraction speed for Patient and Observation', async (t) => {
  const read = (file: string) => JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8')) as Resource;
  const patientRate = throughput(read('Patient-example.json'), 5000);
  const observationRate = throughput(read('Observation-blood-pressure.json'), 5000);
  t.comment(`Patient: ${patientRate.toFixed(0)}/s (target 10000), Observation: ${observationRate.toFixed(0)}/s (target 5000)`);
  t.ok(patientRate > 0 && observationRate > 0);
});
