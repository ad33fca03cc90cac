/**
 * A small hospital data set with hand-computed index entries (no FHIRPath involved), in the shape of the
 * shared contract fixtures: `{ resource, index }[]` in write order. Used by the mingo cross-check for the
 * MongoDB compiler's own cases (mongo-cases-local.ts).
 */
import type { Resource } from '../../src/fhir/types.js';
import { emptyIndexEntries, type IndexEntries } from '../../src/search/index-entries.js';

export interface Fixture { resource: Resource; index: IndexEntries }

const ms = (iso: string) => Date.parse(iso);
/** a date index entry for a whole day, month or year: [first ms, last ms] */
const day = (param: string, date: string) => ({ param, low: ms(`${date}T00:00:00.000Z`), high: ms(`${date}T23:59:59.999Z`) });

function fixture(resource: Resource, entries: Partial<IndexEntries>): Fixture {
  return { resource, index: { ...emptyIndexEntries(), ...entries } };
}

const LOINC = 'http://loinc.org';
const MRN = 'urn:oid:1.2.36.146.595.217.0.1';

export function localFixtures(): Fixture[] {
  return [
    fixture({ resourceType: 'Organization', id: 'org1', name: 'General Hospital' }, {
      string: [{ param: 'name', norm: 'general hospital', exact: 'General Hospital' }],
      sort: { name: { asc: 'general hospital', desc: 'general hospital' } },
    }),
    fixture({ resourceType: 'Patient', id: 'p1', name: [{ family: 'Smith', given: ['Anna'] }], gender: 'female', birthDate: '1980-05-01' }, {
      string: [
        { param: 'family', norm: 'smith', exact: 'Smith' },
        { param: 'given', norm: 'anna', exact: 'Anna' },
        { param: 'name', norm: 'smith', exact: 'Smith' },
        { param: 'name', norm: 'anna', exact: 'Anna' },
      ],
      token: [
        { param: 'gender', system: 'http://hl7.org/fhir/administrative-gender', code: 'female', text: null },
        { param: 'identifier', system: MRN, code: 'MRN-1', text: null },
        { param: 'active', system: null, code: 'true', text: null },
      ],
      reference: [{ param: 'organization', targetType: 'Organization', targetId: 'org1', version: null, url: null, identifierSystem: null, identifierValue: null }],
      date: [day('birthdate', '1980-05-01')],
      sort: { family: { asc: 'smith', desc: 'smith' }, birthdate: { asc: ms('1980-05-01T00:00:00.000Z'), desc: ms('1980-05-01T23:59:59.999Z') } },
    }),
    fixture({ resourceType: 'Patient', id: 'p2', name: [{ family: 'Jones', given: ['Bob', 'Robert'] }], gender: 'male', birthDate: '1975' }, {
      string: [
        { param: 'family', norm: 'jones', exact: 'Jones' },
        { param: 'given', norm: 'bob', exact: 'Bob' },
        { param: 'given', norm: 'robert', exact: 'Robert' },
      ],
      token: [
        { param: 'gender', system: 'http://hl7.org/fhir/administrative-gender', code: 'male', text: null },
        { param: 'identifier', system: 'http://other.example/ids', code: 'MRN-1', text: null },
        { param: 'identifier', system: null, code: 'LOCAL-7', text: null },
      ],
      date: [{ param: 'birthdate', low: ms('1975-01-01T00:00:00.000Z'), high: ms('1975-12-31T23:59:59.999Z') }],
      sort: { family: { asc: 'jones', desc: 'jones' }, birthdate: { asc: ms('1975-01-01T00:00:00.000Z'), desc: ms('1975-12-31T23:59:59.999Z') } },
    }),
    fixture({ resourceType: 'Patient', id: 'p3', name: [{ family: 'Çelik', given: ['Ana'] }], gender: 'female' }, {
      string: [
        { param: 'family', norm: 'celik', exact: 'Çelik' },
        { param: 'given', norm: 'ana', exact: 'Ana' },
      ],
      token: [
        { param: 'gender', system: 'http://hl7.org/fhir/administrative-gender', code: 'female', text: null },
        { param: 'active', system: null, code: 'false', text: null },
      ],
      sort: { family: { asc: 'celik', desc: 'celik' } },
    }),
    fixture({ resourceType: 'Observation', id: 'o1', status: 'final', subject: { reference: 'Patient/p1' } }, {
      token: [
        { param: 'code', system: LOINC, code: '8480-6', text: 'systolic blood pressure' },
        { param: 'status', system: null, code: 'final', text: null },
        { param: 'code-value-quantity$0', system: LOINC, code: '8480-6', text: null, group: 0 },
      ],
      reference: [
        { param: 'subject', targetType: 'Patient', targetId: 'p1', version: null, url: null, identifierSystem: null, identifierValue: null },
        { param: 'patient', targetType: 'Patient', targetId: 'p1', version: null, url: null, identifierSystem: null, identifierValue: null },
      ],
      quantity: [
        { param: 'value-quantity', value: 120, low: 119.5, high: 120.5, system: 'http://unitsofmeasure.org', code: 'mm[Hg]', unit: 'mmHg' },
        { param: 'code-value-quantity$1', value: 120, low: 119.5, high: 120.5, system: 'http://unitsofmeasure.org', code: 'mm[Hg]', unit: 'mmHg', group: 0 },
      ],
      date: [{ param: 'date', low: ms('2020-01-01T10:00:00.000Z'), high: ms('2020-01-01T10:00:00.000Z') }],
      sort: { date: { asc: ms('2020-01-01T10:00:00.000Z'), desc: ms('2020-01-01T10:00:00.000Z') } },
    }),
    fixture({ resourceType: 'Observation', id: 'o2', status: 'final', subject: { reference: 'Patient/p2' } }, {
      token: [
        { param: 'code', system: LOINC, code: '85354-9', text: 'blood pressure panel' },
        { param: 'status', system: null, code: 'final', text: null },
        { param: 'combo-code-value-quantity$0', system: LOINC, code: '8480-6', text: null, group: 0 },
        { param: 'combo-code-value-quantity$0', system: LOINC, code: '8462-4', text: null, group: 1 },
      ],
      reference: [
        { param: 'subject', targetType: 'Patient', targetId: 'p2', version: null, url: null, identifierSystem: null, identifierValue: null },
        { param: 'patient', targetType: 'Patient', targetId: 'p2', version: null, url: null, identifierSystem: null, identifierValue: null },
      ],
      quantity: [
        { param: 'combo-code-value-quantity$1', value: 150, low: 149.5, high: 150.5, system: 'http://unitsofmeasure.org', code: 'mm[Hg]', unit: 'mmHg', group: 0 },
        { param: 'combo-code-value-quantity$1', value: 80, low: 79.5, high: 80.5, system: 'http://unitsofmeasure.org', code: 'mm[Hg]', unit: 'mmHg', group: 1 },
      ],
      date: [{ param: 'date', low: ms('2021-06-01T00:00:00.000Z'), high: ms('2021-06-30T23:59:59.999Z') }],
      sort: { date: { asc: ms('2021-06-01T00:00:00.000Z'), desc: ms('2021-06-30T23:59:59.999Z') } },
    }),
    fixture({ resourceType: 'Observation', id: 'o3', status: 'preliminary', subject: { reference: 'Patient/p1' } }, {
      token: [
        { param: 'code', system: LOINC, code: '8462-4', text: 'diastolic blood pressure' },
        { param: 'status', system: null, code: 'preliminary', text: null },
      ],
      reference: [
        { param: 'subject', targetType: 'Patient', targetId: 'p1', version: null, url: null, identifierSystem: null, identifierValue: null },
        { param: 'patient', targetType: 'Patient', targetId: 'p1', version: null, url: null, identifierSystem: null, identifierValue: null },
      ],
      quantity: [{ param: 'value-quantity', value: 85, low: 84.5, high: 85.5, system: null, code: null, unit: 'mmHg' }],
      date: [{ param: 'date', low: ms('2019-03-01T00:00:00.000Z'), high: ms('2019-03-01T23:59:59.999Z') }],
      sort: { date: { asc: ms('2019-03-01T00:00:00.000Z'), desc: ms('2019-03-01T23:59:59.999Z') } },
    }),
    fixture({ resourceType: 'RiskAssessment', id: 'r1', status: 'final', subject: { reference: 'Patient/p2' } }, {
      number: [{ param: 'probability', value: 0.25, low: 0.245, high: 0.255 }],
      reference: [{ param: 'subject', targetType: 'Patient', targetId: 'p2', version: null, url: null, identifierSystem: null, identifierValue: null }],
    }),
    fixture({ resourceType: 'ValueSet', id: 'vs1', url: 'http://example.org/fhir/ValueSet/vitals' }, {
      uri: [{ param: 'url', value: 'http://example.org/fhir/ValueSet/vitals' }],
      reference: [{ param: 'derived-from', targetType: null, targetId: null, version: null, url: 'http://example.org/fhir/ValueSet/base', identifierSystem: null, identifierValue: null }],
    }),
    fixture({ resourceType: 'ValueSet', id: 'vs2', url: 'http://example.org/fhir' }, {
      uri: [{ param: 'url', value: 'http://example.org/fhir' }],
    }),
  ];
}
