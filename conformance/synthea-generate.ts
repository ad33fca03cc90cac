/**
 * The searches to try, generated from the loaded data itself: for each resource type and each R4 parameter
 * with values, a common and a rare value; date prefixes at year/month/day/second precision around real
 * values; quantity prefixes on Observation values; modifiers; chains; _has; composites; _sort; _include.
 */
import type { Dataset, Json } from './synthea-data.js';
import { escapeSearch } from './search-values.js';
import {
  definitionsOf, normalise, quantitiesOf, referencesOf, stringsOf, tokensOf, valuesOf, type Definition, type Typed,
} from './synthea-values.js';

/** `compartment` (e.g. `Patient/123`): searched as GET [base]/Patient/123/<type>?... (R4 compartmentdefinition.html) */
export interface Query { category: string; type: string; params: [string, string][]; compartment?: string }

const BASIC = new Set(['string', 'token', 'reference', 'date', 'number', 'quantity', 'uri']);
const DATE_PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb'];

function searchForm(def: Definition, value: Typed): string | undefined {
  switch (def.type) {
    case 'string': return stringsOf(value).map(escapeSearch)[0];
    case 'token': {
      const token = tokensOf(value).find((t) => t.code !== undefined);
      if (!token) return undefined;
      return token.system && typeof value.data === 'object' ? `${escapeSearch(token.system)}|${escapeSearch(token.code!)}` : escapeSearch(token.code!);
    }
    case 'reference': return referencesOf(value).find((reference) => /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]+$/.test(reference));
    case 'date': {
      const data = value.data;
      const text = typeof data === 'string' ? data : data?.start ?? data?.end;
      return typeof text === 'string' ? text.slice(0, 10) : undefined;
    }
    case 'number': case 'quantity': {
      const quantity = quantitiesOf(value)[0];
      if (!quantity) return undefined;
      return quantity.system && quantity.code ? `${quantity.value}|${escapeSearch(quantity.system)}|${escapeSearch(quantity.code)}` : String(quantity.value);
    }
    case 'uri': return typeof value.data === 'string' ? escapeSearch(value.data) : undefined;
    default: return undefined;
  }
}

