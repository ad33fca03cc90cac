/**
 * The MongoDB compiler's own search cases over mongo-fixtures-local.ts, in the shape of the shared
 * contract cases. Expected ids are "Type/id", in the expected order (creation order when no _sort).
 * Spec references are R4 search.html sections.
 */
import type { Condition, IndexKind, Prefix, SearchQuery, SortKey, ValueMatch } from '../../src/search/ir.js';

export interface SearchCase { name: string; spec: string; query: SearchQuery; expectIds: string[] }

const query = (types: string[] | null, where: Condition[], sort: SortKey[] = []): SearchQuery =>
  ({ types, where, sort, count: 50, total: 'accurate' });
const param = (index: IndexKind, name: string, ...values: ValueMatch[]): Condition => ({ kind: 'param', param: name, index, values });
const token = (code?: string, system?: string | null): ValueMatch => ({ kind: 'token', op: 'eq', code, system });
const text = (value: string): ValueMatch => ({ kind: 'token', op: 'text', text: value });
const str = (op: 'starts' | 'exact' | 'contains', value: string): ValueMatch => ({ kind: 'string', op, value });
const ms = (iso: string) => Date.parse(iso);
const date = (prefix: Prefix, low: string, high: string): ValueMatch =>
  ({ kind: 'date', prefix, low: ms(low), high: ms(high) });
const year = (prefix: Prefix, y: number) => date(prefix, `${y}-01-01T00:00:00.000Z`, `${y}-12-31T23:59:59.999Z`);
const june1975 = (prefix: Prefix) => date(prefix, '1975-06-01T00:00:00.000Z', '1975-06-30T23:59:59.999Z');
const quantity = (prefix: Prefix, value: number, extra: { system?: string | null; code?: string } = {}): ValueMatch =>
  ({ kind: 'quantity', prefix, value, low: value - 0.5, high: value + 0.5, ...extra });
const patientRef = (id: string): ValueMatch => ({ kind: 'reference', targetType: 'Patient', targetId: id });
const LOINC = 'http://loinc.org';

