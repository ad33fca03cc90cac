/**
 * Search cases every storage engine must answer identically over contract-fixtures.ts (pure data: the MongoDB
 * suite also evaluates them under mingo). expectIds are "Type/id"; in order when the query sorts, otherwise
 * compared as sets. Semantics: src/search/ir.ts; spec sections cite R4 (http://hl7.org/fhir/R4/search.html).
 */
import type { Condition, IndexKind, Prefix, SearchQuery, SortKey, ValueMatch } from '../../src/search/ir.js';
import { GENDER, LOINC, MRN, UCUM, fixtureInstant } from './contract-fixtures.js';

export interface ContractCase { name: string; spec: string; query: SearchQuery; expectIds: string[] }

const query = (types: string[] | null, where: Condition[], sort: SortKey[] = []): SearchQuery =>
  ({ types, where, sort, count: 100, total: 'none' });
const param = (name: string, index: IndexKind, ...values: ValueMatch[]): Condition => ({ kind: 'param', param: name, index, values });
const str = (op: 'starts' | 'exact' | 'contains', value: string): ValueMatch => ({ kind: 'string', op, value });
const token = (system: string | null | undefined, code: string | undefined): ValueMatch => ({ kind: 'token', op: 'eq', system, code });
const ms = (iso: string) => Date.parse(iso);
/** a search date range: [first ms, last ms] of a day, month or year */
const dateRange = (from: string, to: string) => ({ low: ms(from), high: ms(to) });
const YEAR_1980 = dateRange('1980-01-01T00:00:00.000Z', '1980-12-31T23:59:59.999Z');
const YEAR_1985 = dateRange('1985-01-01T00:00:00.000Z', '1985-12-31T23:59:59.999Z');
const DAY_1980_05_15 = dateRange('1980-05-15T00:00:00.000Z', '1980-05-15T23:59:59.999Z');
const MONTH_1990_01 = dateRange('1990-01-01T00:00:00.000Z', '1990-01-31T23:59:59.999Z');
const day = (date: string) => dateRange(`${date}T00:00:00.000Z`, `${date}T23:59:59.999Z`);
const birthdate = (prefix: Prefix, range: { low: number; high: number }) => param('birthdate', 'date', { kind: 'date', prefix, ...range });
const probability = (prefix: Prefix, value: number, low: number, high: number) =>
  param('probability', 'number', { kind: 'number', prefix, value, low, high });
const valueQuantity = (prefix: Prefix, value: number, low: number, high: number, units: { system?: string | null; code?: string } = {}) =>
  param('value-quantity', 'quantity', { kind: 'quantity', prefix, value, low, high, ...units });
const uri = (op: 'eq' | 'above' | 'below' | 'contains', value: string) => param('url', 'uri', { kind: 'uri', op, value });
const subjectIs = (targetId: string, targetType?: string): ValueMatch => ({ kind: 'reference', targetType, targetId });
const componentPair = (code: string, value: number) => [
  { param: 'component-code-value-quantity$0', index: 'token' as const, match: token(LOINC, code) },
  { param: 'component-code-value-quantity$1', index: 'quantity' as const, match: { kind: 'quantity' as const, prefix: 'eq' as const, value, low: value - 0.5, high: value + 0.5 } },
];
const second = (n: number) => ({ low: ms(fixtureInstant(n)), high: ms(fixtureInstant(n)) + 999 });