/** Search forms of `def` with how many resources have each, most common first (ties by text). */
function frequencies(resources: Json[], def: Definition): [string, number][] {
  const counts = new Map<string, number>();
  for (const resource of resources) {
    const forms = new Set(valuesOf(resource, def).map((value) => searchForm(def, value)).filter((form): form is string => !!form && form.length < 300));
    for (const form of forms) counts.set(form, (counts.get(form) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

const pick = <T>(list: T[]) => list.length === 0 ? [] : list.length === 1 ? [list[0]] : [list[0], list[list.length - 1]];
const median = <T>(list: T[]) => list[Math.floor(list.length / 2)];

function basic(data: Dataset, out: Query[]): void {
  for (const [type, resources] of [...data.byType].sort()) {
    for (const def of [...definitionsOf(type).values()].sort((a, b) => a.code.localeCompare(b.code))) {
      if (!BASIC.has(def.type)) continue;
      const counts = frequencies(resources, def);
      if (counts.length === 0) continue;
      for (const [value] of pick(counts)) out.push({ category: def.type, type, params: [[def.code, value]] });
      const [common] = counts[0];
      if (def.type === 'token') out.push({ category: 'modifier', type, params: [[`${def.code}:not`, common]] });
      if (def.type === 'string') {
        out.push({ category: 'modifier', type, params: [[`${def.code}:exact`, common]] });
        if (common.length > 3) out.push({ category: 'modifier', type, params: [[`${def.code}:contains`, common.slice(1, -1).toLowerCase()]] });
      }
      if (def.type === 'date') {
        const middle = median(counts.map(([value]) => value).sort());
        for (const prefix of DATE_PREFIXES) out.push({ category: 'date prefix', type, params: [[def.code, `${prefix}${middle}`]] });
      }
      if (def.type === 'reference' && counts.length > 2) out.push({ category: 'reference', type, params: [[def.code, `${counts[0][0]},${counts[counts.length - 1][0]}`]] });
      out.push({ category: 'missing', type, params: [[`${def.code}:missing`, 'false']] });
      if (counts.reduce((sum, [, n]) => sum + n, 0) > 0 && def.type !== 'date') out.push({ category: 'missing', type, params: [[`${def.code}:missing`, 'true']] });
    }
  }
}

function modifiers(data: Dataset, out: Query[]): void {
  const strings: [string, string][] = [['Patient', 'family'], ['Patient', 'given'], ['Patient', 'name'], ['Patient', 'address-city'], ['Practitioner', 'name'], ['Organization', 'name'], ['Location', 'name']];
  for (const [type, code] of strings) {
    const def = definitionsOf(type).get(code);
    const resources = data.byType.get(type) ?? [];
    if (!def || resources.length === 0) continue;
    const values = frequencies(resources, def).map(([value]) => value);
    const accented = values.find((value) => normalise(value) !== value.toLowerCase());
    const sample = accented ?? values[0];
    if (!sample) continue;
    out.push({ category: 'modifier', type, params: [[`${code}:exact`, sample]] });
    out.push({ category: 'modifier', type, params: [[`${code}:exact`, sample.toLowerCase()]] });
    out.push({ category: 'modifier', type, params: [[`${code}:contains`, sample.slice(1, 4)]] });
    out.push({ category: 'modifier', type, params: [[code, normalise(sample).toUpperCase().slice(0, 4)]] });
    out.push({ category: 'modifier', type, params: [[code, `${values[0]},${values[values.length - 1]}`]] });
  }
  const tokens: [string, string][] = [['Observation', 'code'], ['Condition', 'code'], ['Encounter', 'type'], ['Observation', 'category'], ['Patient', 'gender'], ['Immunization', 'vaccine-code'], ['Procedure', 'code']];
  for (const [type, code] of tokens) {
    const def = definitionsOf(type).get(code);
    const resources = data.byType.get(type) ?? [];
    if (!def || resources.length === 0) continue;
    const values = frequencies(resources, def).map(([value]) => value);
    if (values.length === 0) continue;
    out.push({ category: 'modifier', type, params: [[`${code}:not`, values[0]]] });
    out.push({ category: 'modifier', type, params: [[code, values.slice(0, 3).join(',')]] });
    const [system, bare] = values[0].includes('|') ? values[0].split('|') : [undefined, values[0]];
    out.push({ category: 'token', type, params: [[code, bare]] });
    if (system) out.push({ category: 'token', type, params: [[code, `${system}|`]] }, { category: 'token', type, params: [[code, `|${bare}`]] });
    const text = resources.flatMap((resource) => valuesOf(resource, def)).flatMap(tokensOf).flatMap((token) => token.text)[0];
    if (text) {
      out.push({ category: 'modifier', type, params: [[`${code}:text`, escapeSearch(text)]] });
      out.push({ category: 'modifier', type, params: [[`${code}:text`, escapeSearch(text.split(/\s+/)[0].toLowerCase())]] });
    }
  }
  const patient = data.byType.get('Patient')?.[0];
  if (patient) {
    out.push({ category: 'reference', type: 'Observation', params: [['subject:Patient', patient.id]] });
    out.push({ category: 'reference', type: 'Observation', params: [['subject', patient.id]] });
    out.push({ category: 'reference', type: 'Observation', params: [['patient', `Patient/${patient.id}`], ['subject:missing', 'false']] });
    out.push({ category: 'modifier', type: 'Observation', params: [['subject:Group', patient.id]] });
  }
  out.push({ category: 'modifier', type: 'Patient', params: [['deceased', 'true']] }, { category: 'modifier', type: 'Patient', params: [['deceased:missing', 'true']] });
  out.push({ category: 'modifier', type: 'Patient', params: [['deceased:not', 'true']] });
  out.push({ category: 'modifier', type: 'Condition', params: [['abatement-date:missing', 'true']] });
}

function dateValues(data: Dataset, type: string, code: string): string[] {
  const def = definitionsOf(type).get(code);
  if (!def) return [];
  return (data.byType.get(type) ?? []).flatMap((resource) => valuesOf(resource, def))
    .map((value) => typeof value.data === 'string' ? value.data : value.data?.start)
    .filter((text): text is string => typeof text === 'string').sort();
}

function prefixes(data: Dataset, out: Query[]): void {
  const full: [string, string][] = [['Patient', 'birthdate'], ['Observation', 'date'], ['Encounter', 'date']];
  const dayOnly: [string, string][] = [['Condition', 'onset-date'], ['Immunization', 'date'], ['Procedure', 'date'], ['MedicationRequest', 'authoredon'],
    ['DiagnosticReport', 'date'], ['Claim', 'created'], ['Condition', 'abatement-date'], ['CarePlan', 'date'], ['DocumentReference', 'date'], ['Patient', 'death-date']];
  for (const [type, code] of [...full, ...dayOnly]) {
    const values = dateValues(data, type, code);
    if (values.length === 0) continue;
    const value = median(values);
    const precisions = full.some(([t, c]) => t === type && c === code) ? [4, 7, 10] : [10];
    for (const length of precisions) for (const prefix of DATE_PREFIXES) out.push({ category: 'date prefix', type, params: [[code, `${prefix}${value.slice(0, length)}`]] });
    if (value.length > 10) for (const prefix of ['eq', 'gt', 'lt', 'ge', 'le']) out.push({ category: 'date prefix', type, params: [[code, `${prefix}${value}`]] });
    out.push({ category: 'date prefix', type, params: [[code, `ge${values[0].slice(0, 7)}`], [code, `lt${value.slice(0, 10)}`]] });
  }
  // a dateTime in another zone than the data's: the instant decides, not the written day
  const observation = dateValues(data, 'Observation', 'date').find((text) => text.length > 19);
  if (observation) {
    const instant = new Date(observation).toISOString().replace('.000Z', '+00:00');
    for (const prefix of ['eq', 'ge', 'le', 'gt', 'lt']) out.push({ category: 'date prefix', type: 'Observation', params: [['date', `${prefix}${instant}`]] });
  }
  const def = definitionsOf('Observation').get('value-quantity')!;
  const codeDef = definitionsOf('Observation').get('code')!;
  const observations = data.byType.get('Observation') ?? [];
  const byCode = new Map<string, number[]>();
  const units = new Map<string, string>();
  for (const resource of observations) {
    const quantity = valuesOf(resource, def).flatMap(quantitiesOf)[0];
    const code = valuesOf(resource, codeDef).flatMap(tokensOf)[0];
    if (!quantity || !code?.code) continue;
    const key = `${code.system}|${code.code}`;
    byCode.set(key, [...(byCode.get(key) ?? []), quantity.value]);
    units.set(key, `${quantity.system ?? ''}|${quantity.code ?? ''}`);
  }
  const common = [...byCode].sort((a, b) => b[1].length - a[1].length).slice(0, 3);
  for (const [code, numbers] of common) {
    const value = median([...numbers].sort((a, b) => a - b));
    const unit = units.get(code)!;
    for (const prefix of DATE_PREFIXES) out.push({ category: 'quantity prefix', type: 'Observation', params: [['code', code], ['value-quantity', `${prefix}${value}|${unit}`]] });
    out.push({ category: 'quantity prefix', type: 'Observation', params: [['value-quantity', `${Math.round(value)}`]] });
    out.push({ category: 'quantity prefix', type: 'Observation', params: [['value-quantity', `${value.toFixed(1)}||${unit.split('|')[1]}`]] });
    out.push({ category: 'quantity prefix', type: 'Observation', params: [['value-quantity', `gt${value}`], ['value-quantity', `lt${value * 2}`]] });
  }
}

function first(data: Dataset, type: string, code: string): string | undefined {
  const def = definitionsOf(type).get(code);
  return def ? frequencies(data.byType.get(type) ?? [], def)[0]?.[0] : undefined;
}

function rare(data: Dataset, type: string, code: string): string | undefined {
  const def = definitionsOf(type).get(code);
  const counts = def ? frequencies(data.byType.get(type) ?? [], def) : [];
  return counts[counts.length - 1]?.[0];
}

function relations(data: Dataset, out: Query[]): void {
  const family = rare(data, 'Patient', 'family');
  const add = (category: string, type: string, ...params: [string, string | undefined][]) => {
    if (params.every(([, value]) => value !== undefined)) out.push({ category, type, params: params as [string, string][] });
  };
  const birth = median(dateValues(data, 'Patient', 'birthdate'));
  add('chain', 'Observation', ['subject:Patient.name', family]);
  add('chain', 'Observation', ['subject:Patient.family', family], ['code', first(data, 'Observation', 'code')]);
  add('chain', 'Encounter', ['subject.birthdate', birth && `ge${birth.slice(0, 4)}`]);
  add('chain', 'Encounter', ['patient.birthdate', birth && `lt${birth.slice(0, 7)}`]);
  add('chain', 'Observation', ['encounter.class', rare(data, 'Encounter', 'class')]);
  add('chain', 'Observation', ['encounter.type', rare(data, 'Encounter', 'type')]);
  add('chain', 'Encounter', ['service-provider.name', rare(data, 'Organization', 'name')]);
  add('chain', 'Claim', ['patient.gender', 'female']);
  add('chain', 'DiagnosticReport', ['result.code', rare(data, 'Observation', 'code')]);
  add('chain', 'Observation', ['encounter.service-provider.address-city', first(data, 'Organization', 'address-city')]);
  add('chain', 'MedicationRequest', ['encounter.date', birth && `ge${median(dateValues(data, 'Encounter', 'date'))?.slice(0, 4)}`]);
  add('chain', 'Encounter', ['participant.name', rare(data, 'Practitioner', 'name')]);
  add('chain', 'Encounter', ['location.name', rare(data, 'Location', 'name')]);
  add('chain', 'Encounter', ['patient.address-state', first(data, 'Patient', 'address-state')], ['class', first(data, 'Encounter', 'class')]);

  add('has', 'Patient', ['_has:Observation:patient:code', rare(data, 'Observation', 'code')]);
  add('has', 'Patient', ['_has:Observation:patient:code', first(data, 'Observation', 'code')]);
  add('has', 'Patient', ['_has:Condition:patient:code', rare(data, 'Condition', 'code')]);
  add('has', 'Patient', ['_has:Condition:subject:code', first(data, 'Condition', 'code')], ['gender', 'male']);
  add('has', 'Encounter', ['_has:Observation:encounter:code', rare(data, 'Observation', 'code')]);
  add('has', 'Practitioner', ['_has:Encounter:practitioner:class', rare(data, 'Encounter', 'class')]);
  add('has', 'Patient', ['_has:Encounter:patient:_has:Condition:encounter:code', rare(data, 'Condition', 'code')]);
  add('has', 'Patient', ['_has:Immunization:patient:vaccine-code', rare(data, 'Immunization', 'vaccine-code')], ['_has:Condition:patient:code', first(data, 'Condition', 'code')]);
  add('has', 'Organization', ['_has:Encounter:service-provider:date', `ge${median(dateValues(data, 'Encounter', 'date'))?.slice(0, 7)}`]);

  // composites: within one element (search.html#composite)
  const systolic = 'http://loinc.org|8480-6';
  const diastolic = 'http://loinc.org|8462-4';
  const height = 'http://loinc.org|8302-2';
  add('composite', 'Observation', ['component-code-value-quantity', `${systolic}$gt140`]);
  add('composite', 'Observation', ['component-code-value-quantity', `${systolic}$lt110`]);
  add('composite', 'Observation', ['component-code-value-quantity', `${diastolic}$gt100`]);
  add('composite', 'Observation', ['component-code-value-quantity', `${diastolic}$gt95,${systolic}$gt160`]);
  add('composite', 'Observation', ['combo-code-value-quantity', `${systolic}$ge120`]);
  add('composite', 'Observation', ['code-value-quantity', `${height}$gt170`]);
  add('composite', 'Observation', ['code-value-quantity', `${height}$le100|http://unitsofmeasure.org|cm`]);
  add('composite', 'Observation', ['code-value-concept', `${first(data, 'Observation', 'code')}$${first(data, 'Observation', 'value-concept')}`]);
  add('composite', 'Observation', ['code-value-concept', first(data, 'Observation', 'value-concept') && `http://loinc.org|72166-2$${first(data, 'Observation', 'value-concept')}`]);
  add('composite', 'Observation', ['code-value-date', `${first(data, 'Observation', 'code')}$ge2000`]);

  const obsCode = first(data, 'Observation', 'code');
  add('sort', 'Patient', ['_sort', 'family,-birthdate']);
  add('sort', 'Patient', ['_sort', '-birthdate']);
  add('sort', 'Patient', ['_sort', 'gender,-family']);
  add('sort', 'Patient', ['_sort', 'address-city,given']);
  add('sort', 'Observation', ['code', obsCode], ['_sort', '-date']);
  add('sort', 'Observation', ['code', obsCode], ['_sort', 'value-quantity,-date']);
  add('sort', 'Observation', ['code', obsCode], ['_sort', 'subject,-value-quantity']);
  add('sort', 'Encounter', ['_sort', 'date']);
  add('sort', 'Encounter', ['_sort', 'class,-date']);
  add('sort', 'Condition', ['_sort', '-onset-date,code']);
  add('sort', 'Immunization', ['_sort', '-date,vaccine-code']);
  add('sort', 'Organization', ['_sort', 'name']);

  add('include', 'Observation', ['code', rare(data, 'Observation', 'code')], ['_include', 'Observation:patient']);
  add('include', 'Observation', ['code', rare(data, 'Observation', 'code')], ['_include', 'Observation:subject:Patient'], ['_include', 'Observation:encounter']);
  add('include', 'Encounter', ['class', rare(data, 'Encounter', 'class')], ['_include', 'Encounter:practitioner'], ['_include', 'Encounter:service-provider']);
  add('include', 'MedicationRequest', ['_include', 'MedicationRequest:requester']);
  add('include', 'DiagnosticReport', ['code', rare(data, 'DiagnosticReport', 'code')], ['_include', 'DiagnosticReport:result']);
  add('include', 'Patient', ['family', family], ['_revinclude', 'Encounter:patient']);
  add('include', 'Patient', ['gender', 'female'], ['_revinclude', 'Condition:subject']);
  add('include', 'Observation', ['code', rare(data, 'Observation', 'code')], ['_include', 'Observation:encounter'], ['_include:iterate', 'Encounter:service-provider']);
  add('include', 'Encounter', ['class', rare(data, 'Encounter', 'class')], ['_revinclude', 'Observation:encounter'], ['_include', 'Encounter:patient']);
  add('include', 'Condition', ['code', rare(data, 'Condition', 'code')], ['_include', 'Condition:encounter'], ['_revinclude:iterate', 'Observation:encounter']);
}

/** Edge cases: :of-type, :not with a list, numbers in e-notation, absolute references, exact instants on Periods, paging. */
function edges(data: Dataset, baseUrl: string, out: Query[]): void {
  const patient = data.byType.get('Patient')?.find((resource) => resource.identifier?.some((i: Json) => i.type?.coding?.[0]?.code === 'SS'));
  for (const identifier of (patient?.identifier ?? []).filter((i: Json) => i.type?.coding?.[0])) {
    const coding = identifier.type.coding[0];
    out.push({ category: 'modifier', type: 'Patient', params: [['identifier:of-type', `${coding.system}|${coding.code}|${escapeSearch(identifier.value)}`]] });
  }
  const codes = frequencies(data.byType.get('Observation') ?? [], definitionsOf('Observation').get('code')!).map(([value]) => value);
  if (codes.length > 2) out.push({ category: 'modifier', type: 'Observation', params: [['code:not', `${codes[0]},${codes[1]}`]] });
  const height = 'http://loinc.org|8302-2';
  for (const value of ['eq1.7e2', 'eq2e2', 'gt1.5E2', 'eq1.70e2|http://unitsofmeasure.org|cm']) out.push({ category: 'quantity prefix', type: 'Observation', params: [['code', height], ['value-quantity', value]] });
  if (patient) {
    out.push({ category: 'reference', type: 'Observation', params: [['subject', `${baseUrl}/Patient/${patient.id}`]] });
    out.push({ category: 'reference', type: 'Encounter', params: [['patient', `Patient/${patient.id}`], ['_id:not', 'x']] });
  }
  const report = (data.byType.get('DiagnosticReport') ?? []).find((resource) => /\.\d{3}/.test(resource.issued ?? ''));
  if (report) {
    const seconds = report.issued.replace(/\.\d+/, '');
    for (const value of [report.issued, seconds, `gt${seconds}`, `lt${report.issued}`, `le${report.issued}`, `sa${seconds.slice(0, 16)}`]) {
      out.push({ category: 'date prefix', type: 'DiagnosticReport', params: [['issued', value]] });
    }
  }
  const encounter = (data.byType.get('Encounter') ?? []).find((resource) => resource.period?.start && resource.period?.end && resource.period.start !== resource.period.end);
  if (encounter) {
    for (const prefix of ['eq', 'ne', 'sa', 'eb', 'ge', 'le', 'gt', 'lt']) out.push({ category: 'date prefix', type: 'Encounter', params: [['date', `${prefix}${encounter.period.start}`]] });
    for (const prefix of ['eq', 'sa', 'eb', 'ge', 'le']) out.push({ category: 'date prefix', type: 'Encounter', params: [['date', `${prefix}${encounter.period.end}`]] });
  }
  const births = dateValues(data, 'Patient', 'birthdate');
  const birth = median(births);
  if (birth) for (const value of [birth.slice(0, 4), birth.slice(0, 7), birth]) out.push({ category: 'approximate', type: 'Patient', params: [['birthdate', `ap${value}`]] });
  const observed = median(dateValues(data, 'Observation', 'date'));
  if (observed) out.push({ category: 'approximate', type: 'Observation', params: [['date', `ap${observed.slice(0, 10)}`]] });
  for (const value of ['ap150', 'ap1.5e2|http://unitsofmeasure.org|cm', 'ap170.5']) out.push({ category: 'approximate', type: 'Observation', params: [['code', height], ['value-quantity', value]] });
  out.push({ category: 'approximate', type: 'Observation', params: [['code', 'http://loinc.org|29463-7'], ['value-quantity', 'ap80']] });
  out.push({ category: 'ucum', type: 'Observation', params: [['code', 'http://loinc.org|29463-7'], ['value-quantity', 'gt80000|http://unitsofmeasure.org|g']] });
  out.push({ category: 'ucum', type: 'Observation', params: [['code', height], ['value-quantity', 'lt1.5|http://unitsofmeasure.org|m']] });
  const common = codes[0];
  const patients = data.byType.get('Patient') ?? [];
  if (patients.length > 1) out.push({ category: 'reference', type: 'Patient', params: [['_id', `${patients[0].id},${patients[patients.length - 1].id},nonexistent`]] });
  for (const patientInCompartment of patients.slice(0, 2)) {
    const compartment = `Patient/${patientInCompartment.id}`;
    out.push({ category: 'compartment', type: 'Observation', params: [['code', common]], compartment });
    out.push({ category: 'compartment', type: 'Encounter', params: [], compartment });
    out.push({ category: 'compartment', type: 'Condition', params: [['_sort', '-onset-date']], compartment });
    out.push({ category: 'compartment', type: 'Claim', params: [], compartment });
  }
  out.push({ category: 'include', type: 'Encounter', params: [['class', 'EMER'], ['_include', 'Encounter:*']] });
  out.push({ category: 'include', type: 'Observation', params: [['code', codes[codes.length - 1]], ['_include', '*']] });
  out.push({ category: 'sort', type: 'Patient', params: [['_sort', 'given']] });
  out.push({ category: 'sort', type: 'Patient', params: [['_sort', '-given,_id']] });
  out.push({ category: 'sort', type: 'Encounter', params: [['_sort', '-date']] });
  out.push({ category: 'sort', type: 'DiagnosticReport', params: [['_sort', '-issued,-date']] });
  out.push({ category: 'sort', type: 'Observation', params: [['code', common], ['_sort', '-value-quantity']] });
  out.push({ category: 'paging', type: 'Observation', params: [['code', common], ['_sort', '-date'], ['_count', '7']] });
  out.push({ category: 'paging', type: 'Patient', params: [['_sort', 'gender'], ['_count', '5']] });
  out.push({ category: 'paging', type: 'Encounter', params: [['_count', '13']] });
  out.push({ category: 'paging', type: 'Observation', params: [['code', common], ['_count', '50'], ['_include', 'Observation:patient']] });
  out.push({ category: 'paging', type: 'Condition', params: [['_sort', 'code,-onset-date'], ['_count', '9']] });
}

export function generateQueries(data: Dataset, baseUrl = ''): Query[] {
  const out: Query[] = [];
  edges(data, baseUrl, out);
  basic(data, out);
  modifiers(data, out);
  prefixes(data, out);
  relations(data, out);
  const seen = new Set<string>();
  return out.filter((query) => {
    const key = `${query.compartment ?? ''}/${query.type}?${new URLSearchParams(query.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
