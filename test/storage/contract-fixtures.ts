/**
 * The shared storage-contract data set: a small hospital, written in this order by every engine's suite.
 * Index entries are computed with the real search-parameter registry (R4 definitions, FHIRPath compiled once),
 * so the suite also checks extraction -> storage -> search end to end.
 * meta.lastUpdated is fixed per resource (one minute apart) so _lastUpdated cases are deterministic.
 */
import { definitionsSync } from '../../src/fhir/definitions.js';
import type { Resource } from '../../src/fhir/types.js';
import type { IndexEntries } from '../../src/search/index-entries.js';
import { createSearchParameterRegistry, type SearchParameterRegistry } from '../../src/search/registry.js';

export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
export const MRN = 'urn:oid:1.2.36.146.595.217.0.1';
export const GENDER = 'http://hl7.org/fhir/administrative-gender';
/** lastUpdated of the n-th fixture (0-based) */
export const fixtureInstant = (n: number): string => new Date(Date.UTC(2024, 0, 1, 0, n)).toISOString();

const quantity = (value: number, unit: string, code = unit) => ({ value, unit, system: UCUM, code });
const loinc = (code: string, display: string) => ({ coding: [{ system: LOINC, code, display }], text: display });

const resources: Resource[] = [
  { resourceType: 'Organization', id: 'org1', name: 'General Hospital', active: true },
  { resourceType: 'Organization', id: 'org2', name: 'Clinic East', partOf: { reference: 'Organization/org1' } },
  { resourceType: 'Practitioner', id: 'pr1', name: [{ family: 'Adams', given: ['Grace'] }] },
  {
    resourceType: 'Patient', id: 'p1', active: true, gender: 'male', birthDate: '1980-05-15',
    name: [{ family: 'Smith', given: ['John'] }],
    identifier: [{ system: MRN, value: '111' }],
    managingOrganization: { reference: 'Organization/org1' },
  },
  {
    resourceType: 'Patient', id: 'p2', gender: 'female', birthDate: '1990-01',
    name: [{ family: 'Smithson', given: ['Åsa'] }],
    identifier: [{ system: MRN, value: '222' }],
    managingOrganization: { reference: 'Organization/org2' },
    generalPractitioner: [{ reference: 'Practitioner/pr1' }],
  },
  {
    resourceType: 'Patient', id: 'p3', gender: 'female',
    name: [{ family: 'Jones', given: ['Mary'] }],
    identifier: [{ value: '333' }],
    managingOrganization: { reference: 'Organization/org1' },
  },
  {
    resourceType: 'Observation', id: 'o1', status: 'final', code: loinc('8480-6', 'Systolic blood pressure'),
    subject: { reference: 'Patient/p1' }, effectiveDateTime: '2020-01-01T10:00:00Z',
    performer: [{ identifier: { system: 'urn:npi', value: '999' } }],
    valueQuantity: quantity(120, 'mm[Hg]'),
  },
  {
    resourceType: 'Observation', id: 'o2', status: 'final', code: loinc('8462-4', 'Diastolic blood pressure'),
    subject: { reference: 'Patient/p2' }, effectiveDateTime: '2020-06-01T08:30:00Z',
    performer: [{ reference: 'http://other.example/fhir/Practitioner/x9' }],
    valueQuantity: { value: 80, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
  },
  {
    resourceType: 'Observation', id: 'o3', status: 'final', code: loinc('85354-9', 'Blood pressure panel'),
    subject: { reference: 'Patient/p1' }, effectiveDateTime: '2021-02-01T09:00:00Z',
    component: [
      { code: loinc('8480-6', 'Systolic blood pressure'), valueQuantity: quantity(150, 'mm[Hg]') },
      { code: loinc('8462-4', 'Diastolic blood pressure'), valueQuantity: quantity(95, 'mm[Hg]') },
    ],
  },
  {
    resourceType: 'Observation', id: 'o4', status: 'preliminary', code: loinc('2339-0', 'Glucose'),
    subject: { reference: 'Patient/p3' },
    effectivePeriod: { start: '2021-03-01T00:00:00Z', end: '2021-03-05T23:59:59Z' },
    valueQuantity: quantity(5.5, 'mmol/L'),
  },
  { resourceType: 'RiskAssessment', id: 'ra1', status: 'final', subject: { reference: 'Patient/p1' }, prediction: [{ probabilityDecimal: 0.8 }] },
  { resourceType: 'RiskAssessment', id: 'ra2', status: 'final', subject: { reference: 'Patient/p2' }, prediction: [{ probabilityDecimal: 0.25 }] },
  { resourceType: 'RiskAssessment', id: 'ra3', status: 'final', subject: { reference: 'Patient/p3' }, prediction: [{ probabilityDecimal: 0.5 }] },
  { resourceType: 'ValueSet', id: 'vs1', status: 'active', url: 'http://example.org/fhir/ValueSet/cardiology' },
  { resourceType: 'ValueSet', id: 'vs2', status: 'active', url: 'http://example.org/fhir/ValueSet/cardiology/heart' },
  { resourceType: 'ValueSet', id: 'vs3', status: 'draft', url: 'http://other.org/vs' },
];

let registry: SearchParameterRegistry | undefined;

/** the registry built from the pristine R4 definitions, shared by the contract suite */
export function fixtureRegistry(): SearchParameterRegistry {
  registry ??= createSearchParameterRegistry(definitionsSync());
  return registry;
}

export function fixtureResources(): { resource: Resource; index: IndexEntries }[] {
  return resources.map((original, n) => {
    const resource: Resource = structuredClone(original);
    resource.meta = { versionId: '1', lastUpdated: fixtureInstant(n) };
    return { resource, index: fixtureRegistry().extract(resource) };
  });
}