const S = 'search.html';
export const contractCases: ContractCase[] = [
  // string (search.html#string)
  { name: 'string default is starts-with, case-insensitive', spec: `${S}#string`, query: query(['Patient'], [param('family', 'string', str('starts', 'smi'))]), expectIds: ['Patient/p1', 'Patient/p2'] },
  { name: 'string :exact matches the exact form only', spec: `${S}#string`, query: query(['Patient'], [param('family', 'string', str('exact', 'Smith'))]), expectIds: ['Patient/p1'] },
  { name: 'string :exact is case-sensitive', spec: `${S}#string`, query: query(['Patient'], [param('family', 'string', str('exact', 'smith'))]), expectIds: [] },
  { name: 'string :contains', spec: `${S}#string`, query: query(['Patient'], [param('family', 'string', str('contains', 'mit'))]), expectIds: ['Patient/p1', 'Patient/p2'] },
  { name: 'string accents fold (Åsa by asa)', spec: `${S}#string`, query: query(['Patient'], [param('given', 'string', str('starts', 'asa'))]), expectIds: ['Patient/p2'] },
  { name: 'string OR of values (comma)', spec: `${S}#combining`, query: query(['Patient'], [param('family', 'string', str('exact', 'Smith'), str('exact', 'Jones'))]), expectIds: ['Patient/p1', 'Patient/p3'] },
  // token (search.html#token)
  { name: 'token code without system', spec: `${S}#token`, query: query(['Patient'], [param('gender', 'token', token(undefined, 'female'))]), expectIds: ['Patient/p2', 'Patient/p3'] },
  { name: 'token code of a code element with the system of its required binding', spec: `${S}#token`, query: query(['Patient'], [param('gender', 'token', token(GENDER, 'female'))]), expectIds: ['Patient/p2', 'Patient/p3'] },
  { name: 'token system|code', spec: `${S}#token`, query: query(['Patient'], [param('identifier', 'token', token(MRN, '111'))]), expectIds: ['Patient/p1'] },
  { name: 'token |code (no system)', spec: `${S}#token`, query: query(['Patient'], [param('identifier', 'token', token(null, '333'))]), expectIds: ['Patient/p3'] },
  { name: 'token system| (any code)', spec: `${S}#token`, query: query(['Patient'], [param('identifier', 'token', token(MRN, undefined))]), expectIds: ['Patient/p1', 'Patient/p2'] },
  { name: 'token on a boolean', spec: `${S}#token`, query: query(['Patient'], [param('active', 'token', token(undefined, 'true'))]), expectIds: ['Patient/p1'] },
  { name: 'token :not includes resources without the element', spec: `${S}#token`, query: query(['Patient'], [{ kind: 'not', condition: param('active', 'token', token(undefined, 'true')) }]), expectIds: ['Patient/p2', 'Patient/p3'] },
  { name: 'token :not on a code', spec: `${S}#token`, query: query(['Patient'], [{ kind: 'not', condition: param('identifier', 'token', token(MRN, '111')) }]), expectIds: ['Patient/p2', 'Patient/p3'] },
  { name: 'token :text word prefix', spec: `${S}#token`, query: query(['Observation'], [param('code', 'token', { kind: 'token', op: 'text', text: 'press' })]), expectIds: ['Observation/o1', 'Observation/o2', 'Observation/o3'] },
  { name: 'token :text leading word', spec: `${S}#token`, query: query(['Observation'], [param('code', 'token', { kind: 'token', op: 'text', text: 'sys' })]), expectIds: ['Observation/o1'] },
  { name: 'token set (:in / :below expansion)', spec: `${S}#token`, query: query(['Observation'], [param('code', 'token', { kind: 'token-set', codes: [{ system: LOINC, code: '8480-6' }, { system: LOINC, code: '2339-0' }] })]), expectIds: ['Observation/o1', 'Observation/o4'] },
  // reference (search.html#reference)
  { name: 'reference Type/id', spec: `${S}#reference`, query: query(['Observation'], [param('subject', 'reference', subjectIs('p1', 'Patient'))]), expectIds: ['Observation/o1', 'Observation/o3'] },
  { name: 'reference by id alone', spec: `${S}#reference`, query: query(['Observation'], [param('subject', 'reference', subjectIs('p2'))]), expectIds: ['Observation/o2'] },
  { name: 'reference by absolute url', spec: `${S}#reference`, query: query(['Observation'], [param('performer', 'reference', { kind: 'reference', url: 'http://other.example/fhir/Practitioner/x9' })]), expectIds: ['Observation/o2'] },
  { name: 'reference :identifier', spec: `${S}#reference`, query: query(['Observation'], [param('performer', 'reference', { kind: 'reference', identifier: { system: 'urn:npi', value: '999' } })]), expectIds: ['Observation/o1'] },
  { name: 'reference on a repeating element', spec: `${S}#reference`, query: query(['Patient'], [param('general-practitioner', 'reference', subjectIs('pr1', 'Practitioner'))]), expectIds: ['Patient/p2'] },
  // date prefixes (search.html#prefix, #date)
  { name: 'date eq day', spec: `${S}#date`, query: query(['Patient'], [birthdate('eq', DAY_1980_05_15)]), expectIds: ['Patient/p1'] },
  { name: 'date eq year contains the day', spec: `${S}#date`, query: query(['Patient'], [birthdate('eq', YEAR_1980)]), expectIds: ['Patient/p1'] },
  { name: 'date eq day inside a stored month does not match', spec: `${S}#date`, query: query(['Patient'], [birthdate('eq', day('1990-01-15'))]), expectIds: [] },
  { name: 'date ne', spec: `${S}#prefix`, query: query(['Patient'], [birthdate('ne', YEAR_1980)]), expectIds: ['Patient/p2'] },
  // more conditions than PostgreSQL joins (conditions.ts MAX_JOINED_PROBES): each stays a test of the candidate
  { name: 'date ne, nine times (AND)', spec: `${S}#combining`, query: query(['Patient'], [1970, 1971, 1972, 1973, 1974, 1975, 1976, 1977, 1980].map((year) => birthdate('ne', dateRange(`${year}-01-01T00:00:00.000Z`, `${year}-12-31T23:59:59.999Z`)))), expectIds: ['Patient/p2'] },
  { name: 'date gt', spec: `${S}#prefix`, query: query(['Patient'], [birthdate('gt', YEAR_1985)]), expectIds: ['Patient/p2'] },
  { name: 'date gt within a stored range', spec: `${S}#prefix`, query: query(['Patient'], [birthdate('gt', day('1990-01-20'))]), expectIds: ['Patient/p2'] },
  { name: 'date lt', spec: `${S}#prefix`, query: query(['Patient'], [birthdate('lt', YEAR_1985)]), expectIds: ['Patient/p1'] },
  { name: 'date ge (equal range)', spec: `${S}#prefix`, query: query(['Patient'], [birthdate('ge', MONTH_1990_01)]), expectIds: ['Patient/p2'] },
  { name: 'date le (equal range)', spec: `${S}#prefix`, query: query(['Patient'], [birthdate('le', DAY_1980_05_15)]), expectIds: ['Patient/p1'] },
  { name: 'date sa', spec: `${S}#prefix`, query: query(['Patient'], [birthdate('sa', YEAR_1985)]), expectIds: ['Patient/p2'] },
  { name: 'date eb', spec: `${S}#prefix`, query: query(['Patient'], [birthdate('eb', YEAR_1985)]), expectIds: ['Patient/p1'] },
  { name: 'date ap overlaps', spec: `${S}#prefix`, query: query(['Patient'], [birthdate('ap', day('1990-01-10'))]), expectIds: ['Patient/p2'] },
  { name: 'date eq month contains a Period', spec: `${S}#date`, query: query(['Observation'], [param('date', 'date', { kind: 'date', prefix: 'eq', ...dateRange('2021-03-01T00:00:00.000Z', '2021-03-31T23:59:59.999Z') })]), expectIds: ['Observation/o4'] },
  { name: 'date gt on instants and periods', spec: `${S}#date`, query: query(['Observation'], [param('date', 'date', { kind: 'date', prefix: 'gt', ...day('2021-01-01') })]), expectIds: ['Observation/o3', 'Observation/o4'] },
  // number prefixes (search.html#number)
  { name: 'number eq uses the precision range', spec: `${S}#number`, query: query(['RiskAssessment'], [probability('eq', 0.8, 0.75, 0.85)]), expectIds: ['RiskAssessment/ra1'] },
  { name: 'number ne', spec: `${S}#number`, query: query(['RiskAssessment'], [probability('ne', 0.8, 0.75, 0.85)]), expectIds: ['RiskAssessment/ra2', 'RiskAssessment/ra3'] },
  { name: 'number gt', spec: `${S}#number`, query: query(['RiskAssessment'], [probability('gt', 0.5, 0.45, 0.55)]), expectIds: ['RiskAssessment/ra1'] },
  { name: 'number lt', spec: `${S}#number`, query: query(['RiskAssessment'], [probability('lt', 0.5, 0.45, 0.55)]), expectIds: ['RiskAssessment/ra2'] },
  { name: 'number ge', spec: `${S}#number`, query: query(['RiskAssessment'], [probability('ge', 0.5, 0.45, 0.55)]), expectIds: ['RiskAssessment/ra1', 'RiskAssessment/ra3'] },
  { name: 'number le', spec: `${S}#number`, query: query(['RiskAssessment'], [probability('le', 0.5, 0.45, 0.55)]), expectIds: ['RiskAssessment/ra2', 'RiskAssessment/ra3'] },
  { name: 'number sa', spec: `${S}#number`, query: query(['RiskAssessment'], [probability('sa', 0.5, 0.45, 0.55)]), expectIds: ['RiskAssessment/ra1'] },
  { name: 'number eb', spec: `${S}#number`, query: query(['RiskAssessment'], [probability('eb', 0.5, 0.45, 0.55)]), expectIds: ['RiskAssessment/ra2'] },
  // sa / eb: the ranges must not overlap, the target's own precision range included (0.8 is [0.75, 0.85))
  { name: 'number sa excludes a target whose precision range overlaps the search range', spec: `${S}#prefix`, query: query(['RiskAssessment'], [probability('sa', 0.75, 0.745, 0.755)]), expectIds: [] },
  { name: 'number eb excludes a target whose precision range overlaps the search range', spec: `${S}#prefix`, query: query(['RiskAssessment'], [probability('eb', 0.255, 0.2545, 0.2555)]), expectIds: [] },
  { name: 'number ap (range widened by parse)', spec: `${S}#number`, query: query(['RiskAssessment'], [probability('ap', 0.5, 0.45, 0.55)]), expectIds: ['RiskAssessment/ra3'] },
  // quantity prefixes (search.html#quantity)
  { name: 'quantity eq with system and code', spec: `${S}#quantity`, query: query(['Observation'], [valueQuantity('eq', 120, 119.5, 120.5, { system: UCUM, code: 'mm[Hg]' })]), expectIds: ['Observation/o1'] },
  { name: 'quantity ne', spec: `${S}#quantity`, query: query(['Observation'], [valueQuantity('ne', 120, 119.5, 120.5)]), expectIds: ['Observation/o2', 'Observation/o4'] },
  { name: 'quantity gt', spec: `${S}#quantity`, query: query(['Observation'], [valueQuantity('gt', 100, 99.5, 100.5)]), expectIds: ['Observation/o1'] },
  { name: 'quantity lt', spec: `${S}#quantity`, query: query(['Observation'], [valueQuantity('lt', 100, 99.5, 100.5)]), expectIds: ['Observation/o2', 'Observation/o4'] },
  { name: 'quantity lt with code only', spec: `${S}#quantity`, query: query(['Observation'], [valueQuantity('lt', 100, 99.5, 100.5, { code: 'mm[Hg]' })]), expectIds: ['Observation/o2'] },
  { name: 'quantity code alone matches the unit', spec: `${S}#quantity`, query: query(['Observation'], [valueQuantity('ge', 0, -0.5, 0.5, { code: 'mmHg' })]), expectIds: ['Observation/o2'] },
  { name: 'quantity ge', spec: `${S}#quantity`, query: query(['Observation'], [valueQuantity('ge', 80, 79.5, 80.5)]), expectIds: ['Observation/o1', 'Observation/o2'] },
  { name: 'quantity le', spec: `${S}#quantity`, query: query(['Observation'], [valueQuantity('le', 80, 79.5, 80.5)]), expectIds: ['Observation/o2', 'Observation/o4'] },
  { name: 'quantity sa excludes a target whose precision range overlaps the search range', spec: `${S}#prefix`, query: query(['Observation'], [valueQuantity('sa', 119.6, 119.55, 119.65)]), expectIds: [] },
  { name: 'quantity eb excludes a target whose precision range overlaps the search range', spec: `${S}#prefix`, query: query(['Observation'], [valueQuantity('eb', 80.4, 80.35, 80.45)]), expectIds: ['Observation/o4'] },
  { name: 'quantity sa', spec: `${S}#quantity`, query: query(['Observation'], [valueQuantity('sa', 80, 79.5, 80.5)]), expectIds: ['Observation/o1'] },
  { name: 'quantity eb', spec: `${S}#quantity`, query: query(['Observation'], [valueQuantity('eb', 80, 79.5, 80.5)]), expectIds: ['Observation/o4'] },
  { name: 'quantity ap', spec: `${S}#quantity`, query: query(['Observation'], [valueQuantity('ap', 80, 72, 88)]), expectIds: ['Observation/o2'] },
  // uri (search.html#uri)
  { name: 'uri exact', spec: `${S}#uri`, query: query(['ValueSet'], [uri('eq', 'http://other.org/vs')]), expectIds: ['ValueSet/vs3'] },
  { name: 'uri :below', spec: `${S}#uri`, query: query(['ValueSet'], [uri('below', 'http://example.org/fhir/ValueSet/cardiology')]), expectIds: ['ValueSet/vs1', 'ValueSet/vs2'] },
  { name: 'uri :above', spec: `${S}#uri`, query: query(['ValueSet'], [uri('above', 'http://example.org/fhir/ValueSet/cardiology/heart/valves')]), expectIds: ['ValueSet/vs1', 'ValueSet/vs2'] },
  { name: 'uri :above excludes longer uris', spec: `${S}#uri`, query: query(['ValueSet'], [uri('above', 'http://example.org/fhir/ValueSet/cardiology')]), expectIds: ['ValueSet/vs1'] },
  { name: 'uri :contains', spec: `${S}#uri`, query: query(['ValueSet'], [uri('contains', 'other')]), expectIds: ['ValueSet/vs3'] },
  // composite (search.html#composite)
  { name: 'composite within one element', spec: `${S}#composite`, query: query(['Observation'], [{ kind: 'composite', param: 'component-code-value-quantity', alternatives: [componentPair('8480-6', 150)] }]), expectIds: ['Observation/o3'] },
  { name: 'composite never pairs values of different elements', spec: `${S}#composite`, query: query(['Observation'], [{ kind: 'composite', param: 'component-code-value-quantity', alternatives: [componentPair('8480-6', 95)] }]), expectIds: [] },
  { name: 'composite alternatives are ORed', spec: `${S}#composite`, query: query(['Observation'], [{ kind: 'composite', param: 'component-code-value-quantity', alternatives: [componentPair('8480-6', 95), componentPair('8462-4', 95)] }]), expectIds: ['Observation/o3'] },
  // missing (search.html#missing)
  { name: ':missing=true', spec: `${S}#missing`, query: query(['Patient'], [{ kind: 'missing', param: 'birthdate', index: 'date', missing: true }]), expectIds: ['Patient/p3'] },
  { name: ':missing=false', spec: `${S}#missing`, query: query(['Patient'], [{ kind: 'missing', param: 'birthdate', index: 'date', missing: false }]), expectIds: ['Patient/p1', 'Patient/p2'] },
  // _id, _lastUpdated, _type (search.html#all)
  { name: '_id', spec: `${S}#id`, query: query(['Patient'], [{ kind: 'id', ids: ['p1', 'p3'] }]), expectIds: ['Patient/p1', 'Patient/p3'] },
  { name: '_id at system level', spec: `${S}#id`, query: query(null, [{ kind: 'id', ids: ['o1'] }]), expectIds: ['Observation/o1'] },
  { name: '_lastUpdated gt', spec: `${S}#lastUpdated`, query: query(null, [{ kind: 'lastUpdated', prefix: 'gt', ...second(13) }]), expectIds: ['ValueSet/vs2', 'ValueSet/vs3'] },
  { name: '_lastUpdated le', spec: `${S}#lastUpdated`, query: query(['Organization', 'Practitioner'], [{ kind: 'lastUpdated', prefix: 'le', ...second(1) }]), expectIds: ['Organization/org1', 'Organization/org2'] },
  { name: '_type at system level', spec: `${S}#type`, query: query(null, [{ kind: 'type', types: ['Organization', 'Practitioner'] }]), expectIds: ['Organization/org1', 'Organization/org2', 'Practitioner/pr1'] },
  // logic
  { name: 'not', spec: `${S}#modifiers`, query: query(['Patient'], [{ kind: 'not', condition: param('family', 'string', str('starts', 'smi')) }]), expectIds: ['Patient/p3'] },
  { name: 'or of conditions', spec: `${S}#combining`, query: query(['Patient'], [{ kind: 'or', conditions: [param('gender', 'token', token(undefined, 'male')), param('family', 'string', str('exact', 'Jones'))] }]), expectIds: ['Patient/p1', 'Patient/p3'] },
  { name: 'and of conditions (repeated parameters)', spec: `${S}#combining`, query: query(['Patient'], [{ kind: 'and', conditions: [param('gender', 'token', token(undefined, 'female')), { kind: 'missing', param: 'birthdate', index: 'date', missing: false }] }]), expectIds: ['Patient/p2'] },
  // chains (search.html#chaining) and _has (search.html#has)
  { name: 'chain one deep', spec: `${S}#chaining`, query: query(['Observation'], [{ kind: 'chain', param: 'subject', targetTypes: ['Patient'], where: [param('family', 'string', str('exact', 'Smithson'))] }]), expectIds: ['Observation/o2'] },
  { name: 'chain with another condition (the chain is probed, not driving)', spec: `${S}#chaining`, query: query(['Observation'], [{ kind: 'chain', param: 'subject', targetTypes: ['Patient'], where: [param('family', 'string', str('exact', 'Smithson'))] }, param('code', 'token', token('http://loinc.org', '8462-4'))]), expectIds: ['Observation/o2'] },
  { name: 'chain two deep', spec: `${S}#chaining`, query: query(['Observation'], [{ kind: 'chain', param: 'subject', targetTypes: ['Patient'], where: [{ kind: 'chain', param: 'organization', targetTypes: ['Organization'], where: [param('name', 'string', str('starts', 'clinic'))] }] }]), expectIds: ['Observation/o2'] },
  { name: 'chain through partof', spec: `${S}#chaining`, query: query(['Patient'], [{ kind: 'chain', param: 'organization', targetTypes: ['Organization'], where: [{ kind: 'chain', param: 'partof', targetTypes: ['Organization'], where: [param('name', 'string', str('starts', 'general'))] }] }]), expectIds: ['Patient/p2'] },
  { name: '_has', spec: `${S}#has`, query: query(['Patient'], [{ kind: 'has', sourceType: 'Observation', param: 'subject', where: [param('code', 'token', token(LOINC, '8480-6'))] }]), expectIds: ['Patient/p1'] },
  { name: '_has with a quantity', spec: `${S}#has`, query: query(['Patient'], [{ kind: 'has', sourceType: 'Observation', param: 'subject', where: [valueQuantity('lt', 100, 99.5, 100.5)] }]), expectIds: ['Patient/p2', 'Patient/p3'] },
  { name: '_has nested', spec: `${S}#has`, query: query(['Organization'], [{ kind: 'has', sourceType: 'Patient', param: 'organization', where: [{ kind: 'has', sourceType: 'Observation', param: 'subject', where: [param('code', 'token', token(LOINC, '8462-4'))] }] }]), expectIds: ['Organization/org2'] },
  // _sort (search.html#sort): precomputed keys, missing values last, ties broken deterministically
  { name: '_sort string ascending', spec: `${S}#sort`, query: query(['Patient'], [], [{ param: 'family', descending: false }]), expectIds: ['Patient/p3', 'Patient/p1', 'Patient/p2'] },
  { name: '_sort string descending', spec: `${S}#sort`, query: query(['Patient'], [], [{ param: 'family', descending: true }]), expectIds: ['Patient/p2', 'Patient/p1', 'Patient/p3'] },
  { name: '_sort date ascending, missing last', spec: `${S}#sort`, query: query(['Patient'], [], [{ param: 'birthdate', descending: false }]), expectIds: ['Patient/p1', 'Patient/p2', 'Patient/p3'] },
  { name: '_sort date descending, missing last', spec: `${S}#sort`, query: query(['Patient'], [], [{ param: 'birthdate', descending: true }]), expectIds: ['Patient/p2', 'Patient/p1', 'Patient/p3'] },
  { name: '_sort on two keys', spec: `${S}#sort`, query: query(['Patient'], [], [{ param: 'gender', descending: false }, { param: 'family', descending: true }]), expectIds: ['Patient/p2', 'Patient/p3', 'Patient/p1'] },
  { name: '_sort _id descending', spec: `${S}#sort`, query: query(['Patient'], [], [{ param: '_id', descending: true }]), expectIds: ['Patient/p3', 'Patient/p2', 'Patient/p1'] },
  { name: '_sort by period end descending', spec: `${S}#sort`, query: query(['Observation'], [], [{ param: 'date', descending: true }]), expectIds: ['Observation/o4', 'Observation/o3', 'Observation/o2', 'Observation/o1'] },
  { name: '_sort number ascending', spec: `${S}#sort`, query: query(['RiskAssessment'], [], [{ param: 'probability', descending: false }]), expectIds: ['RiskAssessment/ra2', 'RiskAssessment/ra3', 'RiskAssessment/ra1'] },
  { name: '_sort _lastUpdated descending at system level', spec: `${S}#sort`, query: query(null, [{ kind: 'type', types: ['Organization', 'Practitioner'] }], [{ param: '_lastUpdated', descending: true }]), expectIds: ['Practitioner/pr1', 'Organization/org2', 'Organization/org1'] },
];