export const localCases: SearchCase[] = [
  { name: 'token code, any system', spec: '#token', query: query(['Patient'], [param('token', 'gender', token('female'))]), expectIds: ['Patient/p1', 'Patient/p3'] },
  { name: 'token system|code', spec: '#token', query: query(['Patient'], [param('token', 'identifier', token('MRN-1', 'urn:oid:1.2.36.146.595.217.0.1'))]), expectIds: ['Patient/p1'] },
  { name: 'token code in any system matches both', spec: '#token', query: query(['Patient'], [param('token', 'identifier', token('MRN-1'))]), expectIds: ['Patient/p1', 'Patient/p2'] },
  { name: 'token |code requires no system', spec: '#token', query: query(['Patient'], [param('token', 'identifier', token('LOCAL-7', null))]), expectIds: ['Patient/p2'] },
  { name: 'token |code does not match a coded system', spec: '#token', query: query(['Patient'], [param('token', 'identifier', token('MRN-1', null))]), expectIds: [] },
  { name: 'token system| only', spec: '#token', query: query(['Patient'], [param('token', 'identifier', token(undefined, 'urn:oid:1.2.36.146.595.217.0.1'))]), expectIds: ['Patient/p1'] },
  { name: 'token OR of values', spec: '#combining', query: query(['Patient'], [param('token', 'gender', token('male'), token('female'))]), expectIds: ['Patient/p1', 'Patient/p2', 'Patient/p3'] },
  { name: 'token :not includes resources without the element', spec: '#modifiers (:not)', query: query(['Patient'], [{ kind: 'not', condition: param('token', 'active', token('true')) }]), expectIds: ['Patient/p2', 'Patient/p3'] },
  { name: 'token :text word prefix', spec: '#modifiers (:text)', query: query(['Observation'], [param('token', 'code', text('pressure'))]), expectIds: ['Observation/o1', 'Observation/o2', 'Observation/o3'] },
  { name: 'token :text is no infix match', spec: '#modifiers (:text)', query: query(['Observation'], [param('token', 'code', text('ood'))]), expectIds: [] },
  { name: 'token set (:in expansion)', spec: '#modifiers (:in)', query: query(['Observation'], [param('token', 'code', { kind: 'token-set', codes: [{ system: LOINC, code: '8480-6' }, { system: LOINC, code: '8462-4' }] })]), expectIds: ['Observation/o1', 'Observation/o3'] },
  { name: 'string starts with, accents folded', spec: '#string', query: query(['Patient'], [param('string', 'given', str('starts', 'an'))]), expectIds: ['Patient/p1', 'Patient/p3'] },
  { name: 'string :exact is case and accent sensitive', spec: '#string', query: query(['Patient'], [param('string', 'family', str('exact', 'Çelik'))]), expectIds: ['Patient/p3'] },
  { name: 'string :exact mismatch', spec: '#string', query: query(['Patient'], [param('string', 'family', str('exact', 'celik'))]), expectIds: [] },
  { name: 'string :contains', spec: '#string', query: query(['Patient'], [param('string', 'given', str('contains', 'ber'))]), expectIds: ['Patient/p2'] },
  { name: 'string starts treats regex characters literally', spec: '#string', query: query(['Patient'], [param('string', 'given', str('starts', '.'))]), expectIds: [] },
  { name: ':missing=true', spec: '#modifiers (:missing)', query: query(['Patient'], [{ kind: 'missing', param: 'birthdate', index: 'date', missing: true }]), expectIds: ['Patient/p3'] },
  { name: ':missing=false', spec: '#modifiers (:missing)', query: query(['Patient'], [{ kind: 'missing', param: 'birthdate', index: 'date', missing: false }]), expectIds: ['Patient/p1', 'Patient/p2'] },
  { name: 'date eq: the target range lies inside the search range', spec: '#date', query: query(['Patient'], [param('date', 'birthdate', year('eq', 1980))]), expectIds: ['Patient/p1'] },
  { name: 'date eq: a wider target is not contained', spec: '#date', query: query(['Patient'], [param('date', 'birthdate', june1975('eq'))]), expectIds: [] },
  { name: 'date ne', spec: '#prefix', query: query(['Patient'], [param('date', 'birthdate', year('ne', 1975))]), expectIds: ['Patient/p1'] },
  { name: 'date lt', spec: '#prefix', query: query(['Patient'], [param('date', 'birthdate', year('lt', 1979))]), expectIds: ['Patient/p2'] },
  { name: 'date gt', spec: '#prefix', query: query(['Patient'], [param('date', 'birthdate', year('gt', 1976))]), expectIds: ['Patient/p1'] },
  { name: 'date ge includes eq', spec: '#prefix', query: query(['Patient'], [param('date', 'birthdate', year('ge', 1975))]), expectIds: ['Patient/p1', 'Patient/p2'] },
  { name: 'date le on an overlapping range', spec: '#prefix', query: query(['Patient'], [param('date', 'birthdate', june1975('le'))]), expectIds: ['Patient/p2'] },
  { name: 'date sa', spec: '#prefix', query: query(['Patient'], [param('date', 'birthdate', year('sa', 1975))]), expectIds: ['Patient/p1'] },
  { name: 'date eb', spec: '#prefix', query: query(['Patient'], [param('date', 'birthdate', year('eb', 1980))]), expectIds: ['Patient/p2'] },
  { name: 'date ap overlaps', spec: '#prefix', query: query(['Patient'], [param('date', 'birthdate', june1975('ap'))]), expectIds: ['Patient/p2'] },
  { name: 'quantity eq within precision', spec: '#quantity', query: query(['Observation'], [param('quantity', 'value-quantity', quantity('eq', 120))]), expectIds: ['Observation/o1'] },
  { name: 'quantity gt', spec: '#quantity', query: query(['Observation'], [param('quantity', 'value-quantity', quantity('gt', 100))]), expectIds: ['Observation/o1'] },
  { name: 'quantity with system and code', spec: '#quantity', query: query(['Observation'], [param('quantity', 'value-quantity', quantity('ge', 80, { system: 'http://unitsofmeasure.org', code: 'mm[Hg]' }))]), expectIds: ['Observation/o1'] },
  { name: 'quantity code alone matches the unit', spec: '#quantity', query: query(['Observation'], [param('quantity', 'value-quantity', quantity('ge', 80, { code: 'mmHg' }))]), expectIds: ['Observation/o1', 'Observation/o3'] },
  { name: 'number eq', spec: '#number', query: query(['RiskAssessment'], [param('number', 'probability', { kind: 'number', prefix: 'eq', value: 0.25, low: 0.245, high: 0.255 })]), expectIds: ['RiskAssessment/r1'] },
  { name: 'number gt', spec: '#number', query: query(['RiskAssessment'], [param('number', 'probability', { kind: 'number', prefix: 'gt', value: 0.3, low: 0.25, high: 0.35 })]), expectIds: [] },
  { name: 'uri eq', spec: '#uri', query: query(['ValueSet'], [param('uri', 'url', { kind: 'uri', op: 'eq', value: 'http://example.org/fhir' })]), expectIds: ['ValueSet/vs2'] },
  { name: 'uri :below', spec: '#uri', query: query(['ValueSet'], [param('uri', 'url', { kind: 'uri', op: 'below', value: 'http://example.org/fhir' })]), expectIds: ['ValueSet/vs1', 'ValueSet/vs2'] },
  { name: 'uri :above', spec: '#uri', query: query(['ValueSet'], [param('uri', 'url', { kind: 'uri', op: 'above', value: 'http://example.org/fhir/ValueSet/vitals/v2' })]), expectIds: ['ValueSet/vs1', 'ValueSet/vs2'] },
  { name: 'uri :contains', spec: '#uri', query: query(['ValueSet'], [param('uri', 'url', { kind: 'uri', op: 'contains', value: 'ValueSet' })]), expectIds: ['ValueSet/vs1'] },
  { name: 'reference type/id', spec: '#reference', query: query(['Observation'], [param('reference', 'subject', patientRef('p1'))]), expectIds: ['Observation/o1', 'Observation/o3'] },
  { name: 'reference id across types (system search)', spec: '#reference', query: query(null, [param('reference', 'subject', { kind: 'reference', targetId: 'p2' })]), expectIds: ['Observation/o2', 'RiskAssessment/r1'] },
  { name: 'reference canonical url', spec: '#reference', query: query(['ValueSet'], [param('reference', 'derived-from', { kind: 'reference', url: 'http://example.org/fhir/ValueSet/base' })]), expectIds: ['ValueSet/vs1'] },
  { name: 'composite matches within one group', spec: '#composite', query: query(['Observation'], [{ kind: 'composite', param: 'combo-code-value-quantity', alternatives: [[{ param: 'combo-code-value-quantity$0', index: 'token', match: token('8462-4', LOINC) }, { param: 'combo-code-value-quantity$1', index: 'quantity', match: quantity('eq', 80) }]] }]), expectIds: ['Observation/o2'] },
  { name: 'composite never pairs components of different groups', spec: '#composite', query: query(['Observation'], [{ kind: 'composite', param: 'combo-code-value-quantity', alternatives: [[{ param: 'combo-code-value-quantity$0', index: 'token', match: token('8462-4', LOINC) }, { param: 'combo-code-value-quantity$1', index: 'quantity', match: quantity('eq', 150) }]] }]), expectIds: [] },
  { name: 'chain', spec: '#chaining', query: query(['Observation'], [{ kind: 'chain', param: 'subject', targetTypes: ['Patient'], where: [param('string', 'name', str('starts', 'smi'))] }]), expectIds: ['Observation/o1', 'Observation/o3'] },
  { name: 'nested chain', spec: '#chaining', query: query(['Observation'], [{ kind: 'chain', param: 'patient', targetTypes: ['Patient'], where: [{ kind: 'chain', param: 'organization', targetTypes: ['Organization'], where: [param('string', 'name', str('starts', 'general'))] }] }]), expectIds: ['Observation/o1', 'Observation/o3'] },
  { name: 'chain with no target matches nothing', spec: '#chaining', query: query(['Observation'], [{ kind: 'chain', param: 'subject', targetTypes: ['Patient'], where: [param('string', 'name', str('starts', 'nobody'))] }]), expectIds: [] },
  { name: '_has', spec: '#has', query: query(['Patient'], [{ kind: 'has', sourceType: 'Observation', param: 'patient', where: [param('token', 'code', token('8462-4', LOINC))] }]), expectIds: ['Patient/p1'] },
  { name: '_has with several sources', spec: '#has', query: query(['Patient'], [{ kind: 'has', sourceType: 'Observation', param: 'subject', where: [param('token', 'status', token('final'))] }]), expectIds: ['Patient/p1', 'Patient/p2'] },
  { name: '_id', spec: '#id', query: query(['Patient'], [{ kind: 'id', ids: ['p3', 'p1'] }]), expectIds: ['Patient/p1', 'Patient/p3'] },
  { name: '_type on a system search', spec: '#type', query: query(null, [{ kind: 'type', types: ['Organization', 'RiskAssessment'] }]), expectIds: ['Organization/org1', 'RiskAssessment/r1'] },
  { name: '_lastUpdated ge', spec: '#lastUpdated', query: query(['Patient'], [{ kind: 'lastUpdated', prefix: 'ge', low: ms('2024-01-01T00:00:00.000Z'), high: ms('2024-01-01T23:59:59.999Z') }]), expectIds: ['Patient/p1', 'Patient/p2', 'Patient/p3'] },
  { name: '_lastUpdated lt', spec: '#lastUpdated', query: query(['Patient'], [{ kind: 'lastUpdated', prefix: 'lt', low: ms('2024-01-01T00:00:00.000Z'), high: ms('2024-01-01T23:59:59.999Z') }]), expectIds: [] },
  { name: 'or of conditions', spec: '#combining', query: query(['Patient'], [{ kind: 'or', conditions: [param('token', 'gender', token('male')), param('string', 'family', str('starts', 'smith'))] }]), expectIds: ['Patient/p1', 'Patient/p2'] },
  { name: 'not around an and', spec: '#combining', query: query(['Patient'], [{ kind: 'not', condition: { kind: 'and', conditions: [param('token', 'gender', token('female')), param('token', 'active', token('false'))] } }]), expectIds: ['Patient/p1', 'Patient/p2'] },
  { name: 'empty or matches nothing', spec: '#combining', query: query(['Patient'], [{ kind: 'or', conditions: [] }]), expectIds: [] },
  { name: '_sort by date, missing last', spec: '#_sort', query: query(['Patient'], [], [{ param: 'birthdate', descending: false }]), expectIds: ['Patient/p2', 'Patient/p1', 'Patient/p3'] },
  { name: '_sort descending, missing still last', spec: '#_sort', query: query(['Patient'], [], [{ param: 'birthdate', descending: true }]), expectIds: ['Patient/p1', 'Patient/p2', 'Patient/p3'] },
  { name: '_sort by string', spec: '#_sort', query: query(['Patient'], [], [{ param: 'family', descending: false }]), expectIds: ['Patient/p3', 'Patient/p2', 'Patient/p1'] },
  { name: '_sort by -_id', spec: '#_sort', query: query(['Patient'], [], [{ param: '_id', descending: true }]), expectIds: ['Patient/p3', 'Patient/p2', 'Patient/p1'] },
  { name: '_sort uses the desc key (period end) descending', spec: '#_sort', query: query(['Observation'], [], [{ param: 'date', descending: true }]), expectIds: ['Observation/o2', 'Observation/o1', 'Observation/o3'] },
  { name: '_sort on two keys', spec: '#_sort', query: query(['Patient'], [], [{ param: 'gender', descending: false }, { param: 'family', descending: true }]), expectIds: ['Patient/p1', 'Patient/p2', 'Patient/p3'] },
];
